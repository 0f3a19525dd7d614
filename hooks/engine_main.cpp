// The engine's entry: the configuration, the worker, the backstop alarm and
// the hook's context around runHook (src/hook/engine.hpp).
#include "engine_main.hpp"

#include "check/config.hpp"
#include "domain/domain_xml.hpp"
#include "hook/engine.hpp"
#include "hook/ops.hpp"
#include "hook/recorder_spawn.hpp"
#include "sysfs/attr_io.hpp"
#include "sysfs/root.hpp"
#include "util/escape.hpp"
#include "util/host_name.hpp"
#include "util/run_dir.hpp"
#include "util/std_fds.hpp"
#include "util/syslog.hpp"

#include <csignal>
#include <cstring>
#include <iostream>
#include <sys/time.h>
#include <unistd.h>

namespace mdevmc {

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

int engineMain(const std::vector<std::string>& args, std::string xml) {
    const auto arg = [&args](std::size_t i) { return i < args.size() ? args[i].c_str() : ""; };
    const bool checking =
        args.size() >= 3 && hookAction(hookOpFromString(arg(1)), hookSubopFromString(arg(2))) ==
                                HookAction::CheckIncoming;
    const std::string refusing = refusalPrefix(
        args.size() >= 2 ? hookOpFromString(arg(1)) : HookOp::Unknown, args.empty() ? "-" : arg(0));
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

        // libvirt reads what a hook prints as a C string: a NUL byte ends
        // the document for it, and so for the check.
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

} // namespace mdevmc
