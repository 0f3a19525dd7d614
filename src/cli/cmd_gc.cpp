// mdev-migcheck gc: removes the mdevs the hook created (provisioning) for
// domains that are neither running nor defined on this host any more.
#include "check/created.hpp"
#include "check/provision.hpp"
#include "cli/cli.hpp"
#include "cli/host_env.hpp"
#include "cli/mdevctl.hpp"
#include "domain/domain_xml.hpp"
#include "mdev/validate.hpp"
#include "util/escape.hpp"
#include "util/run_dir.hpp"

#include <charconv>
#include <ctime>
#include <ostream>
#include <set>

namespace mdevmc::cli {

namespace {

constexpr const char* kHelp =
    "Usage: mdev-migcheck gc [-c URI] [--domain UUID] [--grace SECONDS]\n"
    "\n"
    "Removes the mediated devices the hook created for incoming domains\n"
    "(provision = yes in mdev-migcheck.conf) once the domain each was created for\n"
    "is neither running nor defined on this host: after a failed incoming\n"
    "migration, or once the domain has left again.  What the hook created is\n"
    "journalled in /run/mdev-migcheck/created/ (MDEV_MIGCHECK_RUN_DIR); gc acts on\n"
    "those entries only and never removes another device.  A device in use by a\n"
    "running domain is kept, and so is one for a domain defined here, which is\n"
    "then defined with mdevctl (auto start) when mdevctl is installed.  A device\n"
    "already gone counts as removed; a device of another parent or type now\n"
    "under the UUID is left alone.  A journal entry that cannot be read is\n"
    "reported and skipped.  The hook starts gc at 'release end'; the package's\n"
    "systemd timer (mdev-migcheck-gc.timer) runs it periodically.\n"
    "\n"
    "Options:\n"
    "  -c, --connect URI   libvirt connection (default qemu:///system)\n"
    "  --domain UUID       the domain the hook just released: its devices are\n"
    "                      collected however recently they were created\n"
    "  --grace SECONDS     keep a device created less than this long ago for\n"
    "                      another domain, which may still be arriving (default\n"
    "                      120)\n"
    "  -h, --help          this text\n"
    "\n"
    "Exit status: 0 done, 1 an entry was skipped or a device could not be\n"
    "removed, 2 usage error or no connection.\n";

constexpr long kDefaultGrace = 120;
constexpr long kMaxGrace = 31536000; // a year
// The bound on one mdevctl run.
constexpr std::chrono::seconds kMdevctlTimeout{20};
// The bound on waiting for the journal's lock.
constexpr std::chrono::seconds kLockTimeout{10};

long parseGrace(const Args& a) {
    const auto v = a.value("grace");
    if (!v) {
        return kDefaultGrace;
    }
    long s = 0;
    const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), s);
    if (ec != std::errc() || end != v->data() + v->size() || s < 0 || s > kMaxGrace) {
        throw Fatal("mdev-migcheck gc: --grace " + quoteValue(*v) +
                    " is not a number of seconds (0 to 31536000)");
    }
    return s;
}

// What one gc run needs.
struct Gc {
    CliContext& ctx;
    LocalHost& host;
    Hypervisor& hv;
    const CreatedJournal& journal;
    std::string domain;                          // --domain, canonical ("" if none)
    long grace = kDefaultGrace;                  // seconds
    std::optional<std::string> mdevctl;          // installed mdevctl
    std::optional<std::set<std::string>> in_use; // mdev UUIDs of running domains
    int status = 0;
};

std::string subjectOf(const CreatedEntry& e) {
    return "mdev " + e.mdev + " (" + e.type + ") on parent " + e.parent + ", created for domain " +
           quoteValue(e.domain);
}

void say(Gc& gc, const CreatedEntry& e, const std::string& what) {
    gc.ctx.out << escapeLine(subjectOf(e) + ": " + what) << '\n';
}

void problem(Gc& gc, const std::string& line) {
    gc.ctx.err << escapeLine("mdev-migcheck gc: " + line) << '\n';
    gc.status = 1;
}

// The mdevs of every running domain, read once.
Result<const std::set<std::string>*> inUse(Gc& gc) {
    if (gc.in_use) {
        return &*gc.in_use;
    }
    std::set<std::string> uuids;
    std::vector<DomainRef> active;
    MDEVMC_TRY_ASSIGN(active, gc.hv.activeDomains());
    for (const auto& d : active) {
        auto xml = gc.hv.liveXml(d);
        if (!xml) {
            return Unexpected<Error>(xml.error());
        }
        auto parsed = DomainXml::parse(*xml);
        if (!parsed) {
            return fail("domain '" + d.name + "': " + parsed.error().message, EINVAL);
        }
        for (const auto& hd : parsed->mdevHostdevs()) {
            uuids.insert(canonicalUuid(hd.uuid));
        }
    }
    gc.in_use = std::move(uuids);
    return &*gc.in_use;
}

// A kept device of a persistently defined domain: defined with mdevctl.
void defineWithMdevctl(Gc& gc, CreatedEntry e) {
    if (e.mdevctl_defined || !gc.mdevctl) {
        return;
    }
    auto r = runMdevctl(
        *gc.mdevctl, {"define", "--uuid", e.mdev, "--parent", e.parent, "--type", e.type, "--auto"},
        gc.host.env.root, Deadline::after(kMdevctlTimeout));
    if (!r) {
        problem(gc, subjectOf(e) + ": cannot define it with mdevctl: " + r.error().message);
        return;
    }
    e.mdevctl_defined = true;
    if (auto w = gc.journal.write(e); !w) {
        problem(gc, w.error().message);
        return;
    }
    say(gc, e, "defined with mdevctl (auto start)");
}

// Removes E's device and its entry, under the lock.
void collect(Gc& gc, const CreatedEntry& e, const std::string& why) {
    auto held = gc.journal.lock(Deadline::after(kLockTimeout));
    if (!held) {
        problem(gc, subjectOf(e) + ": not removed: " + held.error().message);
        return;
    }
    auto again = gc.journal.find(e.mdev);
    if (!again || !*again || (*again)->domain_uuid != e.domain_uuid) {
        return; // removed or replaced meanwhile
    }
    const auto t = gc.host.env.config.attr_timeout;
    const RemoveResult r = removeCreatedDevice(gc.host.mdevs, e, Deadline::after(t + t), t);
    switch (r.status) {
    case RemoveStatus::Removed:
        say(gc, e, "removed (" + why + ")");
        break;
    case RemoveStatus::AlreadyGone:
        say(gc, e, "already gone, counted as removed (" + why + ")");
        break;
    case RemoveStatus::NotOurs:
        say(gc, e, "not removed: " + r.detail + "; journal entry dropped");
        break;
    case RemoveStatus::Failed:
        problem(gc, subjectOf(e) + ": cannot remove it: " + r.detail);
        return;
    }
    if (e.mdevctl_defined && gc.mdevctl) {
        if (auto u = runMdevctl(*gc.mdevctl, {"undefine", "--uuid", e.mdev}, gc.host.env.root,
                                Deadline::after(kMdevctlTimeout));
            !u) {
            problem(gc, subjectOf(e) + ": cannot undefine it with mdevctl: " + u.error().message);
        }
    }
    if (auto rm = gc.journal.remove(e.mdev); !rm) {
        problem(gc, rm.error().message);
    }
}

void handle(Gc& gc, const CreatedEntry& e) {
    auto presence = gc.hv.presence(e.domain_uuid);
    if (!presence) {
        problem(gc, subjectOf(e) + ": kept: " + presence.error().message);
        return;
    }
    if (*presence && ((*presence)->active || (*presence)->persistent)) {
        const auto& p = **presence;
        say(gc, e,
            std::string("kept: domain ") + quoteValue(p.name) + " is " +
                (p.active ? (p.persistent ? "running and defined" : "running") : "defined") +
                " here");
        if (p.persistent) {
            defineWithMdevctl(gc, e);
        }
        return;
    }
    const std::int64_t age = static_cast<std::int64_t>(::time(nullptr)) - e.time;
    if (e.domain_uuid != gc.domain && age < gc.grace) {
        say(gc, e,
            "kept: created " + std::to_string(age) +
                " s ago, its domain may still be arriving (--grace " + std::to_string(gc.grace) +
                ")");
        return;
    }
    auto used = inUse(gc);
    if (!used) {
        problem(gc, subjectOf(e) + ": kept: cannot tell whether a running domain uses it: " +
                        used.error().message);
        return;
    }
    if ((*used)->count(e.mdev) != 0) {
        say(gc, e, "kept: a running domain uses it");
        return;
    }
    collect(gc, e,
            *presence
                ? "domain " + quoteValue((*presence)->name) + " is neither running nor defined"
                : "domain " + e.domain_uuid + " is gone");
}

int run(CliContext& ctx, const Args& a) {
    a.atMostPositional(0);
    std::string domain;
    if (auto d = a.value("domain")) {
        if (!isValidUuid(*d)) {
            throw Fatal("mdev-migcheck gc: --domain " + quoteValue(*d) + " is not a UUID");
        }
        domain = canonicalUuid(*d);
    }
    const long grace = parseGrace(a);
    LocalHost host;
    const CreatedJournal journal(runDirectory(host.env.root.path()));
    auto records = journal.list();
    if (!records) {
        throw Fatal("mdev-migcheck gc: " + records.error().message);
    }
    if (records->empty()) {
        return 0; // nothing journalled: libvirt is not even asked
    }
    auto hv = connectOrThrow(a);
    Gc gc{ctx, host, *hv, journal, domain, grace, findMdevctl(), std::nullopt, 0};
    for (const auto& rec : *records) {
        if (!rec.entry) {
            problem(gc, "skipping journal entry '" + rec.path + "': " + rec.entry.error().message);
            continue;
        }
        handle(gc, *rec.entry);
    }
    return gc.status;
}

} // namespace

Command gcCommand() {
    return {"gc",
            "remove the mdevs the hook created for domains no longer here",
            kHelp,
            {{"connect", 'c', true}, {"domain", 0, true}, {"grace", 0, true}},
            run};
}

} // namespace mdevmc::cli
