#include "args.hpp"

namespace mdevmc::oracle::nvml {

namespace {

constexpr std::size_t kMaxNameLength = 128;

bool isHex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Shows an argument in an error message: printable ASCII kept, the rest as
// '?', at most 64 characters.
std::string shown(std::string_view s) {
    std::string out;
    for (char c : s.substr(0, 64)) {
        const auto u = static_cast<unsigned char>(c);
        out += (u >= 0x20 && u < 0x7f) ? c : '?';
    }
    if (s.size() > 64) {
        out += "...";
    }
    return out;
}

} // namespace

bool isCanonicalUuid(std::string_view s) {
    if (s.size() != 36) {
        return false;
    }
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') {
                return false;
            }
        } else if (!isHex(s[i])) {
            return false;
        }
    }
    return true;
}

bool isValidName(std::string_view s) {
    if (s.empty() || s.size() > kMaxNameLength || s[0] == '.' || s[0] == '-') {
        return false;
    }
    for (char c : s) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' || c == '+' ||
                        c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

ParsedArgs parseArgs(int argc, const char* const* argv) {
    ParsedArgs r;
    if (argc < 2) {
        r.error = "usage: nvml record UUID TYPE PARENT | nvml check UUID TYPE PARENT TOKEN";
        return r;
    }
    const std::string_view cmd = argv[1];
    Request req;
    std::size_t want = 0;
    if (cmd == "record") {
        req.command = Command::Record;
        want = 5;
    } else if (cmd == "check") {
        req.command = Command::Check;
        want = 6;
    } else {
        r.error = "unknown command '" + shown(cmd) + "' (expected 'record' or 'check')";
        return r;
    }
    if (static_cast<std::size_t>(argc) != want) {
        r.error = "'" + std::string(cmd) + "' takes " + std::to_string(want - 2) +
                  " arguments, got " + std::to_string(argc - 2);
        return r;
    }
    req.uuid = argv[2];
    req.type = argv[3];
    req.parent = argv[4];
    if (!isCanonicalUuid(req.uuid)) {
        r.error = "invalid mdev UUID '" + shown(req.uuid) + "'";
        return r;
    }
    if (!isValidName(req.type)) {
        r.error = "invalid mdev type '" + shown(req.type) + "'";
        return r;
    }
    if (!isValidName(req.parent)) {
        r.error = "invalid parent device name '" + shown(req.parent) + "'";
        return r;
    }
    if (req.command == Command::Check) {
        req.token = argv[5];
    }
    r.request = std::move(req);
    return r;
}

} // namespace mdevmc::oracle::nvml
