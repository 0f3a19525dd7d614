// Pieces shared by the CLI's commands.
#pragma once

#include "check/config.hpp"
#include "sysfs/root.hpp"

#include <string>
#include <vector>

namespace mdevmc {

// This host as the CLI sees it: MDEV_MIGCHECK_ROOT and its configuration.
// Throws Fatal (exit 2) if either is unusable.
struct HostEnv {
    Root root;
    Config config;
};
HostEnv openHost();

std::string hostName();

// True if ARGS ask for --help (before any "--").
bool wantsHelp(const std::vector<std::string>& args);

} // namespace mdevmc
