// mdev-migcheck list: this host's mdev parents, types and devices, with
// their migration_version.
#include "check/oracle.hpp"
#include "cli/cli.hpp"
#include "cli/host_env.hpp"
#include "cli/json.hpp"
#include "cli/versions.hpp"
#include "mdev/fingerprint.hpp"
#include "util/texttable.hpp"

#include <map>
#include <ostream>
#include <utility>

namespace mdevmc::cli {

namespace {

constexpr const char* kHelp =
    "Usage: mdev-migcheck list [--json]\n"
    "\n"
    "Lists this host's mdev parent devices, the types they offer (with\n"
    "available_instances, the parent's driver and its version, the type's\n"
    "migration_version or why it cannot be read, and the strongest evidence this\n"
    "host can give for it: protocol when the type has a migration_version\n"
    "attribute, else fingerprint) and the mediated devices that exist (with the\n"
    "migration_version the source side would record, and their evidence:\n"
    "protocol, oracle:NAME when an installed vendor oracle claims the device, or\n"
    "fingerprint).\n"
    "\n"
    "Options:\n"
    "  --json       print JSON\n"
    "  -h, --help   this text\n"
    "\n"
    "Exit status: 0 listed, 2 error.\n";

struct TypeRow {
    MdevTypeInfo info;
    VersionRead version;
    std::optional<std::string> driver;         // the parent's driver
    std::optional<std::string> driver_version; // its module's version
    std::string evidence;
};

struct DeviceRow {
    MdevDevice dev;
    VersionLocation where;
    VersionRead version;
    std::string evidence;
};

std::optional<std::string> factValue(const Fingerprint& fp, std::string_view name) {
    const Fact* f = fp.find(name);
    if (f == nullptr) {
        return std::nullopt;
    }
    return f->value ? *f->value : "(" + f->error.value_or("EIO") + ")";
}

// The strongest evidence a type offers without a device: the protocol when
// it has a migration_version attribute, else the kernel fingerprint.
std::string typeEvidence(const VersionRead& v) {
    return v.status == VersionRead::Status::Missing ? "fingerprint" : "protocol";
}

// A device's: the protocol, else the first oracle that claims it, else the
// kernel fingerprint.
std::string deviceEvidence(const VersionRead& v, Oracles& oracles, const MdevDevice& d,
                           Deadline deadline) {
    if (v.status != VersionRead::Status::Missing) {
        return "protocol";
    }
    for (const auto& name : oracles.names()) {
        if (oracles.record(name, d.uuid, d.type_id, d.parent, deadline).kind ==
            OracleAnswer::Kind::Token) {
            return "oracle:" + name;
        }
    }
    return "fingerprint";
}

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
            {"driver", stringOrNull(t.driver)},
            {"driver_version", stringOrNull(t.driver_version)},
            {"evidence", t.evidence},
        };
        addVersionJson(o, t.version);
        jtypes.push_back(std::move(o));
    }
    Json jdevs = Json::array();
    for (const auto& d : devs) {
        Json o{
            {"uuid", d.dev.uuid},     {"parent", d.dev.parent},
            {"type", d.dev.type_id},  {"per_device", d.where.per_device},
            {"evidence", d.evidence},
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
    tt.addRow(
        {"PARENT", "TYPE", "NAME", "API", "AVAILABLE", "DRIVER", "EVIDENCE", "MIGRATION_VERSION"});
    for (const auto& t : types) {
        const std::string driver =
            t.driver ? *t.driver + (t.driver_version ? " " + *t.driver_version : "") : "-";
        tt.addRow({t.info.parent, t.info.id, t.info.name.value_or("-"),
                   t.info.device_api.value_or("-"),
                   t.info.available_instances ? std::to_string(*t.info.available_instances) : "-",
                   driver, t.evidence, versionCell(t.version)});
    }
    ctx.out << tt << '\n';
    if (devs.empty()) {
        ctx.out << "no mediated device on this host\n";
        return;
    }
    TextTable dt;
    dt.addRow({"UUID", "PARENT", "TYPE", "EVIDENCE", "MIGRATION_VERSION"});
    for (const auto& d : devs) {
        dt.addRow({d.dev.uuid, d.dev.parent, d.dev.type_id, d.evidence,
                   versionCell(d.version) + (d.where.per_device ? " (per device)" : "")});
    }
    ctx.out << dt;
}

int run(CliContext& ctx, const Args& a) {
    a.atMostPositional(0);
    const LocalHost host;
    const Deadline deadline = Deadline::after(host.env.config.timeout);
    const auto bounded = [&] { return deadline.capped(host.env.config.attr_timeout); };

    auto parents = host.mdevs.parents(deadline);
    if (!parents) {
        throw Fatal(parents.error());
    }
    auto devices = host.mdevs.devices(deadline);
    if (!devices) {
        throw Fatal(devices.error());
    }
    std::vector<TypeRow> types;
    // Each type's attribute, read once: a device without an attribute of
    // its own shows its type's (its mdev_type link leads to that same
    // file), so 64 devices of one type cost one read, not 65.
    std::map<std::pair<std::string, std::string>, VersionRead> type_versions;
    for (const auto& p : *parents) {
        auto ts = host.mdevs.types(p, deadline);
        if (!ts) {
            continue;
        }
        for (const auto& t : *ts) {
            const Fingerprint fp =
                readFingerprint(host.mdevs, p, t, nullptr, deadline, host.env.config.attr_timeout);
            TypeRow row{host.mdevs.typeInfo(p, t, bounded()),
                        readVersion(host.mdevs.io(), typeVersionLocation(p, t), bounded()),
                        factValue(fp, fact::kDriver),
                        factValue(fp, fact::kDriverVersion),
                        {}};
            row.evidence = typeEvidence(row.version);
            type_versions.emplace(std::pair(p, t), row.version);
            types.push_back(std::move(row));
        }
    }
    Oracles oracles(host.env.root, host.mdevs.io(), host.env.config);
    std::vector<DeviceRow> devs;
    for (const auto& d : *devices) {
        const VersionLocation where = versionLocation(d);
        const auto known = where.per_device ? type_versions.end()
                                            : type_versions.find(std::pair(d.parent, d.type_id));
        DeviceRow row{d,
                      where,
                      known != type_versions.end() ? known->second
                                                   : readVersion(host.mdevs.io(), where, bounded()),
                      {}};
        row.evidence = deviceEvidence(row.version, oracles, d, bounded());
        devs.push_back(std::move(row));
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
