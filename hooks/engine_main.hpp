// The hook's engine: the check, the recording and the rest of what
// mdev-migcheck does for the operations that need it (src/hook/engine.hpp),
// entered by the front end (mdev-migcheck-hook.cpp) in the same process
// once the operation and the domain XML call for it.
#pragma once

#include <string>
#include <vector>

namespace mdevmc {

// Runs the engine for libvirt's arguments ARGS (DOMAIN OP SUBOP EXTRA) on
// the domain XML the front end read (XML); returns the hook's exit code.
int engineMain(const std::vector<std::string>& args, std::string xml);

} // namespace mdevmc
