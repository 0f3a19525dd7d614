#include "cli/cli_host.hpp"

#include "check/report.hpp"
#include "cli/cli_args.hpp"
#include "cli/cli_support.hpp"
#include "mdev/host.hpp"
#include "mdev/migration_version.hpp"
#include "mdev/validate.hpp"
#include "util/errno_name.hpp"

#include <iomanip>
#include <ostream>

namespace mdevmc {

namespace {

constexpr const char* kListHelp =
    "Usage: mdev-migcheck list [--json]\n"
    "\n"
    "Lists this host's mdev parent devices, the types they offer (with\n"
    "available_instances and the type's migration_version, or why it cannot be\n"
    "read) and the mediated devices that exist (with the migration_version the\n"
    "source side would record: the per-device attribute if there is one, else the\n"
    "type's).\n"
    "\n"
    "Options:\n"
    "  --json       print JSON\n"
    "  -h, --help   this text\n"
    "\n"
    "Exit status: 0 listed, 2 error.\n";

constexpr const char* kVersionHelp =
    "Usage: mdev-migcheck version UUID [--json]\n"
    "       mdev-migcheck version TYPE [--parent PARENT] [--json]\n"
    "\n"
    "Prints a migration_version of this host: the one of the mdev UUID (its own\n"
    "attribute if it has one, else its type's), or the one of mdev type TYPE on\n"
    "PARENT, or on every parent offering TYPE (one line each: PARENT VERSION).\n"
    "\n"
    "Options:\n"
    "  --parent PARENT  the parent device (with TYPE)\n"
    "  --json           print JSON\n"
    "  -h, --help       this text\n"
    "\n"
    "Exit status: 0 printed, 1 an attribute is missing or unreadable (the device or\n"
    "type does not support migration), 2 usage error or no such device or type.\n";

constexpr const char* kProbeHelp =
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

std::string readState(const VersionRead& r) {
    switch (r.status) {
    case VersionRead::Status::Ok:
        return r.version;
    case VersionRead::Status::Missing:
        return "(absent)";
    case VersionRead::Status::Failed:
        return "(" + errnoName(r.err) + ")";
    case VersionRead::Status::TimedOut:
        return "(timed out)";
    case VersionRead::Status::Invalid:
        return "(invalid)";
    }
    return "";
}

std::string readError(const VersionRead& r) {
    switch (r.status) {
    case VersionRead::Status::Ok:
        return "";
    case VersionRead::Status::Missing:
        return "ENOENT";
    case VersionRead::Status::TimedOut:
        return "ETIMEDOUT";
    default:
        return errnoName(r.err != 0 ? r.err : EINVAL);
    }
}

std::string jsonOpt(const std::string& s) {
    return s.empty() ? "null" : jsonString(s);
}

std::string jsonVersion(const VersionRead& r) {
    return "\"migration_version\": " + (r.ok() ? jsonString(r.version) : std::string("null")) +
           ", \"migration_version_error\": " + jsonOpt(readError(r));
}

void noPositional(const std::string& cmd, const CliArgs& a, std::size_t allowed) {
    if (a.positional().size() > allowed) {
        throw Fatal("mdev-migcheck " + cmd + ": unexpected argument '" + a.positional()[allowed] +
                    "'");
    }
}

// The parents to look at for TYPE: PARENT if given (it must offer TYPE),
// else every parent that offers it (there must be one).
std::vector<std::string> parentsFor(const std::string& cmd, const MdevHost& mdevs,
                                    const std::string& type,
                                    const std::optional<std::string>& parent) {
    const std::string who = "mdev-migcheck " + cmd + ": ";
    if (parent) {
        if (!isValidName(*parent)) {
            throw Fatal(who + quoteValue(*parent) + " is not a valid parent device name");
        }
        auto ts = mdevs.types(*parent);
        if (!ts || !std::binary_search(ts->begin(), ts->end(), type)) {
            throw Fatal(who + "parent '" + *parent + "' offers no type '" + type + "'");
        }
        return {*parent};
    }
    auto ps = mdevs.parentsOffering(type);
    if (!ps) {
        throw Fatal(ps.error());
    }
    if (ps->empty()) {
        throw Fatal(who + "no parent on this host offers type '" + type + "'");
    }
    return *ps;
}

} // namespace

int cmdList(CliContext& ctx, const std::vector<std::string>& args) {
    if (wantsHelp(args)) {
        ctx.out << kListHelp;
        return 0;
    }
    const CliArgs a("list", args, {{"json", 0, false}});
    noPositional("list", a, 0);
    HostEnv host = openHost();
    WorkerAttrIo io(host.root);
    const MdevHost mdevs(host.root, io);
    const Deadline deadline = Deadline::after(host.config.timeout);
    const auto bounded = [&] { return deadline.capped(host.config.attr_timeout); };

    auto parents = mdevs.parents();
    if (!parents) {
        throw Fatal(parents.error());
    }
    auto devices = mdevs.devices();
    if (!devices) {
        throw Fatal(devices.error());
    }
    struct TypeRow {
        MdevTypeInfo info;
        VersionRead version;
    };
    std::vector<TypeRow> types;
    for (const auto& p : *parents) {
        auto ts = mdevs.types(p);
        if (!ts) {
            continue;
        }
        for (const auto& t : *ts) {
            types.push_back({mdevs.typeInfo(p, t, bounded()),
                             readVersion(io, typeVersionLocation(p, t), bounded())});
        }
    }
    struct DevRow {
        MdevDevice dev;
        VersionLocation where;
        VersionRead version;
    };
    std::vector<DevRow> devs;
    for (const auto& d : *devices) {
        const VersionLocation where = versionLocation(host.root, d);
        devs.push_back({d, where, readVersion(io, where, bounded())});
    }

    if (a.has("json")) {
        ctx.out << "{\"types\": [";
        for (std::size_t i = 0; i < types.size(); ++i) {
            const auto& t = types[i];
            ctx.out << (i ? ", " : "") << "{\"parent\": " << jsonString(t.info.parent)
                    << ", \"type\": " << jsonString(t.info.id)
                    << ", \"name\": " << jsonOpt(t.info.name.value_or(""))
                    << ", \"device_api\": " << jsonOpt(t.info.device_api.value_or(""))
                    << ", \"available_instances\": "
                    << (t.info.available_instances ? std::to_string(*t.info.available_instances)
                                                   : std::string("null"))
                    << ", " << jsonVersion(t.version) << "}";
        }
        ctx.out << "], \"devices\": [";
        for (std::size_t i = 0; i < devs.size(); ++i) {
            const auto& d = devs[i];
            ctx.out << (i ? ", " : "") << "{\"uuid\": " << jsonString(d.dev.uuid)
                    << ", \"parent\": " << jsonString(d.dev.parent)
                    << ", \"type\": " << jsonString(d.dev.type_id)
                    << ", \"per_device\": " << (d.where.per_device ? "true" : "false") << ", "
                    << jsonVersion(d.version) << "}";
        }
        ctx.out << "]}\n";
        return 0;
    }
    if (types.empty()) {
        ctx.out << "no mdev parent device on this host\n";
        return 0;
    }
    std::size_t pw = 6, tw = 4, nw = 4;
    for (const auto& t : types) {
        pw = std::max(pw, t.info.parent.size());
        tw = std::max(tw, t.info.id.size());
        nw = std::max(nw, t.info.name.value_or("-").size());
    }
    auto col = [](std::size_t w) { return std::setw(static_cast<int>(w + 2)); };
    ctx.out << std::left << col(pw) << "PARENT" << col(tw) << "TYPE" << col(nw) << "NAME" << col(10)
            << "API" << col(9) << "AVAILABLE"
            << "MIGRATION_VERSION\n";
    for (const auto& t : types) {
        ctx.out << std::left << col(pw) << t.info.parent << col(tw) << t.info.id << col(nw)
                << t.info.name.value_or("-") << col(10) << t.info.device_api.value_or("-") << col(9)
                << (t.info.available_instances ? std::to_string(*t.info.available_instances)
                                               : std::string("-"))
                << readState(t.version) << '\n';
    }
    ctx.out << '\n';
    if (devs.empty()) {
        ctx.out << "no mediated device on this host\n";
        return 0;
    }
    ctx.out << std::left << std::setw(38) << "UUID" << col(pw) << "PARENT" << col(tw) << "TYPE"
            << "MIGRATION_VERSION\n";
    for (const auto& d : devs) {
        ctx.out << std::left << std::setw(38) << d.dev.uuid << col(pw) << d.dev.parent << col(tw)
                << d.dev.type_id << readState(d.version)
                << (d.where.per_device ? " (per device)" : "") << '\n';
    }
    return 0;
}

int cmdVersion(CliContext& ctx, const std::vector<std::string>& args) {
    if (wantsHelp(args)) {
        ctx.out << kVersionHelp;
        return 0;
    }
    const CliArgs a("version", args, {{"parent", 0, true}, {"json", 0, false}});
    if (a.positional().size() != 1) {
        throw Fatal("mdev-migcheck version: expected one UUID or TYPE (see --help)");
    }
    const std::string what = a.positional()[0];
    HostEnv host = openHost();
    WorkerAttrIo io(host.root);
    const MdevHost mdevs(host.root, io);
    const Deadline deadline = Deadline::after(host.config.timeout);
    struct Row {
        std::string parent;
        std::string subject;
        VersionRead r;
    };
    std::vector<Row> rows;
    if (isValidUuid(what)) {
        if (a.has("parent")) {
            throw Fatal("mdev-migcheck version: --parent goes with a TYPE, not a UUID");
        }
        auto dev = mdevs.device(what);
        if (!dev) {
            throw Fatal(dev.error());
        }
        rows.push_back({dev->parent, "mdev " + dev->uuid + " (" + dev->type_id + ")",
                        readVersion(io, versionLocation(host.root, *dev),
                                    deadline.capped(host.config.attr_timeout))});
    } else {
        if (!isValidName(what)) {
            throw Fatal("mdev-migcheck version: " + quoteValue(what) +
                        " is neither a UUID nor a valid mdev type id");
        }
        for (const auto& p : parentsFor("version", mdevs, what, a.value("parent"))) {
            rows.push_back({p, "type " + what + " on parent " + p,
                            readVersion(io, typeVersionLocation(p, what),
                                        deadline.capped(host.config.attr_timeout))});
        }
    }
    bool all_ok = true;
    if (a.has("json")) {
        ctx.out << "[";
    }
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Row& row = rows[i];
        all_ok = all_ok && row.r.ok();
        if (a.has("json")) {
            ctx.out << (i ? ", " : "") << "{\"parent\": " << jsonString(row.parent) << ", "
                    << jsonVersion(row.r) << "}";
        } else if (row.r.ok()) {
            ctx.out << (rows.size() > 1 ? row.parent + " " : "") << row.r.version << '\n';
        } else {
            ctx.err << "mdev-migcheck: " << row.subject << ": migration_version "
                    << (row.r.status == VersionRead::Status::Missing
                            ? std::string("is absent: no migration support")
                        : row.r.status == VersionRead::Status::TimedOut
                            ? std::string("read timed out")
                        : row.r.status == VersionRead::Status::Invalid
                            ? "is invalid: " + row.r.detail
                            : "cannot be read: " + errnoName(row.r.err) + ": " +
                                  errnoText(row.r.err))
                    << '\n';
        }
    }
    if (a.has("json")) {
        ctx.out << "]\n";
    }
    return all_ok ? 0 : 1;
}

int cmdProbe(CliContext& ctx, const std::vector<std::string>& args) {
    if (wantsHelp(args)) {
        ctx.out << kProbeHelp;
        return 0;
    }
    const CliArgs a(
        "probe", args,
        {{"type", 0, true}, {"uuid", 0, true}, {"parent", 0, true}, {"json", 0, false}});
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
    HostEnv host = openHost();
    WorkerAttrIo io(host.root);
    const MdevHost mdevs(host.root, io);
    struct Target {
        std::string label;
        VersionLocation where;
    };
    std::vector<Target> targets;
    if (auto u = a.value("uuid")) {
        auto dev = mdevs.device(*u);
        if (!dev) {
            throw Fatal(dev.error());
        }
        if (dev->type_id != *type) {
            throw Fatal("mdev-migcheck probe: mdev " + dev->uuid + " is of type " + dev->type_id +
                        ", not " + *type);
        }
        targets.push_back({dev->parent + " mdev " + dev->uuid, versionLocation(host.root, *dev)});
    } else {
        for (const auto& p : parentsFor("probe", mdevs, *type, a.value("parent"))) {
            targets.push_back({p, typeVersionLocation(p, *type)});
        }
    }
    const Deadline deadline = Deadline::after(host.config.timeout);
    bool any = false;
    if (a.has("json")) {
        ctx.out << "[";
    }
    for (std::size_t i = 0; i < targets.size(); ++i) {
        const ProbeResult r =
            probeVersion(io, targets[i].where, version, deadline.capped(host.config.attr_timeout));
        any = any || r.accepted();
        std::string text;
        std::string result;
        switch (r.status) {
        case ProbeResult::Status::Accepted:
            result = "accepted";
            text = "accepted";
            break;
        case ProbeResult::Status::Rejected:
            result = "rejected";
            text = "rejected (" + errnoName(r.err) + ": " + errnoText(r.err) + ")";
            break;
        case ProbeResult::Status::ShortWrite:
            result = "short-write";
            text = "rejected (short write: " + std::to_string(r.written) + " of " +
                   std::to_string(r.offered) + " bytes)";
            break;
        case ProbeResult::Status::TimedOut:
            result = "timed-out";
            text = "no answer within " + std::to_string(host.config.attr_timeout.count()) +
                   " ms (timed out)";
            break;
        case ProbeResult::Status::Missing:
            result = "no-migration-version";
            text = "no migration_version attribute (no migration support)";
            break;
        case ProbeResult::Status::Invalid:
            result = "not-probed";
            text = "not probed: " + r.detail;
            break;
        }
        if (a.has("json")) {
            ctx.out << (i ? ", " : "") << "{\"target\": " << jsonString(targets[i].label)
                    << ", \"result\": " << jsonString(result) << ", \"errno\": "
                    << (r.err != 0 ? jsonString(errnoName(r.err)) : std::string("null")) << "}";
        } else {
            ctx.out << targets[i].label << ": " << text << '\n';
        }
    }
    if (a.has("json")) {
        ctx.out << "]\n";
    }
    return any ? 0 : 1;
}

} // namespace mdevmc
