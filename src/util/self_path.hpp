// Paths beside the running executable (/proc/self/exe): how the installed
// programs find each other.  Only the C library: the hook's front end uses it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mdevmc {

// The directory of the running executable, without a trailing slash (""
// for an executable in "/"); nullopt if /proc/self/exe cannot be read.
std::optional<std::string> selfDir();

// selfDir() + "/" + REL ("../../bin/mdev-migcheck" is allowed); "" if
// selfDir() is unknown.
std::string pathBesideSelf(std::string_view rel);

} // namespace mdevmc
