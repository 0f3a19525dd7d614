// How decisions are shown: a table for people, JSON for scripts, and the
// short lines the hook leaves on stderr for virsh's error message.
#pragma once

#include "check/decision.hpp"

#include <ostream>
#include <string>
#include <string_view>

namespace mdevmc {

// One row per device: UUID, TYPE, VERDICT, REASON.
void printDecisionTable(std::ostream& out, const Decision& d);

// {"domain": ..., "compatible": ..., "devices": [...]}
void printDecisionJson(std::ostream& out, std::string_view domain, const Decision& d);

// The hook's stderr on refusal: the first line says what is refused and why
// (the first failing device), then one line per further failing device.
std::string refusalText(std::string_view what, std::string_view domain, const Decision& d);

// A JSON string literal for S.
std::string jsonString(std::string_view s);

} // namespace mdevmc
