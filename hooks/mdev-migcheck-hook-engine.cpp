// mdev-migcheck-hook-engine: does the hook's work for the ops that need it
// (see src/hook/engine.hpp).  Started only by mdev-migcheck-hook, with the
// same arguments and the domain XML on stdin.
#include "check/config.hpp"
#include "domain/domain_xml.hpp"
#include "hook/engine.hpp"
#include "hook/ops.hpp"
#include "hook/recorder_spawn.hpp"
#include "sysfs/attr_io.hpp"
#include "sysfs/root.hpp"
#include "util/escape.hpp"
#include "util/host_name.hpp"
#include "util/read_all.hpp"
#include "util/run_dir.hpp"
#include "util/std_fds.hpp"
#include "util/syslog.hpp"

#include <csignal>
#include <cstring>
#include <iostream>
#include <sys/time.h>
#include <unistd.h>

namespace {

// The last line of defence against a hang outside the bounded filesystem
// accesses: when it fires, the check is refused (a start is never failed).
std::string g_alarm_message;
int g_alarm_exit = 0;

void onAlarm(int) {
    (void)!::write(STDERR_FILENO, g_alarm_message.data(), g_alarm_message.size());
    ::_exit(g_alarm_exit);
}

void armBackstop(std::chrono::milliseconds after) {
    itimerval t{};
    t.it_value.tv_sec = static_cast<time_t>(after.count() / 1000);
    t.it_value.tv_usec = static_cast<suseconds_t>((after.count() % 1000) * 1000);
    ::setitimer(ITIMER_REAL, &t, nullptr);
}

} // namespace

int main(int argc, char** argv) {
    using namespace mdevmc;
    const std::vector<std::string> args(argv + 1, argv + argc);
    const bool checking =
        argc >= 4 && hookAction(hookOpFromString(argv[2]), hookSubopFromString(argv[3])) ==
                         HookAction::CheckIncoming;
    if (!ensureStdFds()) {
        return checking ? 1 : 0;
    }
    if (wantsHookHelp(argc, argv)) { // never libvirt's call: it passes four arguments
        std::cout << hookUsage("mdev-migcheck-hook-engine")
                  << "\nThe engine is started by mdev-migcheck-hook, with its arguments.\n";
        return std::cout.flush() ? 0 : 1;
    }
    const std::string refusing = refusalPrefix(
        argc >= 3 ? hookOpFromString(argv[2]) : HookOp::Unknown, argc >= 2 ? argv[1] : "-");
    const auto say = [](const std::string& line) { std::cerr << escapeLine(line) << '\n'; };
    try {
        // The backstop is armed before anything that could wait, the
        // configuration included, from the defaults; re-armed from the
        // configuration once it is read.
        g_alarm_message =
            escapeLine(refusing + "the check did not finish in time (timed out)") + "\n";
        g_alarm_exit = checking ? 1 : 0;
        std::signal(SIGALRM, onAlarm);
        const Config defaults;
        armBackstop(defaults.timeout + defaults.attr_timeout + std::chrono::milliseconds(1000));

        // At most one byte more than is accepted: a larger XML is refused
        // (too large) by the parser, without reading the rest.  libvirt
        // reads what a hook prints as a C string: a NUL byte ends the
        // document for it, and so for the check.
        std::string xml = readAllBounded(STDIN_FILENO, kMaxDomainXml).data;
        static_assert(kMaxDomainXml == kMaxHookXml);
        if (const auto nul = xml.find('\0'); nul != std::string::npos) {
            xml.resize(nul);
        }

        auto root = Root::fromEnvironment();
        if (!root) {
            if (checking) {
                say(refusing + root.error().message);
                return 1;
            }
            return 0;
        }
        // Every access beneath the root, the configuration's included, is
        // made by the worker: this process never waits on a hung mount.
        WorkerAttrIo io(*root);
        Config config;
        std::optional<Error> config_error;
        if (auto c = loadConfig(configPath(*root), io, Deadline::after(defaults.attr_timeout))) {
            config = *c;
        } else {
            config_error = c.error();
        }
        armBackstop(config.timeout + std::chrono::milliseconds(1000));

        const SysLog log(config.syslog);
        const std::string cli = installedCliPath();
        HookContext ctx{*root,
                        io,
                        config,
                        config_error,
                        log,
                        hostName(),
                        std::cout,
                        std::cerr,
                        nullptr,
                        nullptr,
                        runDirectory(root->path())};
        ctx.spawn_recorder = [&cli](const std::string& dom, const std::string& name) {
            return spawnRecorder(cli, dom, name);
        };
        ctx.spawn_gc = [&cli](const std::string& dom) { return spawnGc(cli, dom); };
        int rc = runHook(args, xml, ctx);
        io.leave(); // no wait for the worker on the way out
        std::cout.flush();
        if (!std::cout && checking && rc == 0) {
            // libvirt would take a cut document for the domain's definition.
            say(refusing + "cannot hand the domain XML back to libvirt (writing it failed)");
            rc = 1;
        }
        return rc;
    } catch (const std::exception& e) {
        if (checking) {
            say(refusing + e.what());
            return 1;
        }
        return 0;
    }
}
