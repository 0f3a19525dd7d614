// The destination's decision: for every mdev hostdev of an incoming domain,
// can this host's vendor driver import the state the source recorded?  Each
// device is decided from the strongest evidence both hosts can give:
//   1. protocol: the source recorded a migration_version and this host's
//      type has the attribute: the driver's answer to the write decides;
//   2. oracle:NAME: a vendor oracle (doc/oracle-protocol.md) that the
//      source recorded a token from, installed here, tells;
//   3. fingerprint: the kernel facts recorded by the source equal this
//      host's (mdev/fingerprint.hpp).
// Every device gets a verdict: its subject ("mdev UUID (TYPE)"), and a
// one-line detail said apart from it.
#pragma once

#include "check/config.hpp"
#include "check/matching.hpp"
#include "domain/domain_xml.hpp"
#include "domain/metadata.hpp"
#include "mdev/host.hpp"
#include "mdev/migration_version.hpp"
#include "util/deadline.hpp"

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
    FingerprintMismatch,
    FingerprintUnreadable,
    OracleIncompatible,
    NoEvidence,
    RecordUnmatched, // no record has its UUID, and none left can be told to be its
    TooManyMdevs,    // past kMaxCheckedMdevs: not checked (the last)
};

// The most mdev hostdevs of one domain that are checked; each one past it
// is refused, with its own verdict.
inline constexpr std::size_t kMaxCheckedMdevs = 256;

// Stable names for scripts ("rejected", "type-mismatch", ...).
const char* reasonName(Reason r);

// What decided a verdict.
enum class Evidence { None, Protocol, Oracle, Fingerprint };
const char* toString(Evidence e);

// A parent that offers the type of a device missing on this host.
struct ParentCandidate {
    std::string parent;
    ProbeResult probe;                       // type-level probe, when the protocol applies
    std::optional<long> available_instances; // capacity, reported separately
    Evidence evidence = Evidence::None;      // what decided `compatible`
    bool compatible = false;
    std::string why; // when not compatible
};

struct DeviceVerdict {
    std::string uuid;
    std::string type;   // the source's type, else this host's
    std::string parent; // this host's parent, when the device exists here
    bool compatible = false;
    Reason reason = Reason::Rejected;
    int err = 0;
    Evidence evidence = Evidence::None;
    std::string oracle;  // Evidence::Oracle: its name
    std::string subject; // "mdev UUID (TYPE)" or "mdev UUID (TYPE) on parent P"
    std::string detail;  // what was found, one line
    std::string message; // subject + ": " + detail
    // What the operator can do here, when there is something ("mdevctl
    // start -u U -p P --type T"); also at the end of the detail, after
    // "next: ".  "DOMAIN" stands for the domain's name.
    std::string next_step;
    std::vector<ParentCandidate> candidates;
    // How the source's record of the device was found (matching.hpp), and
    // the UUID that record has (the source's UUID of the device); None and
    // empty when there is no record.
    MatchedBy matched_by = MatchedBy::None;
    std::string source_uuid;
    // This host's record of the device, read while checking it: its
    // migration_version (recordVersion; the fingerprint stage reads the
    // kernel facts it compares).  Set when the device was found here, and
    // then DIR is the directory it was found in (beneath the root).
    std::optional<MetadataEntry> here;
    std::string dir;
};

// "protocol", "oracle:nvml", "fingerprint", "none".
std::string evidenceName(const DeviceVerdict& v);

struct Decision {
    std::vector<DeviceVerdict> devices;
    std::string host_id; // this host's machine id, as readHostId() read it ("" if none)
    // The host that recorded the source's metadata, as it recorded itself
    // (host= and host-id=); empty when the domain carries no record.
    std::string source_host;
    std::string source_host_id;
    bool compatible() const;
};

// Decides for HOSTDEVS against the source's record SOURCE (nullopt: the
// domain carries no metadata of ours); a hostdev whose UUID the record lacks
// is matched to a record as matching.hpp says.  Every sysfs access is bounded by
// config.attr_timeout and the whole decision by DEADLINE.
Decision decide(const std::vector<MdevHostdev>& hostdevs, const std::optional<Metadata>& source,
                const MdevHost& host, const Config& config, Deadline deadline);

// For a restore: the verdicts of devices without a record say that the save
// image carries none and name the command that records it here (annotate
// --managed-save DOMAIN, or --save-image FILE: the hook cannot tell which).
void adviseSaveImage(Decision& d);

} // namespace mdevmc
