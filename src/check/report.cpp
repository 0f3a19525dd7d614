#include "check/report.hpp"

#include "util/errno_name.hpp"

#include <algorithm>
#include <iomanip>

namespace mdevmc {

namespace {

// The verdict's detail, without its subject, for the table.
std::string_view reasonText(const DeviceVerdict& v) {
    return v.detail.empty() ? std::string_view(v.message) : std::string_view(v.detail);
}

const char* probeName(ProbeResult::Status s) {
    switch (s) {
    case ProbeResult::Status::Accepted:
        return "accepted";
    case ProbeResult::Status::Rejected:
        return "rejected";
    case ProbeResult::Status::ShortWrite:
        return "short-write";
    case ProbeResult::Status::TimedOut:
        return "timed-out";
    case ProbeResult::Status::Missing:
        return "no-migration-version";
    case ProbeResult::Status::Invalid:
        return "not-probed";
    }
    return "unknown";
}

} // namespace

std::string jsonString(std::string_view s) {
    std::string out = "\"";
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                static constexpr char kHex[] = "0123456789abcdef";
                out += "\\u00";
                out += kHex[c >> 4];
                out += kHex[c & 0xf];
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    return out + "\"";
}

void printDecisionTable(std::ostream& out, const Decision& d) {
    std::size_t type_w = 4;
    for (const auto& v : d.devices) {
        type_w = std::max(type_w, v.type.size());
    }
    out << std::left << std::setw(37) << "UUID" << std::setw(static_cast<int>(type_w + 2)) << "TYPE"
        << std::setw(12) << "VERDICT"
        << "REASON\n";
    for (const auto& v : d.devices) {
        out << std::left << std::setw(37) << v.uuid << std::setw(static_cast<int>(type_w + 2))
            << (v.type.empty() ? "-" : v.type) << std::setw(12)
            << (v.compatible ? "compatible" : "refused") << reasonText(v) << '\n';
    }
}

void printDecisionJson(std::ostream& out, std::string_view domain, const Decision& d) {
    out << "{\"domain\": " << jsonString(domain)
        << ", \"compatible\": " << (d.compatible() ? "true" : "false") << ", \"devices\": [";
    bool first = true;
    for (const auto& v : d.devices) {
        out << (first ? "" : ", ") << "{\"uuid\": " << jsonString(v.uuid)
            << ", \"type\": " << jsonString(v.type) << ", \"parent\": " << jsonString(v.parent)
            << ", \"verdict\": " << (v.compatible ? "\"compatible\"" : "\"refused\"")
            << ", \"reason\": " << jsonString(reasonName(v.reason))
            << ", \"errno\": " << (v.err != 0 ? jsonString(errnoName(v.err)) : std::string("null"))
            << ", \"message\": " << jsonString(v.message) << ", \"candidates\": [";
        bool cfirst = true;
        for (const auto& c : v.candidates) {
            out << (cfirst ? "" : ", ") << "{\"parent\": " << jsonString(c.parent)
                << ", \"accepts\": " << (c.probe.accepted() ? "true" : "false")
                << ", \"result\": " << jsonString(probeName(c.probe.status)) << ", \"errno\": "
                << (c.probe.err != 0 ? jsonString(errnoName(c.probe.err)) : std::string("null"))
                << ", \"available_instances\": "
                << (c.available_instances ? std::to_string(*c.available_instances)
                                          : std::string("null"))
                << "}";
            cfirst = false;
        }
        out << "]}";
        first = false;
    }
    out << "]}\n";
}

std::string refusalText(std::string_view what, std::string_view domain, const Decision& d) {
    std::string out;
    for (const auto& v : d.devices) {
        if (v.compatible) {
            continue;
        }
        if (out.empty()) {
            out = "mdev-migcheck: refusing " + std::string(what) + " of " + std::string(domain) +
                  ": " + v.message + "\n";
        } else {
            out += "mdev-migcheck: " + std::string(domain) + ": " + v.message + "\n";
        }
    }
    return out;
}

} // namespace mdevmc
