// Running mdevctl (when it is installed) for gc: a created device kept for
// a persistently defined domain is defined with mdevctl (auto start), so
// that it survives a reboot, and undefined again when gc removes it.
#pragma once

#include "sysfs/root.hpp"
#include "util/deadline.hpp"
#include "util/error.hpp"

#include <optional>
#include <string>
#include <vector>

namespace mdevmc::cli {

// The mdevctl executable found in PATH, nullopt when there is none.
std::optional<std::string> findMdevctl();

// Runs MDEVCTL ARGS with stdin on /dev/null, bounded by DEADLINE (killed
// then); beneath a ROOT other than "/", with MDEVCTL_ENV_ROOT=ROOT, the same
// convention as MDEV_MIGCHECK_ROOT.  The error carries what mdevctl said
// on stderr (its first line).
Result<void> runMdevctl(const std::string& mdevctl, const std::vector<std::string>& args,
                        const Root& root, Deadline deadline);

} // namespace mdevmc::cli
