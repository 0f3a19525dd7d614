// The CLI's commands that work on libvirt domains (and their --xml offline
// forms), and the command table of mdev-migcheck.
#pragma once

#include "cli/cli.hpp"

namespace mdevmc {

int cmdAnnotate(CliContext& ctx, const std::vector<std::string>& args);
int cmdCheck(CliContext& ctx, const std::vector<std::string>& args);

// Every mdev-migcheck command.
const std::vector<Command>& commandTable();

} // namespace mdevmc
