// The oracle's one answer line (protocol v1).
#pragma once

#include <string>
#include <string_view>

namespace mdevmc::oracle::nvml {

inline constexpr std::size_t kMaxReasonLength = 512;

struct Answer {
    enum class Kind { Token, Unclaimed, Compatible, Incompatible, Unknown };
    Kind kind = Kind::Unknown;
    std::string text; // the token, or the reason

    static Answer token(std::string t) { return {Kind::Token, std::move(t)}; }
    static Answer unclaimed() { return {Kind::Unclaimed, {}}; }
    static Answer compatible() { return {Kind::Compatible, {}}; }
    static Answer incompatible(std::string why) { return {Kind::Incompatible, std::move(why)}; }
    static Answer unknown(std::string why) { return {Kind::Unknown, std::move(why)}; }
};

// Printable ASCII (0x20-0x7e) kept, any other byte as '?', at most
// kMaxReasonLength bytes (a cut reason ends in "...").
std::string sanitizeReason(std::string_view reason);

// The line, without its newline: "token T", "unclaimed", "incompatible R"...
std::string formatAnswer(const Answer& answer);

} // namespace mdevmc::oracle::nvml
