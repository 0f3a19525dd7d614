// The destination's decision: for every mdev hostdev of an incoming domain,
// is this host's vendor driver able to import the state the source recorded?
// Every device is checked and gets a verdict with a one-line reason.
#pragma once

#include "check/config.hpp"
#include "util/deadline.hpp"
#include "domain/domain_xml.hpp"
#include "mdev/host.hpp"
#include "domain/metadata.hpp"
#include "mdev/migration_version.hpp"

#include <optional>
#include <string>
#include <vector>

namespace mdevmc {

enum class Reason {
    Compatible,
    UnrecordedAllowed,
    Unrecorded,
    SourceRecordInvalid,
    SourceReadFailed,
    InvalidUuid,
    DeviceMissing,
    TargetLookupFailed,
    TypeMismatch,
    TargetNoAttribute,
    TargetReadFailed,
    Rejected,
    ShortWrite,
    TimedOut,
};

// Stable names for scripts ("rejected", "type-mismatch", ...).
const char* reasonName(Reason r);

// A parent that offers the type of a device missing on this host.
struct ParentCandidate {
    std::string parent;
    ProbeResult probe;                       // type-level probe of the source version
    std::optional<long> available_instances; // capacity, reported separately
};

struct DeviceVerdict {
    std::string uuid;
    std::string type;   // the source's type, else this host's
    std::string parent; // this host's parent, when the device exists here
    bool compatible = false;
    Reason reason = Reason::Rejected;
    int err = 0;
    std::string message; // "mdev UUID (TYPE): ..." - complete, one line
    std::vector<ParentCandidate> candidates;
};

struct Decision {
    std::vector<DeviceVerdict> devices;
    bool compatible() const;
};

// Decides for HOSTDEVS against the source's record SOURCE (nullopt: the
// domain carries no metadata of ours).  Every sysfs access is bounded by
// config.attr_timeout and the whole decision by DEADLINE.
Decision decide(const std::vector<MdevHostdev>& hostdevs, const std::optional<Metadata>& source,
                const MdevHost& host, const Config& config, Deadline deadline);

// This host's record for HOSTDEVS: each device's migration_version, or the
// errno name of the failed read.  Used by `annotate` and by the hook when it
// accepts a domain (the next migration from here carries these strings).
Metadata recordVersions(const std::vector<MdevHostdev>& hostdevs, const MdevHost& host,
                        std::string_view host_name, std::chrono::milliseconds attr_timeout,
                        Deadline deadline);

} // namespace mdevmc
