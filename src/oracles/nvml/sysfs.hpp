// What the oracle reads from sysfs about an mdev parent, beneath
// MDEV_MIGCHECK_ROOT: symlinks are followed only while they stay beneath it.
#pragma once

#include <optional>
#include <string>

namespace mdevmc::oracle::nvml {

struct ParentDevice {
    std::string driver; // basename of its "driver" link; empty when unbound
    std::string physfn; // PCI name of its physical function, for an SR-IOV VF
};

// ROOT/sys/class/mdev_bus/PARENT, resolved beneath ROOT.  nullopt, with
// *error set, when it does not exist or leads out of ROOT.
std::optional<ParentDevice> inspectParent(const std::string& root, const std::string& parent,
                                          std::string* error);

} // namespace mdevmc::oracle::nvml
