// The lines the hook leaves on stderr for virsh's error message when it
// refuses (the CLI's tables and JSON are in src/cli/decision_output).
#pragma once

#include "check/decision.hpp"

#include <string>
#include <string_view>

namespace mdevmc {

// PREFIX ("mdev-migcheck: refusing migration of D: ") and the first failing
// device, then one line "mdev-migcheck: D: ..." per further failing device;
// each ends with the evidence that decided it ("(evidence: fingerprint)").
std::string refusalText(std::string_view prefix, std::string_view domain, const Decision& d);

} // namespace mdevmc
