// mdev-migcheck watch: the service that records the mdevs attached to
// running domains, for which libvirt runs no hook (virt/watch.hpp).
#include "cli/cli.hpp"
#include "cli/host_env.hpp"
#include "util/host_name.hpp"
#include "util/syslog.hpp"
#include "virt/libvirt_hypervisor.hpp"
#include "virt/watch.hpp"

#include <csignal>
#include <thread>

namespace mdevmc::cli {

namespace {

constexpr const char* kHelp =
    "Usage: mdev-migcheck watch [-c URI]\n"
    "\n"
    "Runs until stopped (SIGTERM or SIGINT), recording this host's\n"
    "migration_version in the live <metadata> of running domains when libvirt runs\n"
    "no hook for them: when a device is attached to a running domain (an mdev\n"
    "hot-plugged with virsh attach-device --live) and when a domain starts or\n"
    "resumes.  When it connects, it records every running domain.  A connection\n"
    "lost (the daemon restarted) is opened again, at growing intervals up to 30 s.\n"
    "Logs to syslog only.  The package runs it as mdev-migcheck-watch.service.\n"
    "\n"
    "Options:\n"
    "  -c, --connect URI  libvirt connection (default qemu:///system)\n"
    "  -h, --help         this text\n"
    "\n"
    "Exit status: 0 stopped, 2 usage error.\n";

volatile std::sig_atomic_t g_stop = 0;

void onSignal(int) {
    g_stop = 1;
}

int run(CliContext&, const Args& a) {
    if (!a.positional().empty()) {
        throw Fatal("mdev-migcheck watch: takes no domain");
    }
    const std::string uri = a.value("connect").value_or(kDefaultUri);
    struct sigaction sa = {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGTERM, &sa, nullptr);
    ::sigaction(SIGINT, &sa, nullptr);
    const LocalHost host;
    const SysLog log(host.env.config.syslog);
    WatchSeams seams;
    seams.connect = [&uri]() -> Result<std::unique_ptr<Hypervisor>> {
        auto hv = LibvirtHypervisor::connectForEvents(uri);
        if (!hv) {
            return Unexpected(hv.error());
        }
        return std::unique_ptr<Hypervisor>(std::move(*hv));
    };
    // Sleeps in steps of the tick, so that a stop request is seen.
    seams.sleep = [](std::chrono::milliseconds ms) {
        while (ms.count() > 0 && g_stop == 0) {
            const auto step = std::min(ms, kWatchTick);
            std::this_thread::sleep_for(step);
            ms -= step;
        }
    };
    seams.stopping = [] { return g_stop != 0; };
    return watchDomains(seams, host.mdevs, hostName(), host.env.config, log);
}

} // namespace

Command watchCommand() {
    return {"watch",
            "record the mdevs attached to running VMs (a service)",
            kHelp,
            {{"connect", 'c', true}},
            run};
}

} // namespace mdevmc::cli
