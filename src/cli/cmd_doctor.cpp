// mdev-migcheck doctor: is this host ready to check incoming migrations?
// The hook entry, whether the running libvirt daemon runs hooks, the
// configuration, the running VMs' records and each mdev type's evidence.
#include "check/config.hpp"
#include "check/oracle.hpp"
#include "cli/cli.hpp"
#include "cli/host_env.hpp"
#include "cli/json.hpp"
#include "domain/domain_xml.hpp"
#include "mdev/fingerprint.hpp"
#include "mdev/migration_version.hpp"
#include "util/errno_name.hpp"
#include "util/escape.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <ctime>
#include <fcntl.h>
#include <fstream>
#include <ostream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MDEVMC_HOOK_ENTRY
#define MDEVMC_HOOK_ENTRY "/etc/libvirt/hooks/qemu.d/90-mdev-migcheck"
#endif

namespace mdevmc::cli {

namespace {

constexpr const char* kHelp =
    "Usage: mdev-migcheck doctor [-c URI] [--json]\n"
    "\n"
    "Checks that this host is ready to check incoming migrations, item by item:\n"
    "  hook     the hook entry " MDEVMC_HOOK_ENTRY " exists and is\n"
    "           executable;\n"
    "  daemon   the running libvirt daemon (virtqemud or libvirtd) started after\n"
    "           the hook entry appeared: libvirt enables hooks only if one existed\n"
    "           when it started or was last reloaded (a reload cannot be seen: if\n"
    "           it started before, reload it unless you did);\n"
    "  config   the configuration is valid (every error, with file and line);\n"
    "  vms      every running VM with mdevs carries this host's record of them\n"
    "           (else its migration is refused; 'mdev-migcheck annotate' records\n"
    "           it);\n"
    "  types    the evidence each mdev type of this host can give: protocol\n"
    "           (migration_version), oracle:NAME, or fingerprint.\n"
    "An item that cannot be checked (libvirt unreachable, no daemon found) is\n"
    "unknown, with why; the others are still checked.\n"
    "\n"
    "Options:\n"
    "  -c, --connect URI  libvirt connection (default qemu:///system)\n"
    "  --json             print JSON\n"
    "  -h, --help         this text\n"
    "\n"
    "Exit status: 0 every item ok or unknown, 1 an item has a problem or a\n"
    "warning, 2 error.\n";

// In order of weight: an item's status is the heaviest of its findings.
enum class Status { Ok, Unknown, Warning, Problem };

const char* statusName(Status s) {
    switch (s) {
    case Status::Ok:
        return "ok";
    case Status::Warning:
        return "warning";
    case Status::Problem:
        return "problem";
    case Status::Unknown:
        return "unknown";
    }
    return "unknown";
}

struct Item {
    std::string name;
    Status status = Status::Ok;
    std::string summary;
    std::vector<std::string> details;
};

// ---- hook ----------------------------------------------------------------

// Made by the package's postinst when it first finds the hook entry, kept
// across upgrades (which replace the entry) and removed with the package:
// when the hook first appeared.
constexpr const char* kInstalledStamp = "var/lib/mdev-migcheck/hook-installed";

struct HookEntry {
    std::string path;
    bool present = false;
    std::string since;   // what APPEARED was read from
    double appeared = 0; // when the entry was made (latest of its ctime and mtime), in seconds
};

double seconds(const timespec& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

HookEntry hookEntry(const Root& root) {
    std::string_view rel = MDEVMC_HOOK_ENTRY;
    while (!rel.empty() && rel.front() == '/') {
        rel.remove_prefix(1);
    }
    HookEntry h{root.display(rel), false, "", 0};
    struct stat st {};
    if (::lstat(h.path.c_str(), &st) == 0) {
        h.present = true;
        h.appeared = std::max(seconds(st.st_ctim), seconds(st.st_mtim));
        h.since = "the hook entry";
        // An upgrade replaces the entry: the stamp tells when it first came.
        const std::string stamp = root.display(kInstalledStamp);
        if (::stat(stamp.c_str(), &st) == 0 && seconds(st.st_mtim) < h.appeared) {
            h.appeared = seconds(st.st_mtim);
            h.since = "'" + stamp + "'";
        }
    }
    return h;
}

Item checkHook(const HookEntry& h) {
    Item it{"hook", Status::Ok, "", {}};
    struct stat st {};
    if (!h.present) {
        it.status = Status::Problem;
        it.summary = "the hook entry '" + h.path + "' is missing: reinstall mdev-migcheck";
        return it;
    }
    if (::stat(h.path.c_str(), &st) != 0) {
        const int e = errno;
        it.status = Status::Problem;
        it.summary = "the hook entry '" + h.path + "' leads nowhere (" + errnoPhrase(e) +
                     "): reinstall mdev-migcheck";
        return it;
    }
    if (!S_ISREG(st.st_mode) || (st.st_mode & 0111U) == 0) {
        it.status = Status::Problem;
        it.summary = "the hook entry '" + h.path +
                     "' is not an executable file: libvirt skips it (chmod 755 it, or reinstall)";
        return it;
    }
    it.summary = "'" + h.path + "' is an executable file";
    return it;
}

// ---- daemon --------------------------------------------------------------

constexpr std::array<const char*, 2> kDaemons{"virtqemud", "libvirtd"};

std::optional<std::string> readSmall(const std::string& path) {
    std::ifstream f(path);
    if (!f) {
        return std::nullopt;
    }
    std::string s;
    std::getline(f, s, '\0');
    if (s.size() > 4096) {
        s.resize(4096);
    }
    return s;
}

std::string firstLine(const std::string& s) {
    return s.substr(0, s.find('\n'));
}

// The process PID, if it runs the daemon NAME (/proc/PID/comm).
bool runsDaemon(long pid, std::string_view name) {
    const auto comm = readSmall("/proc/" + std::to_string(pid) + "/comm");
    return comm && firstLine(*comm) == name;
}

struct Daemon {
    std::string name;
    long pid = 0;
    std::string found_by;
};

std::optional<long> pidFrom(const std::string& text) {
    const std::string s = firstLine(text);
    if (s.empty() || s.size() > 10 || s.find_first_not_of("0123456789") != std::string::npos) {
        return std::nullopt;
    }
    const long pid = std::stol(s);
    return pid > 0 ? std::optional<long>(pid) : std::nullopt;
}

// Running libvirt daemons: by their pidfiles beneath the root, and, on the
// real root, by a scan of /proc.
std::vector<Daemon> findDaemons(const Root& root) {
    std::vector<Daemon> out;
    for (const char* name : kDaemons) {
        const std::string pidfile = root.display(std::string("run/") + name + ".pid");
        const auto text = readSmall(pidfile);
        const auto pid = text ? pidFrom(*text) : std::nullopt;
        if (pid && runsDaemon(*pid, name)) {
            out.push_back({name, *pid, "pidfile '" + pidfile + "'"});
        }
    }
    if (!out.empty() || root.path() != "/") {
        return out;
    }
    auto entries =
        listDirectory(UniqueFd(::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC)), "/proc");
    for (const auto& e : entries ? *entries : std::vector<std::string>{}) {
        const auto pid = pidFrom(e);
        for (const char* name : kDaemons) {
            if (pid && runsDaemon(*pid, name)) {
                out.push_back({name, *pid, "/proc"});
            }
        }
    }
    return out;
}

// When PID started, in seconds since the epoch: its start in clock ticks
// after boot (/proc/PID/stat, field 22, on the boot-time clock) plus the
// moment of boot (the real-time clock minus the boot-time clock, to the
// nanosecond, where /proc/stat's btime has whole seconds).
std::optional<double> startTime(long pid) {
    const auto stat = readSmall("/proc/" + std::to_string(pid) + "/stat");
    if (!stat) {
        return std::nullopt;
    }
    // Fields after the command (which may hold spaces) start at state (3).
    const auto close = stat->rfind(')');
    if (close == std::string::npos) {
        return std::nullopt;
    }
    std::istringstream fields(stat->substr(close + 1));
    std::string f;
    unsigned long long ticks = 0;
    for (int i = 3; i <= 22 && fields >> f; ++i) {
        if (i == 22 && f.find_first_not_of("0123456789") == std::string::npos && f.size() < 19) {
            ticks = std::stoull(f);
        }
    }
    const long hz = ::sysconf(_SC_CLK_TCK);
    timespec real{};
    timespec boot{};
    if (ticks == 0 || hz <= 0 || ::clock_gettime(CLOCK_REALTIME, &real) != 0 ||
        ::clock_gettime(CLOCK_BOOTTIME, &boot) != 0) {
        return std::nullopt;
    }
    return seconds(real) - seconds(boot) + static_cast<double>(ticks) / static_cast<double>(hz);
}

std::string timeText(double when) {
    const auto t = static_cast<std::time_t>(when);
    std::tm tm{};
    ::localtime_r(&t, &tm);
    std::array<char, 64> buf{};
    const std::size_t n = std::strftime(buf.data(), buf.size(), "%Y-%m-%d %H:%M:%S", &tm);
    return std::string(buf.data(), n);
}

void judgeDaemon(Item& it, const Daemon& d, const HookEntry& h) {
    const std::string who =
        d.name + " (pid " + std::to_string(d.pid) + ", found by " + d.found_by + ")";
    const auto started = startTime(d.pid);
    if (!started) {
        it.status = std::max(it.status, Status::Unknown);
        it.details.push_back(who + ": its start time cannot be read");
        return;
    }
    if (!h.present) {
        it.status = std::max(it.status, Status::Problem);
        it.details.push_back(who + " runs, but there is no hook entry for it to run");
        return;
    }
    if (*started > h.appeared) {
        it.details.push_back(who + " started at " + timeText(*started) +
                             ", after the hook was installed (" + timeText(h.appeared) + ", by " +
                             h.since + "): it runs the hook");
        return;
    }
    it.status = std::max(it.status, Status::Warning);
    it.details.push_back(who + " started at " + timeText(*started) +
                         ", before the hook was installed (" + timeText(h.appeared) + ", by " +
                         h.since +
                         "); libvirt enables hooks only at start-up or on a reload, which "
                         "cannot be seen from here: if you have not reloaded it since, run: "
                         "systemctl reload " +
                         d.name + " (running VMs are not affected)");
}

Item checkDaemon(const Root& root, const HookEntry& h) {
    Item it{"daemon", Status::Ok, "", {}};
    const auto daemons = findDaemons(root);
    if (daemons.empty()) {
        it.status = Status::Unknown;
        it.summary = "no running virtqemud or libvirtd found (pidfiles '" +
                     root.display("run/virtqemud.pid") + "', '" + root.display("run/libvirtd.pid") +
                     "'" + (root.path() == "/" ? ", /proc" : "") + ")";
        return it;
    }
    for (const auto& d : daemons) {
        judgeDaemon(it, d, h);
    }
    switch (it.status) {
    case Status::Ok:
        it.summary = "the running libvirt daemon runs the hook";
        break;
    case Status::Warning:
        it.summary = "the running libvirt daemon may not run the hook: it started before the "
                     "hook was installed";
        break;
    case Status::Problem:
        it.summary = "the running libvirt daemon has no hook to run";
        break;
    case Status::Unknown:
        it.summary = "cannot tell whether the running libvirt daemon runs the hook";
        break;
    }
    return it;
}

// ---- config --------------------------------------------------------------

Item checkConfig(const Root& root) {
    Item it{"config", Status::Ok, "", {}};
    DirectAttrIo io(root);
    const std::string path = configPath(root);
    const auto loaded = loadConfigAll(path, io, Deadline::never());
    if (loaded.errors.empty()) {
        it.summary = "'" + path + "' is valid";
        return it;
    }
    it.status = Status::Problem;
    it.summary = std::to_string(loaded.errors.size()) + " error(s) in the configuration: the " +
                 "hook refuses every migration with mdevs until they are fixed";
    for (const auto& e : loaded.errors) {
        it.details.push_back(e.message);
    }
    return it;
}

// ---- vms -----------------------------------------------------------------

// The mdevs of the running domain D that its metadata does not record.
void checkDomain(Item& it, Hypervisor& hv, const DomainRef& d, int& with_mdevs) {
    auto text = hv.liveXml(d);
    if (!text) {
        it.status = std::max(it.status, Status::Unknown);
        it.details.push_back("domain " + d.name + ": " + text.error().message);
        return;
    }
    auto xml = DomainXml::parse(*text);
    if (!xml) {
        it.status = std::max(it.status, Status::Unknown);
        it.details.push_back("domain " + d.name + ": " + xml.error().message);
        return;
    }
    const auto hostdevs = xml->mdevHostdevs();
    if (hostdevs.empty()) {
        return;
    }
    ++with_mdevs;
    const auto meta = xml->metadata();
    std::vector<std::string> missing;
    for (const auto& hd : hostdevs) {
        if (!meta || meta->find(hd.uuid) == nullptr) {
            missing.push_back(hd.uuid);
        }
    }
    if (missing.empty()) {
        return;
    }
    it.status = Status::Problem;
    std::string list;
    for (const auto& u : missing) {
        list += (list.empty() ? "" : ", ") + u;
    }
    it.details.push_back("domain " + d.name + ": mdev " + list +
                         " not recorded (its migration would be refused); run: "
                         "mdev-migcheck annotate " +
                         d.name);
}

Item checkVms(const Args& a) {
    Item it{"vms", Status::Ok, "", {}};
    const std::string uri = a.value("connect").value_or(kDefaultUri);
    auto hv = LibvirtHypervisor::connect(uri);
    if (!hv) {
        it.status = Status::Unknown;
        it.summary = "cannot ask libvirt: " + hv.error().message;
        return it;
    }
    auto doms = (*hv)->activeDomains();
    if (!doms) {
        it.status = Status::Unknown;
        it.summary = "cannot list the running domains of " + uri + ": " + doms.error().message;
        return it;
    }
    int with_mdevs = 0;
    for (const auto& d : *doms) {
        checkDomain(it, **hv, d, with_mdevs);
    }
    it.summary = std::to_string(doms->size()) + " running domain(s) on " + uri + ", " +
                 std::to_string(with_mdevs) + " with mdevs" +
                 (it.status == Status::Ok ? ": every mdev is recorded" : "");
    return it;
}

// ---- types ---------------------------------------------------------------

struct TypeEvidence {
    std::string parent;
    std::string type;
    std::string evidence; // protocol, fingerprint or none
    std::string why;
};

TypeEvidence typeEvidence(const LocalHost& host, const std::string& p, const std::string& t,
                          Deadline deadline) {
    const auto bound = host.env.config.attr_timeout;
    TypeEvidence te{p, t, "", ""};
    const VersionRead v =
        readVersion(host.mdevs.io(), typeVersionLocation(p, t), deadline.capped(bound));
    if (v.status != VersionRead::Status::Missing) {
        te.evidence = "protocol";
        te.why = v.status == VersionRead::Status::Ok
                     ? "the type has a migration_version attribute"
                     : "the type has a migration_version attribute, unreadable now (" +
                           errnoPhrase(v.err != 0 ? v.err : EIO) + ")";
        return te;
    }
    const Fingerprint fp = readFingerprint(host.mdevs, p, t, nullptr, deadline, bound);
    const Fact* drv = fp.find(fact::kDriver);
    if (drv != nullptr && drv->value) {
        const Fact* ver = fp.find(fact::kDriverVersion);
        te.evidence = "fingerprint";
        te.why = "no migration_version attribute; kernel facts of driver " + *drv->value +
                 (ver != nullptr && ver->value ? " " + *ver->value : std::string());
        return te;
    }
    te.evidence = "none";
    te.why = "no migration_version attribute, and the parent's driver cannot be read";
    return te;
}

Item checkTypes(const LocalHost& host, std::vector<TypeEvidence>& out) {
    Item it{"types", Status::Ok, "", {}};
    const Deadline deadline = Deadline::after(host.env.config.timeout);
    auto parents = host.mdevs.parents(deadline);
    if (!parents) {
        it.status = Status::Unknown;
        it.summary = "cannot list the mdev parents: " + parents.error().message;
        return it;
    }
    for (const auto& p : *parents) {
        auto ts = host.mdevs.types(p, deadline);
        for (const auto& t : ts ? *ts : std::vector<std::string>{}) {
            out.push_back(typeEvidence(host, p, t, deadline));
            const auto& te = out.back();
            it.details.push_back(p + " " + t + ": " + te.evidence + " (" + te.why + ")");
            if (te.evidence == "none") {
                it.status = std::max(it.status, Status::Warning);
            }
        }
    }
    Oracles oracles(host.env.root, host.mdevs.io(), host.env.config);
    std::string names;
    for (const auto& n : oracles.names()) {
        names += (names.empty() ? "" : ", ") + n;
    }
    it.summary = std::to_string(out.size()) + " mdev type(s) on " +
                 std::to_string(parents->size()) +
                 " parent(s); vendor oracles: " + (names.empty() ? std::string("none") : names) +
                 " (an oracle's evidence is per device: see 'mdev-migcheck list')";
    return it;
}

// ---- output --------------------------------------------------------------

Status overall(const std::vector<Item>& items) {
    Status s = Status::Ok;
    for (const auto& it : items) {
        s = std::max(s, it.status);
    }
    return s;
}

void printText(CliContext& ctx, const std::vector<Item>& items) {
    for (const auto& it : items) {
        ctx.out << escapeLine(std::string(statusName(it.status)) + " " + it.name + ": " +
                              it.summary)
                << '\n';
        for (const auto& d : it.details) {
            ctx.out << "    " << escapeLine(d) << '\n';
        }
    }
}

void printJsonDoc(CliContext& ctx, const std::vector<Item>& items,
                  const std::vector<TypeEvidence>& types) {
    Json jitems = Json::array();
    for (const auto& it : items) {
        Json o{{"name", it.name},
               {"status", statusName(it.status)},
               {"summary", it.summary},
               {"details", it.details}};
        if (it.name == "types") {
            Json jt = Json::array();
            for (const auto& t : types) {
                jt.push_back(Json{{"parent", t.parent},
                                  {"type", t.type},
                                  {"evidence", t.evidence},
                                  {"why", t.why}});
            }
            o["types"] = std::move(jt);
        }
        jitems.push_back(std::move(o));
    }
    printJson(ctx.out, Json{{"status", statusName(overall(items))}, {"checks", std::move(jitems)}});
}

int run(CliContext& ctx, const Args& a) {
    a.atMostPositional(0);
    auto root = Root::fromEnvironment();
    if (!root) {
        throw Fatal(root.error());
    }
    const HookEntry entry = hookEntry(*root);
    std::vector<Item> items{checkHook(entry), checkDaemon(*root, entry), checkConfig(*root),
                            checkVms(a)};
    // The configuration's errors are an item of their own, not warnings.
    const LocalHost host(ConfigErrors::Quiet);
    std::vector<TypeEvidence> types;
    items.push_back(checkTypes(host, types));
    if (a.has("json")) {
        printJsonDoc(ctx, items, types);
    } else {
        printText(ctx, items);
    }
    const Status s = overall(items);
    return s == Status::Ok || s == Status::Unknown ? 0 : 1;
}

} // namespace

Command doctorCommand() {
    return {"doctor",
            "check that the hook is active and this host's VMs and mdevs are ready",
            kHelp,
            {{"connect", 'c', true}, {"json", 0, false}},
            run};
}

} // namespace mdevmc::cli
