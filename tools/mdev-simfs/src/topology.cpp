#include "topology.hpp"

#include "names.hpp"

#include <algorithm>
#include <cctype>
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

std::string quoted(const json& v) {
    return v.is_string() ? "'" + v.get<std::string>() + "'" : v.dump();
}

// 1..DIGITS hex digits, optionally after "0x"; returned zero-padded, lower case.
std::string hexId(const json& obj, const std::string& where, const char* key, std::size_t digits,
                  bool required, const std::string& def) {
    if (!obj.contains(key)) {
        if (required) {
            throw SimError(where + ": missing key '" + key + "'");
        }
        return def;
    }
    const std::string v = obj[key].is_string() ? obj[key].get<std::string>() : "";
    std::string h = lowerCase(v);
    if (h.size() > 2 && h.substr(0, 2) == "0x") {
        h = h.substr(2);
    }
    if (!obj[key].is_string() || h.empty() || h.size() > digits ||
        h.find_first_not_of("0123456789abcdef") != std::string::npos) {
        throw SimError(where + "." + key + ": " + quoted(obj[key]) +
                       " is not a hex id of at most " + std::to_string(digits) + " digits");
    }
    return std::string(digits - h.size(), '0') + h;
}

PciIds pciIds(const json& obj, const std::string& where) {
    onlyKeys(obj, where, {"vendor", "device", "subsystem_vendor", "subsystem_device", "class"});
    PciIds ids;
    ids.vendor = hexId(obj, where, "vendor", 4, true, "");
    ids.device = hexId(obj, where, "device", 4, true, "");
    ids.subsystem_vendor = hexId(obj, where, "subsystem_vendor", 4, false, "0000");
    ids.subsystem_device = hexId(obj, where, "subsystem_device", 4, false, "0000");
    ids.device_class = hexId(obj, where, "class", 6, false, "000000");
    return ids;
}

// A module version: printable, no blanks, as MODULE_VERSION strings are.
std::string moduleVersion(const json& v, const std::string& where) {
    const std::string s = v.is_string() ? v.get<std::string>() : "";
    bool ok = v.is_string() && !s.empty() && s.size() <= 64;
    for (char c : s) {
        ok = ok && c > ' ' && c < 127;
    }
    if (!ok) {
        throw SimError(where + ": " + quoted(v) +
                       " is not a version (1 to 64 printable characters, no blanks)");
    }
    return s;
}

std::string srcVersion(const json& v, const std::string& where) {
    const std::string s = v.is_string() ? v.get<std::string>() : "";
    if (!v.is_string() || s.empty() || s.size() > 64 ||
        s.find_first_not_of("0123456789ABCDEFabcdef") != std::string::npos) {
        throw SimError(where + ": " + quoted(v) + " is not a srcversion (1 to 64 hex digits)");
    }
    return s;
}

// "VERSION" or {"version": ..., "srcversion": ...}.
ModuleSpec moduleSpec(const json& v, const std::string& where) {
    ModuleSpec m;
    if (v.is_string()) {
        m.version = moduleVersion(v, where);
        return m;
    }
    if (!v.is_object()) {
        throw SimError(where + ": " + quoted(v) +
                       " is neither a version string nor an object with version/srcversion");
    }
    onlyKeys(v, where, {"version", "srcversion"});
    if (v.contains("version")) {
        m.version = moduleVersion(v["version"], where + ".version");
    }
    if (v.contains("srcversion")) {
        m.srcversion = srcVersion(v["srcversion"], where + ".srcversion");
    }
    return m;
}

void addModule(Topology& t, const std::string& where, const std::string& name,
               const ModuleSpec& m) {
    if (!isValidName(name) || name.find('-') != std::string::npos) {
        throw SimError(where + ": '" + name + "' is not a module name (no '-', no '/')");
    }
    const auto [it, fresh] = t.modules.emplace(name, m);
    if (!fresh && !(it->second == m)) {
        throw SimError(where + ": module '" + name +
                       "' is already described differently elsewhere in the topology");
    }
}

DriverSpec driverSpec(Topology& t, const json& obj, const std::string& where, bool pci_style) {
    onlyKeys(obj, where, {"name", "bus", "module", "version", "srcversion", "modules"});
    DriverSpec d;
    d.name = str(obj, where, "name", true);
    if (!isValidName(d.name)) {
        throw SimError(where + ".name: '" + d.name + "' is not a valid driver name");
    }
    if (!obj.contains("bus") && !pci_style) {
        throw SimError(where + ": missing key 'bus' (the device's address is not a PCI address)");
    }
    d.bus = str(obj, where, "bus", false, "pci");
    if (!isValidName(d.bus)) {
        throw SimError(where + ".bus: '" + d.bus + "' is not a valid bus name");
    }
    std::string def_module = d.name;
    std::replace(def_module.begin(), def_module.end(), '-', '_');
    d.module = str(obj, where, "module", false, def_module);
    ModuleSpec own;
    if (obj.contains("version")) {
        own.version = moduleVersion(obj["version"], where + ".version");
    }
    if (obj.contains("srcversion")) {
        own.srcversion = srcVersion(obj["srcversion"], where + ".srcversion");
    }
    addModule(t, where + ".module", d.module, own);
    if (obj.contains("modules")) {
        if (!obj["modules"].is_object()) {
            throw SimError(where + ".modules: expected an object of module name -> version");
        }
        for (const auto& [name, v] : obj["modules"].items()) {
            addModule(t, where + ".modules." + name, name,
                      moduleSpec(v, where + ".modules." + name));
        }
    }
    return d;
}

Attributes attributes(const json& obj, const std::string& where,
                      const std::set<std::string>& reserved) {
    Attributes out;
    if (!obj.contains("attributes")) {
        return out;
    }
    const json& a = obj["attributes"];
    if (!a.is_object()) {
        throw SimError(where + ".attributes: expected an object of file name -> content");
    }
    for (const auto& [name, v] : a.items()) {
        if (!isValidName(name) || reserved.count(name) != 0 || isValidUuid(name)) {
            throw SimError(where + ".attributes: '" + name +
                           "' is not a valid name for an extra attribute here");
        }
        if (!v.is_string() || v.get<std::string>().size() > 4096) {
            throw SimError(where + ".attributes." + name +
                           ": expected a string of at most 4096 bytes");
        }
        out[name] = v.get<std::string>();
    }
    return out;
}

bool realProfile(const json& obj, const std::string& where, bool def) {
    const std::string v = str(obj, where, "profile", false, def ? "real" : "simulated");
    if (v != "real" && v != "simulated") {
        throw SimError(where + ".profile: '" + v + "' is not 'simulated' or 'real'");
    }
    return v == "real";
}

// The keys a parent and a pci_devices entry share.
void hostDevice(Topology& t, const json& p, const std::string& where, HostDevice& hd,
                std::set<std::string>& addresses, std::set<std::string>& paths,
                const std::set<std::string>& reserved) {
    hd.address = str(p, where, "address", true);
    if (!isValidName(hd.address)) {
        throw SimError(where + ".address: '" + hd.address + "' is not a valid device name");
    }
    if (!addresses.insert(hd.address).second) {
        throw SimError(where + ".address: '" + hd.address + "' appears twice");
    }
    hd.sysfs_path = str(p, where, "sysfs_path", false, "devices/pci0000:00/" + hd.address);
    if (!isValidSysfsPath(hd.sysfs_path) || hd.sysfs_path.substr(0, 8) != "devices/" ||
        basename(hd.sysfs_path) != hd.address) {
        throw SimError(where + ".sysfs_path: '" + hd.sysfs_path + "' must be devices/.../" +
                       hd.address);
    }
    if (!paths.insert(hd.sysfs_path).second) {
        throw SimError(where + ".sysfs_path: '" + hd.sysfs_path + "' appears twice");
    }
    if (p.contains("pci")) {
        hd.pci = pciIds(p["pci"], where + ".pci");
    }
    if (p.contains("driver")) {
        hd.driver = driverSpec(t, p["driver"], where + ".driver", isPciAddress(hd.address));
    }
    hd.physfn = str(p, where, "physfn", false, "");
    if (p.contains("physfn") && (!isValidName(hd.physfn) || hd.physfn == hd.address)) {
        throw SimError(where + ".physfn: '" + hd.physfn + "' is not another device's address");
    }
    hd.attributes = attributes(p, where, reserved);
}

const std::set<std::string> kHostReserved{
    "vendor", "device", "subsystem_vendor", "subsystem_device",
    "class",  "driver", "physfn",           "mdev_supported_types"};
const std::set<std::string> kTypeReserved{
    "name",   "description", "device_api",       "available_instances",
    "create", "devices",     "migration_version"};
const std::set<std::string> kDeviceReserved{"mdev_type",
                                            "iommu_group",
                                            "driver",
                                            "remove",
                                            "migration_version",
                                            "assign_adapter",
                                            "unassign_adapter",
                                            "assign_domain",
                                            "unassign_domain",
                                            "assign_control_domain",
                                            "unassign_control_domain"};

} // namespace

bool isPciAddress(const std::string& s) {
    // DDDD:BB:DD.F in hex
    if (s.size() != 12 || s[4] != ':' || s[7] != ':' || s[10] != '.') {
        return false;
    }
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i != 4 && i != 7 && i != 10 && !std::isxdigit(static_cast<unsigned char>(s[i]))) {
            return false;
        }
    }
    return true;
}

Topology parseTopology(const std::string& text) {
    json doc;
    try {
        doc = json::parse(text);
    } catch (const json::parse_error& e) {
        throw SimError(std::string("topology is not valid JSON: ") + e.what());
    }
    onlyKeys(doc, "topology", {"parents", "devices", "pci_devices", "modules", "profile"});
    Topology t;
    if (!doc.contains("parents") || !doc["parents"].is_array()) {
        throw SimError("topology: 'parents' must be an array");
    }
    const bool real_default = realProfile(doc, "topology", false);
    if (doc.contains("modules")) {
        if (!doc["modules"].is_object()) {
            throw SimError("topology.modules: expected an object of module name -> version");
        }
        for (const auto& [name, v] : doc["modules"].items()) {
            addModule(t, "modules." + name, name, moduleSpec(v, "modules." + name));
        }
    }
    std::set<std::string> addresses, paths;
    if (doc.contains("pci_devices")) {
        if (!doc["pci_devices"].is_array()) {
            throw SimError("topology: 'pci_devices' must be an array");
        }
        int xi = 0;
        for (const auto& p : doc["pci_devices"]) {
            const std::string where = "pci_devices[" + std::to_string(xi++) + "]";
            onlyKeys(p, where, {"address", "sysfs_path", "pci", "driver", "attributes"});
            HostDevice hd;
            hostDevice(t, p, where, hd, addresses, paths, kHostReserved);
            t.pci_devices.push_back(std::move(hd));
        }
    }
    int pi = 0;
    for (const auto& p : doc["parents"]) {
        const std::string where = "parents[" + std::to_string(pi++) + "]";
        onlyKeys(p, where,
                 {"address", "vendor", "device", "software_version", "iommu_group_base", "types",
                  "sysfs_path", "pci", "driver", "physfn", "attributes", "profile"});
        ParentSpec ps;
        hostDevice(t, p, where, ps, addresses, paths, kHostReserved);
        ps.real_profile = realProfile(p, where, real_default);
        if (!p.contains("types") || !p["types"].is_array()) {
            throw SimError(where + ": 'types' must be an array");
        }
        std::set<std::string> ids;
        std::string versioned_type; // a type with a migration_version attribute
        int ti = 0;
        for (const auto& ty : p["types"]) {
            const std::string tw = where + ".types[" + std::to_string(ti++) + "]";
            onlyKeys(ty, tw,
                     {"id", "name", "description", "device_api", "available_instances", "migration",
                      "software_version", "attributes"});
            TypeSpec ts;
            ts.id = str(ty, tw, "id", true);
            if (!isValidName(ts.id)) {
                throw SimError(tw + ".id: '" + ts.id + "' is not a valid type id");
            }
            if (!ids.insert(ts.id).second) {
                throw SimError(tw + ".id: '" + ts.id + "' appears twice on " + ps.address);
            }
            ts.name = str(ty, tw, "name", false, ts.id);
            if (ty.contains("description") && ty["description"].is_null()) {
                ts.has_description = false;
            } else {
                ts.description = str(ty, tw, "description", false, "simulated " + ts.id);
            }
            ts.device_api = str(ty, tw, "device_api", false, "vfio-pci");
            ts.available_instances = integer(ty, tw, "available_instances", 1, 0, 100000);
            ts.migration = migration(
                tw, str(ty, tw, "migration", false, ps.real_profile ? "absent" : "supported"));
            if (ty.contains("software_version")) {
                ts.software_version = str(ty, tw, "software_version", true);
                if (!parseMajorMinor(*ts.software_version)) {
                    throw SimError(tw + ".software_version: '" + *ts.software_version +
                                   "' is not MAJOR.MINOR");
                }
            }
            ts.attributes = attributes(ty, tw, kTypeReserved);
            if (ts.migration.kind != Migration::Kind::Absent && versioned_type.empty()) {
                versioned_type = tw;
            }
            ps.types.push_back(std::move(ts));
        }
        // The ids and version of the version string: required in the
        // simulated profile, and in the real one when a type asks for it.
        const bool need_version = !ps.real_profile || !versioned_type.empty();
        const std::string because =
            ps.real_profile ? " (" + versioned_type + " has a migration_version)" : "";
        for (const char* key : {"vendor", "device"}) {
            std::string from_pci;
            if (ps.pci) {
                from_pci = std::string(key) == "vendor" ? ps.pci->vendor : ps.pci->device;
            }
            std::string val = str(p, where, key, false, from_pci);
            if (!p.contains(key) && from_pci.empty() && need_version) {
                throw SimError(where + ": missing key '" + key + "'" + because);
            }
            if (p.contains(key) &&
                (val.empty() || val.find('-') != std::string::npos || !isValidName(val))) {
                throw SimError(where + "." + key + ": '" + val +
                               "' must be a non-empty name without '-'");
            }
            if (p.contains(key) && !from_pci.empty() && lowerCase(val) != from_pci &&
                "0x" + from_pci != lowerCase(val)) {
                throw SimError(where + "." + key + ": '" + val + "' differs from " + where +
                               ".pci." + key + " '" + from_pci + "'");
            }
            (std::string(key) == "vendor" ? ps.vendor : ps.device) = val;
        }
        if (!p.contains("software_version") && need_version) {
            throw SimError(where + ": missing key 'software_version'" + because);
        }
        ps.software_version = str(p, where, "software_version", false, "");
        if (p.contains("software_version") && !parseMajorMinor(ps.software_version)) {
            throw SimError(where + ".software_version: '" + ps.software_version +
                           "' is not MAJOR.MINOR");
        }
        ps.iommu_group_base = integer(p, where, "iommu_group_base", 0, 0, 1000000);
        t.parents.push_back(std::move(ps));
    }
    // physfn names another device of the topology.
    const auto checkPhysfn = [&](const HostDevice& hd, const std::string& where) {
        if (!hd.physfn.empty() && addresses.count(hd.physfn) == 0) {
            throw SimError(where + ".physfn: no device '" + hd.physfn +
                           "' in parents or pci_devices");
        }
    };
    for (std::size_t i = 0; i < t.parents.size(); ++i) {
        checkPhysfn(t.parents[i], "parents[" + std::to_string(i) + "]");
    }
    if (doc.contains("devices")) {
        if (!doc["devices"].is_array()) {
            throw SimError("topology: 'devices' must be an array");
        }
        std::set<std::string> uuids;
        int di = 0;
        for (const auto& d : doc["devices"]) {
            const std::string where = "devices[" + std::to_string(di++) + "]";
            onlyKeys(d, where,
                     {"uuid", "parent", "type", "device_migration_version", "attributes"});
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
            ds.attributes = attributes(d, where, kDeviceReserved);
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
