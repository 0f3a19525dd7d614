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
#include "util/host_name.hpp"
#include "util/read_all.hpp"
#include "util/syslog.hpp"

#include <csignal>
#include <cstring>
#include <iostream>
#include <sys/time.h>
#include <unistd.h>

namespace {

// The last line of defence against a hang outside the bounded sysfs
// accesses: when it fires, the check is refused (a start is never failed).
const char* g_alarm_message = nullptr;
int g_alarm_exit = 0;

void onAlarm(int) {
    if (g_alarm_message != nullptr) {
        (void)!::write(STDERR_FILENO, g_alarm_message, std::strlen(g_alarm_message));
    }
    ::_exit(g_alarm_exit);
}

} // namespace

int main(int argc, char** argv) {
    using namespace mdevmc;
    const std::vector<std::string> args(argv + 1, argv + argc);
    const bool checking =
        argc >= 4 && hookAction(hookOpFromString(argv[2]), hookSubopFromString(argv[3])) ==
                         HookAction::CheckIncoming;
    const std::string refusing = refusalPrefix(
        argc >= 3 ? hookOpFromString(argv[2]) : HookOp::Unknown, argc >= 2 ? argv[1] : "-");
    try {
        // At most one byte more than is accepted: a larger XML is refused
        // (too large) by the parser, without reading the rest.
        const std::string xml = readAllBounded(STDIN_FILENO, kMaxDomainXml).data;

        auto root = Root::fromEnvironment();
        if (!root) {
            if (checking) {
                std::cerr << refusing << root.error().message << '\n';
                return 1;
            }
            return 0;
        }
        Config config;
        std::optional<Error> config_error;
        if (auto c = loadConfig(configPath(*root))) {
            config = *c;
        } else {
            config_error = c.error();
        }

        const std::string alarm_message =
            refusing + "the check did not finish in time (timed out)\n";
        g_alarm_message = checking ? alarm_message.c_str() : nullptr;
        g_alarm_exit = checking ? 1 : 0;
        std::signal(SIGALRM, onAlarm);
        itimerval t{};
        const auto backstop = config.timeout + std::chrono::milliseconds(1000);
        t.it_value.tv_sec = static_cast<time_t>(backstop.count() / 1000);
        t.it_value.tv_usec = static_cast<suseconds_t>((backstop.count() % 1000) * 1000);
        ::setitimer(ITIMER_REAL, &t, nullptr);

        const SysLog log(config.syslog);
        WorkerAttrIo io(*root);
        const std::string cli = installedCliPath();
        HookContext ctx{*root,      io,        config,    config_error, log,
                        hostName(), std::cout, std::cerr, nullptr};
        ctx.spawn_recorder = [&cli](const std::string& dom) { return spawnRecorder(cli, dom); };
        const int rc = runHook(args, xml, ctx);
        std::cout.flush();
        return rc;
    } catch (const std::exception& e) {
        if (checking) {
            std::cerr << refusing << e.what() << '\n';
            return 1;
        }
        return 0;
    }
}
