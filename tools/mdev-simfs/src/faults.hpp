// Faults injected at run time through the control file, and the parser of
// its commands (one per line):
//   fail-read PATH ERRNO      fail-write PATH ERRNO
//   delay-read PATH MS        delay-write PATH MS
//   hang-read PATH            hang-write PATH      (until released)
//   fail-lookup PATH ERRNO    delay-lookup PATH MS    hang-lookup PATH
//   fail-readlink PATH ERRNO  delay-readlink PATH MS  hang-readlink PATH
//   stall PATH MS             (no answer to any request on PATH for MS,
//                              FUSE interrupts ignored)
//   short-write PATH NBYTES   (write(2) returns NBYTES, the store is not run)
//   release PATH|all          clear PATH|all
//   vanish UUID
//   set-software-version PARENT MAJOR.MINOR
//   set-available PARENT TYPE N
//   set-migration PARENT TYPE supported|absent|ERRNO
//   set-attr PATH [VALUE...]  (new content of a fixed-content attribute)
// PATH is relative to the mount point and may go through symlinks.  Read
// and write faults apply to the file PATH resolves to; lookup, readlink and
// stall faults to the entry PATH names (a symlink itself, not its target).
#pragma once

#include "topology.hpp"

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace mdevsim {

// The requests a fault can hold: read(2)/write(2) of an attribute, the
// lookup (getattr) of any entry, the readlink(2) of a symlink.
enum class Access { Read, Write, Lookup, Readlink };
inline constexpr std::size_t kAccesses = 4;

struct AccessFault {
    int err = 0;
    int delay_ms = 0;
    bool hang = false;
};

struct Fault {
    std::array<AccessFault, kAccesses> on{};
    int stall_ms = 0;
    std::optional<std::size_t> short_write;
    AccessFault& at(Access a) { return on[static_cast<std::size_t>(a)]; }
    const AccessFault& at(Access a) const { return on[static_cast<std::size_t>(a)]; }
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
        FailLookup,
        DelayLookup,
        HangLookup,
        FailReadlink,
        DelayReadlink,
        HangReadlink,
        Stall,
        SetAttr,
    };
    Op op = Op::Clear;
    std::string path; // or UUID / PARENT
    std::string arg1; // TYPE, version, set-attr content
    std::string arg2;
    int number = 0; // errno, milliseconds, bytes, count
    Migration migration;
};

// The access a fail-/delay-/hang- command is about.
std::optional<Access> accessOf(Command::Op op);

// Parses one command line; throws SimError naming what is wrong.
Command parseCommand(std::string_view line);

} // namespace mdevsim
