#include "topology.hpp"

#include "names.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace mdevsim {

using nlohmann::json;

namespace {

void onlyKeys(const json& obj, const std::string& where, const std::set<std::string>& allowed) {
    if (!obj.is_object()) {
        throw SimError(where + ": expected an object");
    }
    for (const auto& [k, v] : obj.items()) {
        if (allowed.count(k) == 0) {
            throw SimError(where + ": unknown key '" + k + "'");
        }
    }
}

std::string str(const json& obj, const std::string& where, const char* key, bool required,
                const std::string& def = "") {
    if (!obj.contains(key)) {
        if (required) {
            throw SimError(where + ": missing key '" + key + "'");
        }
        return def;
    }
    if (!obj[key].is_string()) {
        throw SimError(where + "." + key + ": expected a string");
    }
    return obj[key].get<std::string>();
}

int integer(const json& obj, const std::string& where, const char* key, int def, int min, int max) {
    if (!obj.contains(key)) {
        return def;
    }
    if (!obj[key].is_number_integer() || obj[key].get<long long>() < min ||
        obj[key].get<long long>() > max) {
        throw SimError(where + "." + key + ": expected an integer from " + std::to_string(min) +
                       " to " + std::to_string(max));
    }
    return obj[key].get<int>();
}

Migration migration(const std::string& where, const std::string& v) {
    if (v == "supported") {
        return {Migration::Kind::Supported, 0};
    }
    if (v == "absent") {
        return {Migration::Kind::Absent, 0};
    }
    if (auto e = errnoFromName(v)) {
        return {Migration::Kind::Errno, *e};
    }
    throw SimError(where + ".migration: '" + v +
                   "' is not 'supported', 'absent' or an errno name such as 'ENODEV'");
}

} // namespace

Topology parseTopology(const std::string& text) {
    json doc;
    try {
        doc = json::parse(text);
    } catch (const json::parse_error& e) {
        throw SimError(std::string("topology is not valid JSON: ") + e.what());
    }
    onlyKeys(doc, "topology", {"parents", "devices"});
    Topology t;
    if (!doc.contains("parents") || !doc["parents"].is_array()) {
        throw SimError("topology: 'parents' must be an array");
    }
    std::set<std::string> addresses, paths;
    int pi = 0;
    for (const auto& p : doc["parents"]) {
        const std::string where = "parents[" + std::to_string(pi++) + "]";
        onlyKeys(p, where,
                 {"address", "vendor", "device", "software_version", "iommu_group_base", "types",
                  "sysfs_path"});
        ParentSpec ps;
        ps.address = str(p, where, "address", true);
        if (!isValidName(ps.address)) {
            throw SimError(where + ".address: '" + ps.address + "' is not a valid device name");
        }
        if (!addresses.insert(ps.address).second) {
            throw SimError(where + ".address: '" + ps.address + "' appears twice");
        }
        ps.vendor = str(p, where, "vendor", true);
        ps.device = str(p, where, "device", true);
        for (const auto& [key, val] : {std::pair{"vendor", ps.vendor}, {"device", ps.device}}) {
            if (val.empty() || val.find('-') != std::string::npos || !isValidName(val)) {
                throw SimError(where + "." + key + ": '" + val +
                               "' must be a non-empty name without '-'");
            }
        }
        ps.software_version = str(p, where, "software_version", true);
        if (!parseMajorMinor(ps.software_version)) {
            throw SimError(where + ".software_version: '" + ps.software_version +
                           "' is not MAJOR.MINOR");
        }
        ps.iommu_group_base = integer(p, where, "iommu_group_base", 0, 0, 1000000);
        ps.sysfs_path = str(p, where, "sysfs_path", false, "devices/pci0000:00/" + ps.address);
        if (!isValidSysfsPath(ps.sysfs_path) || ps.sysfs_path.substr(0, 8) != "devices/" ||
            basename(ps.sysfs_path) != ps.address) {
            throw SimError(where + ".sysfs_path: '" + ps.sysfs_path + "' must be devices/.../" +
                           ps.address);
        }
        if (!paths.insert(ps.sysfs_path).second) {
            throw SimError(where + ".sysfs_path: '" + ps.sysfs_path + "' appears twice");
        }
        if (!p.contains("types") || !p["types"].is_array()) {
            throw SimError(where + ": 'types' must be an array");
        }
        std::set<std::string> ids;
        int ti = 0;
        for (const auto& ty : p["types"]) {
            const std::string tw = where + ".types[" + std::to_string(ti++) + "]";
            onlyKeys(ty, tw,
                     {"id", "name", "description", "device_api", "available_instances", "migration",
                      "software_version"});
            TypeSpec ts;
            ts.id = str(ty, tw, "id", true);
            if (!isValidName(ts.id)) {
                throw SimError(tw + ".id: '" + ts.id + "' is not a valid type id");
            }
            if (!ids.insert(ts.id).second) {
                throw SimError(tw + ".id: '" + ts.id + "' appears twice on " + ps.address);
            }
            ts.name = str(ty, tw, "name", false, ts.id);
            ts.description = str(ty, tw, "description", false, "simulated " + ts.id);
            ts.device_api = str(ty, tw, "device_api", false, "vfio-pci");
            ts.available_instances = integer(ty, tw, "available_instances", 1, 0, 100000);
            ts.migration = migration(tw, str(ty, tw, "migration", false, "supported"));
            if (ty.contains("software_version")) {
                ts.software_version = str(ty, tw, "software_version", true);
                if (!parseMajorMinor(*ts.software_version)) {
                    throw SimError(tw + ".software_version: '" + *ts.software_version +
                                   "' is not MAJOR.MINOR");
                }
            }
            ps.types.push_back(std::move(ts));
        }
        t.parents.push_back(std::move(ps));
    }
    if (doc.contains("devices")) {
        if (!doc["devices"].is_array()) {
            throw SimError("topology: 'devices' must be an array");
        }
        std::set<std::string> uuids;
        int di = 0;
        for (const auto& d : doc["devices"]) {
            const std::string where = "devices[" + std::to_string(di++) + "]";
            onlyKeys(d, where, {"uuid", "parent", "type", "device_migration_version"});
            DeviceSpec ds;
            ds.uuid = str(d, where, "uuid", true);
            if (!isValidUuid(ds.uuid)) {
                throw SimError(where + ".uuid: '" + ds.uuid + "' is not a canonical UUID");
            }
            ds.uuid = lowerCase(ds.uuid);
            if (!uuids.insert(ds.uuid).second) {
                throw SimError(where + ".uuid: '" + ds.uuid + "' appears twice");
            }
            ds.parent = str(d, where, "parent", true);
            ds.type = str(d, where, "type", true);
            const ParentSpec* parent = nullptr;
            for (const auto& p : t.parents) {
                if (p.address == ds.parent) {
                    parent = &p;
                }
            }
            if (parent == nullptr) {
                throw SimError(where + ".parent: no parent '" + ds.parent + "' in the topology");
            }
            bool has_type = false;
            for (const auto& ty : parent->types) {
                has_type = has_type || ty.id == ds.type;
            }
            if (!has_type) {
                throw SimError(where + ".type: parent '" + ds.parent + "' offers no type '" +
                               ds.type + "'");
            }
            if (d.contains("device_migration_version")) {
                if (!d["device_migration_version"].is_boolean()) {
                    throw SimError(where + ".device_migration_version: expected true or false");
                }
                ds.device_migration_version = d["device_migration_version"].get<bool>();
            }
            t.devices.push_back(std::move(ds));
        }
    }
    return t;
}

Topology loadTopology(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        throw SimError("cannot read topology file '" + path + "'");
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    try {
        return parseTopology(ss.str());
    } catch (const SimError& e) {
        throw SimError(path + ": " + e.what());
    }
}

} // namespace mdevsim
