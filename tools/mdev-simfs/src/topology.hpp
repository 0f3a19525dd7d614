// The topology file of a simulated host: parent devices, the mdev types they
// offer, and the mdevs that exist at start.  See ../README.md.
#pragma once

#include <map>
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

// Extra read-only attribute files: name -> exact content.
using Attributes = std::map<std::string, std::string>;

struct TypeSpec {
    std::string id;          // "i915-GVTg_V5_4"
    std::string name;        // "GVTg_V5_4"
    std::string description; // free text
    bool has_description = true;
    std::string device_api; // "vfio-pci"
    int available_instances = 1;
    Migration migration;
    std::optional<std::string> software_version; // overrides the parent's
    Attributes attributes;
};

// PCI configuration ids, normalised to lower-case hex without "0x":
// 4 digits, class 6 digits.
struct PciIds {
    std::string vendor;
    std::string device;
    std::string subsystem_vendor = "0000";
    std::string subsystem_device = "0000";
    std::string device_class = "000000";
};

// A kernel module as sysfs shows it under module/NAME: version only with
// MODULE_VERSION, srcversion only when the build recorded it.
struct ModuleSpec {
    std::optional<std::string> version;
    std::optional<std::string> srcversion;
    bool operator==(const ModuleSpec&) const = default;
};

struct DriverSpec {
    std::string name;   // "nvidia": bus/BUS/drivers/NAME
    std::string bus;    // "pci"
    std::string module; // the module providing it: NAME with '-' -> '_' unless given
};

// A device of the host: an mdev parent, or a plain device (an SR-IOV
// physical function, a bridge) listed in pci_devices.
struct HostDevice {
    std::string address;    // "0000:00:02.0", the device's name
    std::string sysfs_path; // "devices/pci0000:00/0000:00:02.0"
    std::optional<PciIds> pci;
    std::optional<DriverSpec> driver;
    std::string physfn; // address of the physical function, "" if none
    Attributes attributes;
};

struct ParentSpec : HostDevice {
    std::string vendor;           // "8086"; "" when the parent has no version string
    std::string device;           // "193b"
    std::string software_version; // "5.2"
    int iommu_group_base = 0;
    bool real_profile = false; // types default to no migration_version
    std::vector<TypeSpec> types;
};

struct DeviceSpec {
    std::string uuid;
    std::string parent;
    std::string type;
    bool device_migration_version = false;
    int iommu_group = -1; // assigned when the device appears
    Attributes attributes;
};

struct Topology {
    std::vector<ParentSpec> parents;
    std::vector<HostDevice> pci_devices;
    std::vector<DeviceSpec> devices;
    std::map<std::string, ModuleSpec> modules; // every module, from drivers and 'modules'
};

// "0000:3b:00.0"
bool isPciAddress(const std::string& s);

// Parses and validates a topology; throws SimError naming the offending
// key and value.
Topology parseTopology(const std::string& json_text);
Topology loadTopology(const std::string& path);

} // namespace mdevsim
