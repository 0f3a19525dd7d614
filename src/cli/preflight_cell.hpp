// One cell of the preflight's matrix: what a target answered for a domain
// (its `check --json`), or why it gave no answer, read into a verdict.
#pragma once

#include "cli/preflight_transport.hpp"

#include <optional>
#include <string>
#include <vector>

namespace mdevmc::cli {

enum class CellVerdict {
    Compatible, // every mdev can go there as it is
    Provision,  // every mdev can, once the missing ones are created there
    Refused,    // some mdev cannot
    Error,      // no answer: unreachable, not installed, too old, timed out...
};

// "compatible", "provision", "refused", "error".
const char* cellVerdictName(CellVerdict v);

// A device the domain would need created on the target, and the target's
// parents that can take it (compatible), with their capacity.
struct ProvisionNeed {
    std::string uuid;
    std::string type;
    struct Parent {
        std::string parent;
        std::optional<long> available; // nullopt: the target does not say
    };
    std::vector<Parent> parents;
};

struct Cell {
    std::string domain;
    std::string target;         // as given on the command line
    std::string host;           // the name the target gave itself ("" if no answer)
    std::string remote_version; // its mdev-migcheck version ("" if none)
    CellVerdict verdict = CellVerdict::Error;
    std::string evidence; // "protocol", "fingerprint,protocol", "-"
    std::string reason;   // the first refused device's reason, or the transport's
    std::string detail;   // one line
    bool provision_needed = false;
    bool provision_possible = false;
    std::vector<ProvisionNeed> needs;
    // The target's devices array as it sent it (compact JSON), "" if none.
    std::string devices_json;
};

// Reads O, the outcome of ssh running `check --json` on TARGET for
// DOMAIN, into a cell.  Error reasons: "ssh-failed" (ssh not started),
// "timed-out", "unreachable" (ssh's 255), "not-installed" (127), "too-old"
// (no "mdev_migcheck_version" in the answer), "remote-error" (the check
// failed there: exit 2), "bad-answer".
Cell readCell(const std::string& domain, const std::string& target, const ChildOutcome& o,
              const ChildLimits& limits);

} // namespace mdevmc::cli
