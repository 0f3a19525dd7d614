// mdev-migcheck preflight: which of the given hosts can take which of this
// host's VMs, asked of each host over ssh (its `check --json`), and with
// --plan an assignment of every VM to one of them.
#include "check/recording.hpp"
#include "cli/cli.hpp"
#include "cli/host_env.hpp"
#include "cli/json.hpp"
#include "cli/preflight_cell.hpp"
#include "cli/preflight_plan.hpp"
#include "cli/preflight_target.hpp"
#include "cli/preflight_transport.hpp"
#include "util/escape.hpp"
#include "util/texttable.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <ostream>
#include <set>

namespace mdevmc::cli {

namespace {

constexpr const char* kHelp =
    "Usage: mdev-migcheck preflight [-c URI] --to HOST[,HOST...] [--plan] [--json] DOMAIN...\n"
    "       mdev-migcheck preflight [-c URI] --to HOST[,HOST...] --all [--plan] [--json]\n"
    "       mdev-migcheck preflight --xml FILE [--xml FILE...] --to HOST[,HOST...] ...\n"
    "\n"
    "Asks each target host whether it could take each domain: the domain's\n"
    "migratable XML, with this host's record of its mdevs added to its metadata\n"
    "(as 'annotate --xml' adds it), is sent to 'mdev-migcheck check --xml - --json'\n"
    "on every target over ssh, all targets at once, each within --timeout.  Run it on\n"
    "the source host.  Prints one row per domain and target: DOMAIN, TARGET, VERDICT\n"
    "(compatible; provision: a device is missing there but a compatible parent has\n"
    "an instance for it; refused; error: no answer), EVIDENCE, REASON and DETAIL.\n"
    "An unreachable target, a failed ssh, a target without mdev-migcheck or with an\n"
    "older one is an error in its own cells.  Nothing is migrated or created.\n"
    "\n"
    "A target is a host name, user@host, or a libvirt URI whose user, host and port\n"
    "are used (qemu+ssh://root@hostB:2222/system).  ssh runs in batch mode (no\n"
    "password prompt: key-based login), with the caller's ssh configuration.\n"
    "\n"
    "Options:\n"
    "  --to HOST[,HOST...]  the target hosts (repeatable)\n"
    "  --all                every running domain with mdev hostdevs\n"
    "  -c, --connect URI    libvirt connection holding the domains (default\n"
    "                       qemu:///system)\n"
    "  --xml FILE           a domain XML file instead of libvirt ('-' for standard\n"
    "                       input; repeatable)\n"
    "  --plan               assign each domain to the first target, in the order\n"
    "                       given, that can take it, counting the instances the\n"
    "                       devices to be created consume across the domains placed\n"
    "  --json               print JSON instead of tables\n"
    "  --timeout SECONDS    how long each target may take for each domain (default\n"
    "                       30; ssh's ConnectTimeout is at most 10)\n"
    "  --ssh PROGRAM        the ssh program (default: $MDEV_MIGCHECK_SSH, else ssh)\n"
    "  -h, --help           this text\n"
    "\n"
    "Exit status: 0 every domain has a target that can take it (with --plan: every\n"
    "domain placed), 1 some domain has none, 2 usage or input error.\n";

const std::string kWho = "mdev-migcheck preflight: ";

struct SourceDomain {
    std::string name;
    std::string xml; // with this host's record
};

std::vector<Target> targetsOf(const Args& a) {
    std::vector<Target> targets;
    std::set<std::string> seen;
    for (const auto& v : a.values("to")) {
        std::size_t from = 0;
        for (;;) {
            const auto comma = v.find(',', from);
            const std::string spec = v.substr(from, comma - from);
            auto t = parseTarget(spec);
            if (!t) {
                throw Fatal(kWho + t.error().message);
            }
            if (!seen.insert(spec).second) {
                throw Fatal(kWho + "target '" + spec + "' is given twice");
            }
            targets.push_back(std::move(*t));
            if (comma == std::string::npos) {
                break;
            }
            from = comma + 1;
        }
    }
    if (targets.empty()) {
        throw Fatal(kWho + "name the target hosts with --to HOST[,HOST...] (see --help)");
    }
    return targets;
}

int secondsOption(const Args& a) {
    const std::string v = a.value("timeout").value_or("30");
    int s = 0;
    const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), s);
    if (ec != std::errc() || p != v.data() + v.size() || s < 1 || s > 3600) {
        throw Fatal(kWho + "--timeout '" + v + "' is not a number of seconds from 1 to 3600");
    }
    return s;
}

std::string sshProgram(const Args& a) {
    std::string ssh = a.value("ssh").value_or("");
    if (ssh.empty() && !a.has("ssh")) {
        const char* env = std::getenv("MDEV_MIGCHECK_SSH");
        ssh = env != nullptr && *env != '\0' ? env : "ssh";
    }
    if (ssh.empty()) {
        throw Fatal(kWho + "--ssh needs a program");
    }
    return ssh;
}

// XML with this host's record of its mdevs, as text.
std::string withRecord(DomainXml& xml, const LocalHost& host) {
    xml.setMetadata(recordDevices(xml.mdevHostdevs(), host.mdevs, hostName(), host.env.config,
                                  Deadline::after(host.env.config.timeout)));
    return xml.serialize();
}

std::vector<SourceDomain> domainsFromFiles(CliContext& ctx, const Args& a, const LocalHost& host) {
    std::vector<SourceDomain> out;
    for (const auto& file : a.values("xml")) {
        DomainXml xml = readDomainXml(ctx, file);
        out.push_back({xml.name(), withRecord(xml, host)});
    }
    return out;
}

// D's XML as a migration would send it, parsed.
Result<DomainXml> migratableXml(Hypervisor& hv, const DomainRef& d) {
    auto text = hv.migratableXml(d);
    if (!text) {
        return Unexpected(text.error());
    }
    auto xml = DomainXml::parse(*text);
    if (!xml) {
        return fail("domain '" + d.name + "': " + xml.error().message, xml.error().err);
    }
    return xml;
}

// DOMAIN... or --all (then only those with mdev hostdevs); a domain that
// went away under --all is reported and RC set to 1.
std::vector<SourceDomain> domainsFromLibvirt(CliContext& ctx, const Args& a, const LocalHost& host,
                                             int& rc) {
    auto hv = connectOrThrow(a);
    std::vector<DomainRef> refs;
    if (a.has("all")) {
        auto all = hv->activeDomains();
        if (!all) {
            throw Fatal(kWho + all.error().message);
        }
        refs = std::move(*all);
        // libvirt lists them in no particular order; the plan places them
        // in this one.
        std::sort(refs.begin(), refs.end(),
                  [](const DomainRef& x, const DomainRef& y) { return x.name < y.name; });
    } else {
        for (const auto& spec : a.positional()) {
            auto d = hv->lookup(spec);
            if (!d) {
                throw Fatal(kWho + d.error().message);
            }
            refs.push_back(std::move(*d));
        }
    }
    std::vector<SourceDomain> out;
    for (const auto& d : refs) {
        auto xml = migratableXml(*hv, d);
        if (!xml) {
            if (!a.has("all")) {
                throw Fatal(kWho + xml.error().message);
            }
            ctx.err << kWho << "domain '" << escapeLine(d.name)
                    << "': " << escapeLine(xml.error().message) << '\n';
            rc = 1;
            continue;
        }
        if (a.has("all") && xml->mdevHostdevs().empty()) {
            continue;
        }
        out.push_back({d.name, withRecord(*xml, host)});
    }
    return out;
}

Json cellJson(const Cell& c) {
    return Json{
        {"domain", c.domain},
        {"target", c.target},
        {"host", c.host.empty() ? Json(nullptr) : Json(c.host)},
        {"mdev_migcheck_version",
         c.remote_version.empty() ? Json(nullptr) : Json(c.remote_version)},
        {"verdict", cellVerdictName(c.verdict)},
        {"evidence", c.evidence},
        {"reason", c.reason},
        {"detail", c.detail},
        {"provision", {{"needed", c.provision_needed}, {"possible", c.provision_possible}}},
        {"devices", c.devices_json.empty() ? Json(nullptr) : Json::parse(c.devices_json)},
    };
}

Json planJson(const std::vector<Placement>& plan) {
    Json out = Json::array();
    for (const auto& p : plan) {
        Json create = Json::array();
        for (const auto& c : p.create) {
            create.push_back({{"uuid", c.uuid}, {"type", c.type}, {"parent", c.parent}});
        }
        out.push_back({
            {"domain", p.domain},
            {"target", p.target ? Json(*p.target) : Json(nullptr)},
            {"create", std::move(create)},
            {"why", p.target ? Json(nullptr) : Json(p.why)},
        });
    }
    return out;
}

void printTables(CliContext& ctx, const std::vector<Cell>& cells,
                 const std::optional<std::vector<Placement>>& plan) {
    TextTable t;
    t.addRow({"DOMAIN", "TARGET", "VERDICT", "EVIDENCE", "REASON", "DETAIL"});
    for (const auto& c : cells) {
        t.addRow({escapeLine(c.domain), escapeLine(c.target), cellVerdictName(c.verdict),
                  escapeLine(c.evidence), escapeLine(c.reason), escapeLine(c.detail)});
    }
    ctx.out << t;
    if (!plan) {
        return;
    }
    TextTable p;
    p.addRow({"DOMAIN", "PLACED ON", "CREATE THERE"});
    for (const auto& pl : *plan) {
        std::string create;
        for (const auto& c : pl.create) {
            create += (create.empty() ? "" : ", ") +
                      ("mdev " + c.uuid + " (" + c.type + ") on " + c.parent);
        }
        p.addRow({escapeLine(pl.domain), pl.target ? escapeLine(*pl.target) : "-",
                  pl.target ? (create.empty() ? "-" : escapeLine(create))
                            : "not placed: " + escapeLine(pl.why)});
    }
    ctx.out << "\nplan:\n" << p;
}

// 0 if every domain can go somewhere (with PLAN: was placed), else 1.
int exitStatus(const std::vector<SourceDomain>& doms, const std::vector<Cell>& cells,
               const std::optional<std::vector<Placement>>& plan) {
    if (plan) {
        for (const auto& p : *plan) {
            if (!p.target) {
                return 1;
            }
        }
        return 0;
    }
    for (const auto& d : doms) {
        bool somewhere = false;
        for (const auto& c : cells) {
            somewhere = somewhere || (c.domain == d.name && (c.verdict == CellVerdict::Compatible ||
                                                             c.verdict == CellVerdict::Provision));
        }
        if (!somewhere) {
            return 1;
        }
    }
    return 0;
}

// Every domain of DOMS asked of every target of TARGETS, all at once: one
// cell per pair, domain by domain.
std::vector<Cell> askTargets(const std::vector<SourceDomain>& doms,
                             const std::vector<Target>& targets, const std::string& ssh,
                             const ChildLimits& limits) {
    const auto connect_timeout = std::min<std::chrono::seconds>(
        std::chrono::duration_cast<std::chrono::seconds>(limits.timeout), std::chrono::seconds(10));
    std::vector<ChildJob> jobs;
    jobs.reserve(doms.size() * targets.size());
    for (const auto& d : doms) {
        for (const auto& t : targets) {
            jobs.push_back({sshArgv(ssh, t, connect_timeout), d.xml, t.host});
        }
    }
    const std::vector<ChildOutcome> outcomes = runChildren(jobs, limits);
    std::vector<Cell> cells;
    cells.reserve(outcomes.size());
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        cells.push_back(readCell(doms[i / targets.size()].name, targets[i % targets.size()].spec,
                                 outcomes[i], limits));
    }
    return cells;
}

void checkUsage(const Args& a) {
    if (a.has("xml") && (!a.positional().empty() || a.has("all") || a.has("connect"))) {
        throw Fatal(kWho + "--xml takes no domain, --all or --connect");
    }
    if (!a.has("xml") && a.has("all") == !a.positional().empty()) {
        throw Fatal(kWho + "name the domains, or give --all or --xml FILE (see --help)");
    }
}

int run(CliContext& ctx, const Args& a) {
    checkUsage(a);
    const std::vector<Target> targets = targetsOf(a);
    const ChildLimits limits{std::chrono::seconds(secondsOption(a))};
    const std::string ssh = sshProgram(a);

    const LocalHost host;
    int rc = 0;
    const std::vector<SourceDomain> doms =
        a.has("xml") ? domainsFromFiles(ctx, a, host) : domainsFromLibvirt(ctx, a, host, rc);
    std::set<std::string> names;
    for (const auto& d : doms) {
        if (!names.insert(d.name).second) {
            throw Fatal(kWho + "domain '" + d.name + "' is given twice");
        }
    }
    if (doms.empty() && !a.has("json")) {
        ctx.out << "no running domain with mdev hostdevs: nothing to check\n";
        return rc;
    }
    const std::vector<Cell> cells = askTargets(doms, targets, ssh, limits);
    std::vector<std::string> domain_names;
    domain_names.reserve(doms.size());
    for (const auto& d : doms) {
        domain_names.push_back(d.name);
    }
    std::vector<std::string> target_specs;
    target_specs.reserve(targets.size());
    for (const auto& t : targets) {
        target_specs.push_back(t.spec);
    }
    std::optional<std::vector<Placement>> plan;
    if (a.has("plan")) {
        plan = planPlacements(domain_names, target_specs, cells);
    }
    if (a.has("json")) {
        Json jcells = Json::array();
        for (const auto& c : cells) {
            jcells.push_back(cellJson(c));
        }
        Json doc{{"source", hostName()}, {"cells", std::move(jcells)}};
        if (plan) {
            doc["plan"] = planJson(*plan);
        }
        printJson(ctx.out, doc);
    } else {
        printTables(ctx, cells, plan);
    }
    return std::max(rc, exitStatus(doms, cells, plan));
}

} // namespace

Command preflightCommand() {
    return {"preflight",
            "ask other hosts whether they could take this host's VMs",
            kHelp,
            {{"connect", 'c', true},
             {"to", 0, true},
             {"all", 0, false},
             {"xml", 0, true},
             {"plan", 0, false},
             {"json", 0, false},
             {"timeout", 0, true},
             {"ssh", 0, true}},
            run};
}

} // namespace mdevmc::cli
