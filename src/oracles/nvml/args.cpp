#include "args.hpp"

#include "mdev/validate.hpp"

namespace mdevmc::oracle::nvml {

namespace {

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
    if (!mdevmc::isValidUuid(req.uuid)) {
        r.error = "invalid mdev UUID '" + shown(req.uuid) + "'";
        return r;
    }
    if (!mdevmc::isValidName(req.type)) {
        r.error = "invalid mdev type '" + shown(req.type) + "'";
        return r;
    }
    if (!mdevmc::isValidName(req.parent)) {
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
