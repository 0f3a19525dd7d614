#include "check/report.hpp"

namespace mdevmc {

namespace {

// The verdict's message and, when some evidence decided it, which.
std::string refusalLine(const DeviceVerdict& v) {
    if (v.evidence == Evidence::None) {
        return v.message;
    }
    return v.message + " (evidence: " + evidenceName(v) + ")";
}

} // namespace

std::string refusalText(std::string_view prefix, std::string_view domain, const Decision& d) {
    std::string out;
    for (const auto& v : d.devices) {
        if (v.compatible) {
            continue;
        }
        if (out.empty()) {
            out = std::string(prefix) + refusalLine(v) + "\n";
        } else {
            out += "mdev-migcheck: " + std::string(domain) + ": " + refusalLine(v) + "\n";
        }
    }
    return out;
}

} // namespace mdevmc
