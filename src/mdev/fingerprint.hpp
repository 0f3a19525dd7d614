// The kernel fingerprint of an mdev: what every kernel exposes about the
// device's type, its parent device and the parent's driver.  No shipping
// driver has a migration_version attribute; the fingerprint is the evidence
// every host can give.  The source records every fact it can read; the
// destination compares the facts that matter for the driver (the profile
// table in fingerprint.cpp, adjustable per driver in the configuration).
#pragma once

#include "mdev/host.hpp"
#include "util/deadline.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mdevmc {

// Fact names, as recorded in the metadata (<mdevmc:fact name=...>).
namespace fact {
inline constexpr std::string_view kType = "type";                        // type id
inline constexpr std::string_view kTypeName = "type.name";               // name attribute
inline constexpr std::string_view kTypeDescription = "type.description"; // description
inline constexpr std::string_view kTypeDeviceApi = "type.device_api";    // vfio-pci, ...
inline constexpr std::string_view kParentKind = "parent.kind";           // pci, css, ...
inline constexpr std::string_view kParentPath = "parent.path";           // non-PCI: under devices/
inline constexpr std::string_view kParentPci = "parent.pci";             // 10de:1eb8
inline constexpr std::string_view kParentSubsystem = "parent.subsystem"; // 10de:12a2
inline constexpr std::string_view kDriver = "driver";                    // parent's driver
inline constexpr std::string_view kDriverVersion = "driver.version";     // its module version
inline constexpr std::string_view kVendorModule = "vendor_module";       // nvidia_vgpu_vfio
inline constexpr std::string_view kVendorModuleVersion = "vendor_module.version";
inline constexpr std::string_view kApMatrix = "ap.matrix"; // vfio-ap assignment
inline constexpr std::string_view kApControlDomains = "ap.control_domains";
} // namespace fact

// Every fact name this version knows, in the order they are recorded.
const std::vector<std::string_view>& knownFacts();
// A fact name has the form [a-z0-9_.]{1,64}.
bool isValidFactName(std::string_view name);

// The largest fact value recorded (descriptions are the longest real ones).
inline constexpr std::size_t kMaxFactValue = 1024;

// One fact: its value, or the errno name of the failed read.
struct Fact {
    std::string name;
    std::optional<std::string> value;
    std::optional<std::string> error;
};

struct Fingerprint {
    std::vector<Fact> facts;
    const Fact* find(std::string_view name) const;
};

// The facts of one (parent, type), read once for every device of it in one
// decision or recording: they cannot differ between its devices.
class FingerprintCache {
public:
    const Fingerprint* find(std::string_view parent, std::string_view type_id) const;
    const Fingerprint& put(std::string_view parent, std::string_view type_id, Fingerprint fp);

private:
    std::map<std::pair<std::string, std::string>, Fingerprint> entries_;
};

// The fingerprint of type TYPE_ID on PARENT, plus the device-level facts of
// DEV when given (vfio-ap's assignment).  All reads together are bounded by
// DEADLINE, each one also by PER_READ when given: one attribute that hangs
// costs only its own read.  With CACHE, the type's and parent's facts are
// read once per (parent, type).
Fingerprint readFingerprint(const MdevHost& host, std::string_view parent, std::string_view type_id,
                            const MdevDevice* dev, Deadline deadline,
                            std::optional<std::chrono::milliseconds> per_read = std::nullopt,
                            FingerprintCache* cache = nullptr);

// How the driver and vendor module versions must relate.
enum class DriverVersionRule { Identical, SameOrNewer, Any };
const char* toString(DriverVersionRule r);
std::optional<DriverVersionRule> driverVersionRuleFromString(std::string_view s);

// A per-driver adjustment of the compared facts: "+name" adds, "-name" drops.
struct FactAdjustment {
    std::string driver;
    std::vector<std::string> add;
    std::vector<std::string> drop;
};

// The facts compared for a device whose parent's driver is DRIVER (empty:
// no driver link) and whose parent is of KIND.
std::vector<std::string> comparedFacts(std::string_view driver, std::string_view kind,
                                       const std::vector<FactAdjustment>& adjustments);

// The first compared fact that differs, said as "host driver nvidia
// 550.54.10 on the source, 550.90.07 here".
struct FactMismatch {
    std::string name;
    std::string text;
    bool unreadable = false; // a side could not read it: cannot tell, not different
};
std::vector<FactMismatch> compareFingerprints(const Fingerprint& source, const Fingerprint& here,
                                              const std::vector<std::string>& compared,
                                              DriverVersionRule rule);

// Dotted-number comparison ("550.54.10" < "550.90.07"); nullopt when either
// is not made of dotted numbers.
std::optional<int> compareDottedVersions(std::string_view a, std::string_view b);

} // namespace mdevmc
