// Provisioning: an mdev an incoming domain names and this host lacks is
// created here with the same UUID, through its type's `create` attribute
// beneath the root (what `mdevctl start` does), on a parent that offers the
// type, passes the compatibility check (the candidates the decision
// computed, check/evidence.hpp) and has an instance available: the parent
// with the source's address first, then the others in name order.  The
// choice and the creation happen under the run directory's lock, with
// available_instances read again under it, so concurrent incoming domains
// never take the same last instance; each creation is journalled
// (check/created.hpp) before it is made, so nothing is left unjournalled.
// The device is then checked as any existing one (the hook decides again).
#pragma once

#include "check/config.hpp"
#include "check/created.hpp"
#include "check/decision.hpp"
#include "domain/metadata.hpp"
#include "mdev/host.hpp"

#include <optional>
#include <string>
#include <vector>

namespace mdevmc {

// What provisioning did for a decision.
struct ProvisionOutcome {
    std::vector<CreatedEntry> created;
    // Devices that were not created although a parent looked fit: why, one
    // line, per mdev UUID.
    std::vector<std::pair<std::string, std::string>> failures;
};

// True when every device D refuses is missing here and has a compatible
// candidate parent: creating them could make D accept.
bool worthProvisioning(const Decision& d);

// Creates, under the journal's lock (waited for until DEADLINE), every
// device D refuses as missing, for the domain DOMAIN (name) with
// DOMAIN_UUID.
ProvisionOutcome provisionMissing(const Decision& d, const std::optional<Metadata>& source,
                                  const MdevHost& host, const Config& config, Deadline deadline,
                                  const CreatedJournal& journal, const std::string& domain,
                                  const std::string& domain_uuid);

// Adds to the verdict of each device of D that provisioning could not
// create why it could not ("; creating it here failed: ...").
void noteProvisionFailures(Decision& d, const ProvisionOutcome& p);

// The removal of a created device.
enum class RemoveStatus {
    Removed,
    AlreadyGone, // counts as removed (some drivers remove it when the VM stops)
    NotOurs,     // a device of another parent or type holds the UUID now
    Failed,
};
struct RemoveResult {
    RemoveStatus status = RemoveStatus::Failed;
    std::string detail; // NotOurs, Failed: why
};

// Removes the device ENTRY journalled (writes 1 to its `remove`), after
// checking that the device under its UUID is of the journalled parent and
// type.  Each access bounded by ATTR_TIMEOUT and all by DEADLINE.
RemoveResult removeCreatedDevice(const MdevHost& host, const CreatedEntry& entry, Deadline deadline,
                                 std::chrono::milliseconds attr_timeout);

// Removes what this run created (the hook refused after all) and their
// journal entries, under the lock; an entry whose removal failed is kept
// for gc.  Returns one line per device that could not be removed.
std::vector<std::string> rollBackCreated(const std::vector<CreatedEntry>& created,
                                         const MdevHost& host, const CreatedJournal& journal,
                                         Deadline deadline, std::chrono::milliseconds attr_timeout);

} // namespace mdevmc
