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
//    A missing mdev is first created where a parent fits (check/provision.hpp);
//    what was created is removed again when the hook refuses after all;
//    at migrate begin, a domain that carries no record at all is accepted
//    and noted for prepare begin (hook/incoming.hpp);
//  - prepare begin: refuse the live migration migrate begin noted;
//  - release end (the front end enters the engine only when the journal of
//    created mdevs has entries): start `mdev-migcheck gc` detached for the
//    domain; never fails.
#pragma once

#include "check/config.hpp"
#include "sysfs/attr_io.hpp"
#include "sysfs/root.hpp"
#include "util/syslog.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mdevmc {

// The MESSAGE_ID of every verdict in the journal
// (journalctl MESSAGE_ID=... DOMAIN=vm7).
inline constexpr const char* kVerdictMessageId = "6c1f3b0e9a4d4f0b8e2a7d5c93e1b804";
// The MESSAGE_ID of every mdev the hook created (provisioning).
inline constexpr const char* kCreatedMessageId = "2b8d4c7e5f1a4e39a0c6d1b7e9f35a12";

struct HookContext {
    const Root& root;
    AttrIo& io;
    Config config;
    std::optional<Error> config_error; // the configuration could not be loaded
    const SysLog& log;
    std::string host_name;
    // What the hook prints on stdout and stderr, appended here (strings,
    // not streams: the check starts no locale machinery).
    std::string& out;
    std::string& err;
    // Starts the detached recorder for the domain with this UUID.
    std::function<Result<void>(const std::string& domain_uuid, const std::string& name)>
        spawn_recorder;
    // Starts the detached gc for the domain with this UUID (release end).
    std::function<Result<void>(const std::string& domain_uuid)> spawn_gc;
    // The run directory (util/run_dir.hpp) with the lock and the journal of
    // created mdevs; empty: nothing is provisioned.
    std::string run_dir;
    // When the hook started: the check is bounded by config.timeout from
    // then (a check restarted after a late access keeps the same bound).
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    // When set, a check calls it with its exit code as soon as that is
    // known, before the check's own state is freed; it may not return (the
    // engine's check child hands the answer over and exits there).
    std::function<void(int rc)> answered{};
};

// ARGS: DOMAIN OP SUBOP EXTRA (libvirt's argv without argv[0]).
// Returns the exit code.
int runHook(const std::vector<std::string>& args, std::string_view xml, HookContext& ctx);

} // namespace mdevmc
