// The run directory: where the destination keeps its lock and the journal
// of the mdevs it created (check/provision.hpp).  Only the C library: the
// hook's front end uses it to tell whether anything is journalled.
#pragma once

#include <string>
#include <string_view>

namespace mdevmc {

inline constexpr const char* kRunDirEnv = "MDEV_MIGCHECK_RUN_DIR";

// $MDEV_MIGCHECK_RUN_DIR if set and non-empty, else run/mdev-migcheck
// beneath ROOT_PATH (the root MDEV_MIGCHECK_ROOT names; "/" gives
// /run/mdev-migcheck, what libvirt's hook, which gets no custom
// environment, always uses).
std::string runDirectory(std::string_view root_path);

// The same, with ROOT_PATH taken from $MDEV_MIGCHECK_ROOT (default "/").
std::string runDirectoryFromEnvironment();

// The journal of created devices inside RUN_DIR: one file per mdev.
std::string createdDirectory(std::string_view run_dir);

// True if the directory PATH exists and has an entry other than "." and
// ".." (a name starting with '.', a file being written, does not count).
bool hasVisibleEntries(const std::string& path);

} // namespace mdevmc
