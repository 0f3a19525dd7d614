// mdev-migcheck probe: does this host's vendor driver accept a source
// migration_version?
#include "cli/cli.hpp"
#include "cli/decision_output.hpp"
#include "cli/host_env.hpp"
#include "cli/json.hpp"
#include "cli/versions.hpp"
#include "mdev/validate.hpp"
#include "util/errno_name.hpp"

#include <optional>
#include <ostream>

namespace mdevmc::cli {

namespace {

constexpr const char* kHelp =
    "Usage: mdev-migcheck probe --type TYPE [--uuid UUID | --parent PARENT] [--json] VERSION\n"
    "\n"
    "Tests on this host whether the vendor driver accepts VERSION (a\n"
    "migration_version read on a source host): writes it, plus a newline, to the\n"
    "migration_version attribute of the mdev UUID, or of TYPE on PARENT, or of TYPE\n"
    "on every parent that offers it, and reports each answer.  The write is the\n"
    "protocol's compatibility check; it changes nothing on the device.\n"
    "\n"
    "Options:\n"
    "  --type TYPE      the mdev type the version belongs to (required)\n"
    "  --uuid UUID      probe this existing device (it must be of TYPE)\n"
    "  --parent PARENT  probe TYPE on this parent\n"
    "  --json           print JSON\n"
    "  -h, --help       this text\n"
    "\n"
    "Exit status: 0 accepted (by at least one parent when several are probed),\n"
    "1 rejected everywhere (with the errno), 2 usage error or nothing to probe.\n";

struct Target {
    std::string parent;
    std::optional<std::string> uuid; // a device's attribute, not its type's
    VersionLocation where;

    // "PARENT" or "PARENT mdev UUID".
    std::string label() const { return parent + (uuid ? " mdev " + *uuid : ""); }
};

// The answer of R for people.
std::string answerText(const ProbeResult& r, const Config& config) {
    switch (r.status) {
    case ProbeResult::Status::Accepted:
        return "accepted";
    case ProbeResult::Status::Rejected:
        return "rejected (" + errnoName(r.err) + ": " + errnoText(r.err) + ")";
    case ProbeResult::Status::ShortWrite:
        return "rejected (short write: " + std::to_string(r.written) + " of " +
               std::to_string(r.offered) + " bytes)";
    case ProbeResult::Status::TimedOut:
        return "no answer within " + std::to_string(config.attr_timeout.count()) +
               " ms (timed out)";
    case ProbeResult::Status::Missing:
        return "no migration_version attribute (no migration support)";
    case ProbeResult::Status::Invalid:
        return "not probed: " + r.detail;
    case ProbeResult::Status::NotMade:
        return "not probed (" + errnoName(r.err) + ": " + errnoText(r.err) + ")";
    }
    return "";
}

std::vector<Target> targetsFor(const Args& a, const LocalHost& host, const std::string& type) {
    std::vector<Target> targets;
    if (auto u = a.value("uuid")) {
        auto dev = host.mdevs.device(*u, Deadline::never());
        if (!dev) {
            throw Fatal(dev.error());
        }
        if (dev->type_id != type) {
            throw Fatal("mdev-migcheck probe: mdev " + dev->uuid + " is of type " + dev->type_id +
                        ", not " + type);
        }
        targets.push_back({dev->parent, dev->uuid, versionLocation(*dev)});
    } else {
        for (const auto& p : parentsFor("probe", host.mdevs, type, a.value("parent"))) {
            targets.push_back({p, std::nullopt, typeVersionLocation(p, type)});
        }
    }
    return targets;
}

int run(CliContext& ctx, const Args& a) {
    if (a.positional().size() != 1) {
        throw Fatal("mdev-migcheck probe: expected one VERSION argument (see --help)");
    }
    const std::string version = a.positional()[0];
    if (auto ok = checkVersion(version); !ok) {
        throw Fatal("mdev-migcheck probe: " + ok.error().message);
    }
    const auto type = a.value("type");
    if (!type) {
        throw Fatal("mdev-migcheck probe: --type TYPE is required");
    }
    if (!isValidName(*type)) {
        throw Fatal("mdev-migcheck probe: " + quoteValue(*type) + " is not a valid mdev type id");
    }
    if (a.has("uuid") && a.has("parent")) {
        throw Fatal("mdev-migcheck probe: give --uuid or --parent, not both");
    }
    const LocalHost host;
    const std::vector<Target> targets = targetsFor(a, host, *type);
    const Deadline deadline = Deadline::after(host.env.config.timeout);
    bool any = false;
    Json json = Json::array();
    for (const auto& t : targets) {
        const ProbeResult r = probeVersion(host.mdevs.io(), t.where, version,
                                           deadline.capped(host.env.config.attr_timeout));
        any = any || r.accepted();
        if (a.has("json")) {
            json.push_back({
                {"parent", t.parent},
                {"type", *type},
                {"uuid", t.uuid ? Json(*t.uuid) : Json(nullptr)},
                {"accepts", r.accepted()},
                {"result", probeResultName(r.status)},
                {"errno", errnoJson(r.err)},
            });
        } else {
            ctx.out << t.label() << ": " << answerText(r, host.env.config) << '\n';
        }
    }
    if (a.has("json")) {
        printJson(ctx.out, json);
    }
    return any ? 0 : 1;
}

} // namespace

Command probeCommand() {
    return {"probe",
            "test whether this host accepts a source migration_version",
            kHelp,
            {{"type", 0, true}, {"uuid", 0, true}, {"parent", 0, true}, {"json", 0, false}},
            run};
}

} // namespace mdevmc::cli
