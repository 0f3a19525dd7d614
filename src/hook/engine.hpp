// The hook's work for the ops that need it (the front end, hooks/
// mdev-migcheck-hook.cpp, exits at once for every other op):
//  - migrate begin / restore begin: decide for every mdev hostdev; refuse
//    with exit 1 and a reason on stderr, or accept with exit 0, printing the
//    domain XML only when the check changed it (libvirt taints a domain
//    whose XML a hook printed);
//  - started begin / reconnect begin: start the detached recorder that
//    stores this host's record in the live metadata (on the destination of
//    an incoming migration or restore too, replacing the source's record
//    once libvirt's job ends); never fails.
#pragma once

#include "check/config.hpp"
#include "sysfs/attr_io.hpp"
#include "sysfs/root.hpp"
#include "util/syslog.hpp"

#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace mdevmc {

// The MESSAGE_ID of every verdict in the journal
// (journalctl MESSAGE_ID=... DOMAIN=vm7).
inline constexpr const char* kVerdictMessageId = "6c1f3b0e9a4d4f0b8e2a7d5c93e1b804";

struct HookContext {
    const Root& root;
    AttrIo& io;
    Config config;
    std::optional<Error> config_error; // the configuration could not be loaded
    const SysLog& log;
    std::string host_name;
    std::ostream& out;
    std::ostream& err;
    // Starts the detached recorder for the domain with this UUID.
    std::function<Result<void>(const std::string& domain_uuid, const std::string& name)>
        spawn_recorder;
};

// ARGS: DOMAIN OP SUBOP EXTRA (libvirt's argv without argv[0]).
// Returns the exit code.
int runHook(const std::vector<std::string>& args, std::string_view xml, HookContext& ctx);

} // namespace mdevmc
