#include "answer.hpp"

namespace mdevmc::oracle::nvml {

std::string sanitizeReason(std::string_view reason) {
    std::string out;
    out.reserve(std::min(reason.size(), kMaxReasonLength));
    for (char c : reason) {
        const auto u = static_cast<unsigned char>(c);
        out += (u >= 0x20 && u <= 0x7e) ? c : '?';
    }
    if (out.size() > kMaxReasonLength) {
        out.resize(kMaxReasonLength - 3);
        out += "...";
    }
    if (out.empty()) {
        out = "no reason given";
    }
    return out;
}

std::string formatAnswer(const Answer& answer) {
    switch (answer.kind) {
    case Answer::Kind::Token:
        return "token " + answer.text;
    case Answer::Kind::Unclaimed:
        return "unclaimed";
    case Answer::Kind::Compatible:
        return "compatible";
    case Answer::Kind::Incompatible:
        return "incompatible " + sanitizeReason(answer.text);
    case Answer::Kind::Unknown:
        break;
    }
    return "unknown " + sanitizeReason(answer.text);
}

} // namespace mdevmc::oracle::nvml
