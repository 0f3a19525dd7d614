// The migration_version protocol: read the attribute on the source, write
// the string into the target's attribute; the target's driver accepts
// (compatible) or fails the write (incompatible).  The string is opaque:
// never parsed, never compared here.
#pragma once

#include "mdev/host.hpp"
#include "sysfs/attr_io.hpp"

#include <string>

namespace mdevmc {

// Where a device's migration_version lives: the per-device attribute when
// it exists, else the one of its type, in the parent's
// mdev_supported_types/TYPE (where the device's mdev_type link leads): the
// same path for every device of that type on that parent.
struct VersionLocation {
    std::string path; // relative to the root
    bool per_device = false;
};
// (What the device lookup found: no access here.)
VersionLocation versionLocation(const MdevDevice& dev);
// The type-level attribute of TYPE_ID under PARENT.
VersionLocation typeVersionLocation(std::string_view parent, std::string_view type_id);

struct VersionRead {
    enum class Status {
        Ok,
        Missing,  // no attribute: the type does not support migration
        Failed,   // open or read failed with err
        TimedOut, // no answer before the deadline
        Invalid,  // the driver returned something that is not a valid version
    };
    Status status = Status::Failed;
    int err = 0;
    std::string version; // Ok: the string without its trailing newline
    std::string detail;  // Invalid: why
    bool ok() const { return status == Status::Ok; }
};

// Reads a migration_version attribute; strips one trailing newline.
VersionRead readVersion(AttrIo& io, const VersionLocation& where, Deadline deadline);
// What readVersion makes of the read R.
VersionRead versionFrom(AttrRead r);

struct ProbeResult {
    enum class Status {
        Accepted,   // write(2) took every byte: compatible
        Rejected,   // write(2) failed with err: incompatible
        ShortWrite, // write(2) took fewer bytes than offered: incompatible
        TimedOut,   // write(2) did not return before the deadline
        Missing,    // the target has no attribute
        Invalid,    // the version was refused before touching sysfs
        NotMade,    // the write could not be made at all (err): no answer
    };
    Status status = Status::Rejected;
    int err = 0;
    std::size_t written = 0;
    std::size_t offered = 0;
    std::string detail; // Invalid: why
    bool accepted() const { return status == Status::Accepted; }
};

// Writes VERSION plus one newline, in a single write(2), to the attribute.
// VERSION is validated first (checkVersion); an invalid one is never written.
ProbeResult probeVersion(AttrIo& io, const VersionLocation& where, std::string_view version,
                         Deadline deadline);

} // namespace mdevmc
