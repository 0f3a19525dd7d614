// mdev-migcheck migration-version: the migration_version of a device or of
// a type (formerly 'version', still accepted for a release).
#include "cli/cli.hpp"
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
    "Usage: mdev-migcheck migration-version UUID [--json]\n"
    "       mdev-migcheck migration-version TYPE --parent PARENT [--json]\n"
    "       mdev-migcheck migration-version TYPE [--json]\n"
    "\n"
    "Prints a migration_version of this host.  The first two forms print the\n"
    "version alone: the one of the mdev UUID (its own attribute if it has one, else\n"
    "its type's), or the one of mdev type TYPE on PARENT.  The third prints one line\n"
    "per parent offering TYPE, 'PARENT VERSION', however many parents there are.\n"
    "A script that needs one value names the device or the parent:\n"
    "  probe --type T \"$(ssh SRC mdev-migcheck migration-version T --parent P)\"\n"
    "'version' is a deprecated name of this command.\n"
    "\n"
    "Options:\n"
    "  --parent PARENT  the parent device (with TYPE)\n"
    "  --json           print JSON\n"
    "  -h, --help       this text\n"
    "\n"
    "Exit status: 0 printed, 1 an attribute is missing or unreadable (the device or\n"
    "type does not support migration), 2 usage error or no such device or type.\n";

struct Row {
    std::string parent;
    std::string type;
    std::optional<std::string> uuid; // for a device
    std::string subject;             // for messages: "mdev UUID (TYPE)", "type T on parent P"
    VersionRead r;
};

std::string whyUnreadable(const VersionRead& r) {
    switch (r.status) {
    case VersionRead::Status::Missing:
        return "is absent: no migration support";
    case VersionRead::Status::TimedOut:
        return "read timed out";
    case VersionRead::Status::Invalid:
        return "is invalid: " + r.detail;
    default:
        return "cannot be read: " + errnoName(r.err) + ": " + errnoText(r.err);
    }
}

int run(CliContext& ctx, const Args& a) {
    if (a.positional().size() != 1) {
        throw Fatal("mdev-migcheck migration-version: expected one UUID or TYPE (see --help)");
    }
    const std::string what = a.positional()[0];
    const LocalHost host;
    const Deadline deadline = Deadline::after(host.env.config.timeout);
    const auto bounded = [&] { return deadline.capped(host.env.config.attr_timeout); };
    std::vector<Row> rows;
    if (isValidUuid(what)) {
        if (a.has("parent")) {
            throw Fatal("mdev-migcheck migration-version: --parent goes with a TYPE, not a UUID");
        }
        auto dev = host.mdevs.device(what, deadline);
        if (!dev) {
            throw Fatal(dev.error());
        }
        rows.push_back({dev->parent, dev->type_id, dev->uuid,
                        "mdev " + dev->uuid + " (" + dev->type_id + ")",
                        readVersion(host.mdevs.io(), versionLocation(*dev), bounded())});
    } else {
        if (!isValidName(what)) {
            throw Fatal("mdev-migcheck migration-version: " + quoteValue(what) +
                        " is neither a UUID nor a valid mdev type id");
        }
        for (const auto& p : parentsFor("migration-version", host.mdevs, what, a.value("parent"))) {
            rows.push_back({p, what, std::nullopt, "type " + what + " on parent " + p,
                            readVersion(host.mdevs.io(), typeVersionLocation(p, what), bounded())});
        }
    }
    // A plain value when one was named (a device, a type on a parent); else
    // 'PARENT VERSION' lines, one or many.
    const bool plain = isValidUuid(what) || a.has("parent");
    bool all_ok = true;
    Json json = Json::array();
    for (const Row& row : rows) {
        all_ok = all_ok && row.r.ok();
        if (a.has("json")) {
            Json o{{"parent", row.parent},
                   {"type", row.type},
                   {"uuid", row.uuid ? Json(*row.uuid) : Json(nullptr)}};
            addVersionJson(o, row.r);
            json.push_back(std::move(o));
        } else if (row.r.ok()) {
            ctx.out << (plain ? "" : row.parent + " ") << row.r.version << '\n';
        } else {
            ctx.err << "mdev-migcheck migration-version: " << row.subject << ": migration_version "
                    << whyUnreadable(row.r) << '\n';
        }
    }
    if (a.has("json")) {
        printJson(ctx.out, json);
    }
    return all_ok ? 0 : 1;
}

} // namespace

Command migrationVersionCommand() {
    return {"migration-version",
            "print the migration_version of a device or type",
            kHelp,
            {{"parent", 0, true}, {"json", 0, false}},
            run};
}

} // namespace mdevmc::cli
