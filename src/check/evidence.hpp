// The stages of a device's decision once the device and the source's record
// are known: the evidence, strongest first (protocol, oracle, fingerprint),
// and the parents that could hold a device missing here.  Each stage is
// testable alone.
#pragma once

#include "check/decision.hpp"
#include "check/oracle.hpp"
#include "mdev/migration_version.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace mdevmc {

// "mdev UUID (TYPE)", or "mdev UUID" when the type is not known; then
// " on parent PARENT" when PARENT is given.
std::string subjectOf(std::string_view uuid, std::string_view type, std::string_view parent = {});

// V's message again, subject + ": " + detail, after either changed.
void restateMessage(DeviceVerdict& v);
// Sets V's verdict and its message (subject + ": " + detail).
void refuse(DeviceVerdict& v, Reason r, int err, std::string detail);
// Sets V's next step and ends its detail and message with "; next: STEP".
void suggest(DeviceVerdict& v, std::string step);
void accept(DeviceVerdict& v, Reason r, Evidence e, std::string detail);

struct EvidenceInput {
    const MetadataEntry& source;     // the source's record (valid)
    const MdevDevice& device;        // the device here, of the recorded type
    const VersionLocation& location; // its migration_version (versionLocation)
    const MetadataEntry& here;       // this host's record of it
    const MdevHost& host;
    const Config& config;
    Oracles& oracles;
    Deadline deadline;
    bool same_host; // the record was made by this host (a restore)
    // Non-null: HERE carries no kernel facts (recordVersion), and the
    // fingerprint stage reads them, through this cache, when it is reached.
    FingerprintCache* facts = nullptr;
};

// Decides V from the strongest evidence both hosts give.
void decideByEvidence(DeviceVerdict& v, const EvidenceInput& in);

// The stages, each returning true when it decided V.
bool decideByProtocol(DeviceVerdict& v, const EvidenceInput& in);
bool decideByOracle(DeviceVerdict& v, const EvidenceInput& in, std::string& note);
bool decideByFingerprint(DeviceVerdict& v, const EvidenceInput& in);

// For a device missing here: every parent offering the recorded type, with
// its compatibility (by the same evidence) and capacity.
std::vector<ParentCandidate> evaluateCandidates(const MetadataEntry& rec,
                                                const std::optional<Metadata>& source,
                                                const MdevHost& host, const Config& config,
                                                Deadline deadline);
std::string describeCandidates(const std::vector<ParentCandidate>& cs,
                               std::chrono::milliseconds attr_timeout);

// What to run for a device missing here (UUID of TYPE), given the
// candidates: create it on a compatible parent with a free instance; else
// which compatible parent would take it once an instance is freed there;
// empty when no parent here is compatible.
std::string nextStepForMissing(const std::string& uuid, const std::string& type,
                               const std::vector<ParentCandidate>& cs);

} // namespace mdevmc
