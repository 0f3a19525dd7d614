// The preflight's targets: a host name ("hostB", "root@hostB") or a libvirt
// URI whose host is used ("qemu+ssh://root@hostB:2222/system"), checked
// before it reaches ssh's command line, and the ssh command that runs
// `mdev-migcheck check` there.
#pragma once

#include "util/error.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace mdevmc::cli {

struct Target {
    std::string spec; // as given
    std::string host;
    std::string user; // "" : ssh's default
    int port = 0;     // 0: ssh's default
};

// SPEC as a target; the error says what is wrong with it, quoted.
Result<Target> parseTarget(std::string_view spec);

// What runs on the target: `check --xml - --json` reading the domain XML
// from standard input.
inline constexpr const char* kRemoteCommand = "mdev-migcheck check --xml - --json";

// The argv of SSH (a program name or path) running kRemoteCommand on T:
//   SSH -T -o BatchMode=yes -o ConnectTimeout=N [-l USER] [-p PORT] -- HOST COMMAND
std::vector<std::string> sshArgv(const std::string& ssh, const Target& t,
                                 std::chrono::seconds connect_timeout);

} // namespace mdevmc::cli
