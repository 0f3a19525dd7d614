// How the CLI shows a destination's decision: a table for people
// (UUID, TYPE, VERDICT, REASON), JSON for scripts.
#pragma once

#include "check/decision.hpp"
#include "cli/cli.hpp"
#include "cli/json.hpp"
#include "mdev/migration_version.hpp"
#include "util/texttable.hpp"

#include <string>

namespace mdevmc::cli {

// The stable name of a probe result in JSON ("accepted", "rejected",
// "short-write", "timed-out", "no-migration-version", "not-probed").
const char* probeResultName(ProbeResult::Status s);

// A heading, then one row per device.
TextTable decisionTable(const Decision& d);

// {"mdev_migcheck_version", "host", "domain", "compatible", "devices":
// [{"uuid", "type", "parent", "verdict", "reason", "evidence", "errno",
// "message", "detail", "candidates": [{"parent", "accepts", "result",
// "compatible", "evidence", "why", "errno", "available_instances"}]}]},
// described in doc/json.md; "host" is this host's name.
Json decisionJson(const std::string& domain, const Decision& d);

// Prints D, the decision for DOMAIN, as JSON or as a table (or says that
// there is nothing to check); returns the exit code: 0 compatible, 1 not.
int printDecision(CliContext& ctx, const std::string& domain, const Decision& d, bool json);

} // namespace mdevmc::cli
