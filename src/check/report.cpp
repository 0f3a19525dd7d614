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

std::vector<std::string> refusalLines(std::string_view prefix, std::string_view domain,
                                      const Decision& d) {
    std::vector<const DeviceVerdict*> refused;
    for (const auto& v : d.devices) {
        if (!v.compatible) {
            refused.push_back(&v);
        }
    }
    // Past the bound, the last line counts what is not shown.
    const std::size_t shown =
        refused.size() <= kMaxRefusalLines ? refused.size() : kMaxRefusalLines - 1;
    const std::string other = "mdev-migcheck: " + std::string(domain) + ": ";
    std::vector<std::string> out;
    for (std::size_t i = 0; i < shown; ++i) {
        out.push_back((i == 0 ? std::string(prefix) : other) + refusalLine(*refused[i]));
    }
    if (shown < refused.size()) {
        out.push_back(other + std::to_string(refused.size() - shown) +
                      " more mdevs refused (every verdict is in the log)");
    }
    return out;
}

} // namespace mdevmc
