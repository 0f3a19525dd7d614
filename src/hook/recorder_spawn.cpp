#include "hook/recorder_spawn.hpp"

#include "util/self_path.hpp"

// clang-format off
#include <memory> // boost/process 1.74 uses std::unique_ptr without including it
#include <boost/process/extend.hpp>
// clang-format on
#include <boost/process/args.hpp>
#include <boost/process/io.hpp>
#include <boost/process/spawn.hpp>
#include <cerrno>
#include <csignal>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

#ifndef MDEVMC_BINDIR
#define MDEVMC_BINDIR "/usr/bin"
#endif

namespace mdevmc {

namespace bp = boost::process;

std::string installedCliPath() {
    if (std::string candidate = pathBesideSelf("../../bin/mdev-migcheck");
        !candidate.empty() && ::access(candidate.c_str(), X_OK) == 0) {
        return candidate;
    }
    return std::string(MDEVMC_BINDIR) + "/mdev-migcheck";
}

namespace {

// Starts CLI with ARGS detached: a session of its own, standard streams on
// /dev/null, no other descriptor of ours.
Result<void> spawnDetached(const std::string& cli, const std::vector<std::string>& args) {
    std::error_code ec;
    bp::spawn(cli, bp::args(args), bp::std_in<bp::null, bp::std_out> bp::null,
              bp::std_err > bp::null, ec, bp::extend::on_exec_setup([](auto&) {
                  // A session of its own, and every descriptor but 0-2 closed at
                  // exec (marking keeps boost's exec-error pipe working).
                  // bp::spawn ignores SIGCHLD in the child, and an ignored
                  // SIGCHLD survives exec: the recorder could then not reap
                  // the oracles it runs (waitpid fails with ECHILD) and would
                  // drop their answers.  Back to the default.
                  ::signal(SIGCHLD, SIG_DFL);
                  ::setsid();
                  ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
              }));
    if (ec) {
        return fail("cannot start '" + cli + "': " + ec.message(), ec.value());
    }
    return {};
}

} // namespace

Result<void> spawnRecorder(const std::string& cli, const std::string& domain,
                           const std::string& name) {
    // The name attached to its option and the domain after "--": neither
    // can be read as an option, whatever it starts with.
    std::vector<std::string> args{"annotate", "--wait"};
    if (!name.empty() && name != domain) {
        args.push_back("--name=" + name);
    }
    args.insert(args.end(), {"--", domain});
    return spawnDetached(cli, args);
}

Result<void> spawnGc(const std::string& cli, const std::string& domain_uuid) {
    return spawnDetached(cli, {"gc", "--domain=" + domain_uuid});
}

} // namespace mdevmc
