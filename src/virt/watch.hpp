// The watch: a long-running service that records the mdevs of running
// domains when libvirt runs no hook for them, above all an mdev attached to
// a running VM (`virsh attach-device --live`).  It subscribes to libvirt's
// device-added and lifecycle (started, resumed) events and records the
// domain as `annotate` does (a record already there is not written again).
// At each connection it records every running domain, so that a hotplug
// made while the daemon or the watch was down is caught up; a lost
// connection (the daemon restarted) is opened again, at growing intervals
// up to 30 s.  Every wait is bounded: the stop request is seen within
// kWatchTick.
#pragma once

#include "check/config.hpp"
#include "mdev/host.hpp"
#include "util/syslog.hpp"
#include "virt/hypervisor.hpp"
#include "virt/live_annotate.hpp"

#include <chrono>
#include <functional>
#include <memory>

namespace mdevmc {

inline constexpr std::chrono::milliseconds kWatchTick{1000};
inline constexpr std::chrono::milliseconds kWatchFirstRetry{1000};
inline constexpr std::chrono::milliseconds kWatchMaxRetry{30000};

struct WatchSeams {
    // A connection opened for events (LibvirtHypervisor::connectForEvents).
    std::function<Result<std::unique_ptr<Hypervisor>>()> connect;
    Sleeper sleep;
    // True once the service is asked to stop (SIGTERM).
    std::function<bool()> stopping;
};

// Runs until SEAMS.stopping(); returns 0.  Logs to LOG what it recorded,
// each connection lost and opened again, and why a domain could not be
// recorded.
int watchDomains(const WatchSeams& seams, const MdevHost& host, const std::string& host_name,
                 const Config& config, const SysLog& log);

} // namespace mdevmc
