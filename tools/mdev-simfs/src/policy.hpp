// The reference vendor policy for migration_version.
//
// A type's migration_version reads VENDOR-DEVICE-TYPEID-MAJOR.MINOR, e.g.
// 8086-193b-i915-GVTg_V5_4-5.2 (VENDOR and DEVICE are the parent's PCI ids,
// MAJOR.MINOR the driver's software version).  A string written to the
// attribute is accepted iff it has the same VENDOR, DEVICE and TYPEID, the
// same MAJOR, and a MINOR not greater than the target's: a newer driver
// imports the state of an older one of the same major, never the reverse.
// Anything else, unparseable strings included, fails with EINVAL.
#pragma once

#include <string>
#include <string_view>

namespace mdevsim {

std::string formatVersion(std::string_view vendor, std::string_view device,
                          std::string_view type_id, std::string_view software_version);

// 0 if the target whose own version is TARGET accepts WRITTEN (one trailing
// newline is ignored, as `echo` adds it), else EINVAL.
int acceptVersion(std::string_view target, std::string_view written);

} // namespace mdevsim
