#include "check/report.hpp"

namespace mdevmc {

std::string refusalText(std::string_view prefix, std::string_view domain, const Decision& d) {
    std::string out;
    for (const auto& v : d.devices) {
        if (v.compatible) {
            continue;
        }
        if (out.empty()) {
            out = std::string(prefix) + v.message + "\n";
        } else {
            out += "mdev-migcheck: " + std::string(domain) + ": " + v.message + "\n";
        }
    }
    return out;
}

} // namespace mdevmc
