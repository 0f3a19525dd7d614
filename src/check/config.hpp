// mdev-migcheck.conf: policy and time bounds.  Plain "key = value" lines,
// '#' comments.  A missing file means the defaults; an unknown key or a bad
// value is an error naming the file, line and key.
#pragma once

#include "util/error.hpp"
#include "sysfs/root.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace mdevmc {

inline constexpr const char* kConfigEnv = "MDEV_MIGCHECK_CONFIG";

struct Config {
    // Bound on a whole check (every device of a domain).
    std::chrono::milliseconds timeout{5000};
    // Bound on one sysfs read or write.
    std::chrono::milliseconds attr_timeout{2000};
    // Accept an mdev for which the source recorded no migration_version
    // (a VM started before mdev-migcheck was installed).  Default: refuse.
    bool allow_unrecorded = false;
    // Log verdicts to syslog (identifier "mdev-migcheck").
    bool syslog = true;
    // Source side: how long the detached recorder waits for a starting
    // domain's start job to finish before it gives up.
    std::chrono::milliseconds record_wait{120000};
};

Result<Config> parseConfig(std::string_view text, std::string_view origin);

// The configuration file: $MDEV_MIGCHECK_CONFIG if set, else
// ROOT/etc/mdev-migcheck/mdev-migcheck.conf.
std::string configPath(const Root& root);

// Loads the file at PATH; a missing file gives the defaults.
Result<Config> loadConfig(const std::string& path);

} // namespace mdevmc
