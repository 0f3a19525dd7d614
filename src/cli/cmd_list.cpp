// mdev-migcheck list: this host's mdev parents, types and devices, with
// their migration_version.
#include "cli/cli.hpp"
#include "cli/host_env.hpp"
#include "cli/json.hpp"
#include "cli/versions.hpp"
#include "util/texttable.hpp"

#include <ostream>

namespace mdevmc::cli {

namespace {

constexpr const char* kHelp =
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

struct TypeRow {
    MdevTypeInfo info;
    VersionRead version;
};

struct DeviceRow {
    MdevDevice dev;
    VersionLocation where;
    VersionRead version;
};

void printJsonList(CliContext& ctx, const std::vector<TypeRow>& types,
                   const std::vector<DeviceRow>& devs) {
    Json jtypes = Json::array();
    for (const auto& t : types) {
        Json o{
            {"parent", t.info.parent},
            {"type", t.info.id},
            {"name", stringOrNull(t.info.name)},
            {"device_api", stringOrNull(t.info.device_api)},
            {"available_instances",
             t.info.available_instances ? Json(*t.info.available_instances) : Json(nullptr)},
        };
        addVersionJson(o, t.version);
        jtypes.push_back(std::move(o));
    }
    Json jdevs = Json::array();
    for (const auto& d : devs) {
        Json o{
            {"uuid", d.dev.uuid},
            {"parent", d.dev.parent},
            {"type", d.dev.type_id},
            {"per_device", d.where.per_device},
        };
        addVersionJson(o, d.version);
        jdevs.push_back(std::move(o));
    }
    printJson(ctx.out, Json{{"types", std::move(jtypes)}, {"devices", std::move(jdevs)}});
}

void printTables(CliContext& ctx, const std::vector<TypeRow>& types,
                 const std::vector<DeviceRow>& devs) {
    if (types.empty()) {
        ctx.out << "no mdev parent device on this host\n";
        return;
    }
    TextTable tt;
    tt.addRow({"PARENT", "TYPE", "NAME", "API", "AVAILABLE", "MIGRATION_VERSION"});
    for (const auto& t : types) {
        tt.addRow({t.info.parent, t.info.id, t.info.name.value_or("-"),
                   t.info.device_api.value_or("-"),
                   t.info.available_instances ? std::to_string(*t.info.available_instances) : "-",
                   versionCell(t.version)});
    }
    ctx.out << tt << '\n';
    if (devs.empty()) {
        ctx.out << "no mediated device on this host\n";
        return;
    }
    TextTable dt;
    dt.addRow({"UUID", "PARENT", "TYPE", "MIGRATION_VERSION"});
    for (const auto& d : devs) {
        dt.addRow({d.dev.uuid, d.dev.parent, d.dev.type_id,
                   versionCell(d.version) + (d.where.per_device ? " (per device)" : "")});
    }
    ctx.out << dt;
}

int run(CliContext& ctx, const Args& a) {
    a.atMostPositional(0);
    const LocalHost host;
    const Deadline deadline = Deadline::after(host.env.config.timeout);
    const auto bounded = [&] { return deadline.capped(host.env.config.attr_timeout); };

    auto parents = host.mdevs.parents();
    if (!parents) {
        throw Fatal(parents.error());
    }
    auto devices = host.mdevs.devices();
    if (!devices) {
        throw Fatal(devices.error());
    }
    std::vector<TypeRow> types;
    for (const auto& p : *parents) {
        auto ts = host.mdevs.types(p);
        if (!ts) {
            continue;
        }
        for (const auto& t : *ts) {
            types.push_back({host.mdevs.typeInfo(p, t, bounded()),
                             readVersion(host.mdevs.io(), typeVersionLocation(p, t), bounded())});
        }
    }
    std::vector<DeviceRow> devs;
    for (const auto& d : *devices) {
        const VersionLocation where = versionLocation(host.env.root, d);
        devs.push_back({d, where, readVersion(host.mdevs.io(), where, bounded())});
    }
    if (a.has("json")) {
        printJsonList(ctx, types, devs);
    } else {
        printTables(ctx, types, devs);
    }
    return 0;
}

} // namespace

Command listCommand() {
    return {"list",
            "list this host's mdev parents, types and devices, migration-aware",
            kHelp,
            {{"json", 0, false}},
            run};
}

} // namespace mdevmc::cli
