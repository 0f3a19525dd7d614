// mdev-migcheck.conf: policy and time bounds.  Plain "key = value" lines,
// '#' comments.  A missing file means the defaults; an unknown key or a bad
// value is an error naming the file, line and key.  Drop-in files
// mdev-migcheck.conf.d/*.conf beside it are read after it, in name order,
// with the same syntax (a later value replaces an earlier one; facts.DRIVER
// adjustments add up).
#pragma once

#include "mdev/fingerprint.hpp"
#include "sysfs/attr_io.hpp"
#include "sysfs/root.hpp"
#include "util/error.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace mdevmc {

inline constexpr const char* kConfigEnv = "MDEV_MIGCHECK_CONFIG";

// enforce refuses what is incompatible; audit logs and reports what enforce
// would have refused, and accepts.
enum class Mode { Enforce, Audit };
const char* toString(Mode m);

struct Config {
    // no: the hook accepts everything and records nothing.
    bool enabled = true;
    Mode mode = Mode::Enforce;
    // How driver (and vendor module) versions of the two hosts must relate
    // when the kernel fingerprint decides.
    DriverVersionRule driver_version = DriverVersionRule::Identical;
    // Which vendor oracles are asked: all installed ("auto"), none, or
    // the named ones.
    bool oracles_auto = true;
    std::vector<std::string> oracles;
    // facts.DRIVER = +fact -fact: compared facts added or relaxed.
    std::vector<FactAdjustment> facts;
    // Bound on a whole check (every device of a domain).
    std::chrono::milliseconds timeout{5000};
    // Bound on one sysfs read or write.
    std::chrono::milliseconds attr_timeout{2000};
    // Accept an mdev for which the source recorded no migration_version
    // (a VM started before mdev-migcheck was installed).  Default: refuse.
    bool allow_unrecorded = false;
    // Destination side: create an mdev the incoming domain names and this
    // host lacks, with the same UUID, on a compatible parent with a free
    // instance (check/provision.hpp).
    bool provision = true;
    // Log verdicts to syslog (identifier "mdev-migcheck").
    bool syslog = true;
    // Source side: how long the detached recorder waits for a starting
    // domain's start job to finish before it gives up.
    std::chrono::milliseconds record_wait{120000};
};

// A configuration as read, with every error found in it (each naming its
// file and line): the valid lines are applied, the invalid ones are not.
struct LoadedConfig {
    Config config;
    std::vector<Error> errors;
};

// Every error of TEXT (ORIGIN names it in the messages).
LoadedConfig parseConfigAll(std::string_view text, std::string_view origin);
// TEXT's configuration, or one error listing every error ("; " between).
Result<Config> parseConfig(std::string_view text, std::string_view origin);
// The errors as one ("; " between them; the first's errno).
Error combineErrors(const std::vector<Error>& errors);

// The configuration file: $MDEV_MIGCHECK_CONFIG if set, else
// ROOT/etc/mdev-migcheck/mdev-migcheck.conf.
std::string configPath(const Root& root);

// Loads the file at PATH and its drop-in directory PATH.d through IO, each
// access bounded by DEADLINE; a missing file gives the defaults.  The file
// must be a regular file (a FIFO, a directory or a device is refused, never
// waited on); a read error is an error, never the defaults.
// Every error of every file is collected (LoadedConfig); loadConfig gives
// one error listing them all, for the hook, which never acts on a
// configuration with an error in it.
LoadedConfig loadConfigAll(const std::string& path, AttrIo& io, Deadline deadline);
Result<Config> loadConfig(const std::string& path, AttrIo& io, Deadline deadline);

} // namespace mdevmc
