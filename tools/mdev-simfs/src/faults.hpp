// Faults injected at run time through the control file, and the parser of
// its commands (one per line):
//   fail-read PATH ERRNO      fail-write PATH ERRNO
//   delay-read PATH MS        delay-write PATH MS
//   hang-read PATH            hang-write PATH      (until released)
//   short-write PATH NBYTES   (write(2) returns NBYTES, the store is not run)
//   release PATH|all          clear PATH|all
//   vanish UUID
//   set-software-version PARENT MAJOR.MINOR
//   set-available PARENT TYPE N
//   set-migration PARENT TYPE supported|absent|ERRNO
// PATH is relative to the mount point and may go through symlinks.
#pragma once

#include "topology.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace mdevsim {

struct Fault {
    int read_err = 0;
    int write_err = 0;
    int read_delay_ms = 0;
    int write_delay_ms = 0;
    bool read_hang = false;
    bool write_hang = false;
    std::optional<std::size_t> short_write;
};

struct Command {
    enum class Op {
        FailRead,
        FailWrite,
        DelayRead,
        DelayWrite,
        HangRead,
        HangWrite,
        ShortWrite,
        Release,
        Clear,
        Vanish,
        SetSoftwareVersion,
        SetAvailable,
        SetMigration,
    };
    Op op = Op::Clear;
    std::string path; // or UUID / PARENT
    std::string arg1; // TYPE, version
    std::string arg2;
    int number = 0; // errno, milliseconds, bytes, count
    Migration migration;
};

// Parses one command line; throws SimError naming what is wrong.
Command parseCommand(std::string_view line);

} // namespace mdevsim
