// The topology file of a simulated host: parent devices, the mdev types they
// offer, and the mdevs that exist at start.  See ../README.md.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace mdevsim {

// A topology, control command or argument that is not valid; what() names it.
class SimError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Migration {
    enum class Kind { Supported, Absent, Errno };
    Kind kind = Kind::Supported;
    int err = 0; // Kind::Errno: reads and writes of the attribute fail with it
};

struct TypeSpec {
    std::string id;          // "i915-GVTg_V5_4"
    std::string name;        // "GVTg_V5_4"
    std::string description; // free text
    std::string device_api;  // "vfio-pci"
    int available_instances = 1;
    Migration migration;
    std::optional<std::string> software_version; // overrides the parent's
};

struct ParentSpec {
    std::string address;          // "0000:00:02.0", also the name in class/mdev_bus
    std::string vendor;           // "8086"
    std::string device;           // "193b"
    std::string software_version; // "5.2"
    int iommu_group_base = 0;
    std::string sysfs_path; // "devices/pci0000:00/0000:00:02.0"
    std::vector<TypeSpec> types;
};

struct DeviceSpec {
    std::string uuid;
    std::string parent;
    std::string type;
    bool device_migration_version = false;
    int iommu_group = -1; // assigned when the device appears
};

struct Topology {
    std::vector<ParentSpec> parents;
    std::vector<DeviceSpec> devices;
};

// Parses and validates a topology; throws SimError naming the offending
// key and value.
Topology parseTopology(const std::string& json_text);
Topology loadTopology(const std::string& path);

} // namespace mdevsim
