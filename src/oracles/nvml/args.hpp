// The oracle's command line (protocol v1): "record UUID TYPE PARENT" or
// "check UUID TYPE PARENT TOKEN".  mdev-migcheck validates these before it
// runs an oracle; the oracle checks them again.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mdevmc::oracle::nvml {

enum class Command { Record, Check };

struct Request {
    Command command = Command::Record;
    std::string uuid;
    std::string type;
    std::string parent;
    std::string token; // check only
};

struct ParsedArgs {
    std::optional<Request> request;
    std::string error; // "invalid mdev UUID 'x'"
};

ParsedArgs parseArgs(int argc, const char* const* argv);

} // namespace mdevmc::oracle::nvml
