// The operator's commands about this host's mdevs (sysfs only, no libvirt):
// list, version, probe.
#pragma once

#include "cli/cli.hpp"

namespace mdevmc {

int cmdList(CliContext& ctx, const std::vector<std::string>& args);
int cmdVersion(CliContext& ctx, const std::vector<std::string>& args);
int cmdProbe(CliContext& ctx, const std::vector<std::string>& args);

} // namespace mdevmc
