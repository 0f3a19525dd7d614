// The lines the hook leaves on stderr for virsh's error message when it
// refuses (the CLI's tables and JSON are in src/cli/decision_output).
#pragma once

#include "check/decision.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace mdevmc {

// The most refusal lines the hook prints for one domain; the rest are
// counted on one last line (every verdict still reaches the log).
inline constexpr std::size_t kMaxRefusalLines = 32;

// PREFIX ("mdev-migcheck: refusing migration of D: ") and the first failing
// device, then one line "mdev-migcheck: D: ..." per further failing device
// (at most kMaxRefusalLines in all); each ends with the evidence that
// decided it ("(evidence: fingerprint)").  Lines without their newline,
// not yet escaped.
std::vector<std::string> refusalLines(std::string_view prefix, std::string_view domain,
                                      const Decision& d);

} // namespace mdevmc
