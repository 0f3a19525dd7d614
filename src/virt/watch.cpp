#include "virt/watch.hpp"

#include <algorithm>
#include <set>

namespace mdevmc {

namespace {

struct Recorder {
    const MdevHost& host;
    const std::string& host_name;
    const Config& config;
    const SysLog& log;

    // Records D; WHY says what made the watch look at it.
    void record(Hypervisor& hv, const DomainRef& d, const std::string& why) const {
        auto r = annotateLive(hv, d, host, host_name, config);
        if (!r) {
            log.warning("watch: not recording mdev versions of " + describeDomain(d) + " (" + why +
                        "): " + r.error().message);
            return;
        }
        if (r->outcome == LiveAnnotation::Outcome::Recorded) {
            log.info("recorded (" + why + ") " + describeRecord(d, r->metadata));
        }
    }

    // Every running domain: what happened while no connection was open.
    void catchUp(Hypervisor& hv) const {
        auto all = hv.activeDomains();
        if (!all) {
            log.warning("watch: cannot list the running domains: " + all.error().message);
            return;
        }
        for (const auto& d : *all) {
            auto st = hv.state(d);
            if (st && (*st == DomainRunState::Running || *st == DomainRunState::Paused)) {
                record(hv, d, "running when the watch connected");
            }
        }
    }

    // The domains of EVENTS, each once, in the order of their first event.
    void handle(Hypervisor& hv, const std::vector<DomainEvent>& events) const {
        std::set<std::string> seen;
        for (const auto& e : events) {
            if (!seen.insert(e.domain.uuid).second) {
                continue;
            }
            record(hv, e.domain,
                   e.kind == DomainEvent::Kind::DeviceAdded
                       ? "device " + (e.device.empty() ? std::string("?") : e.device) + " added"
                       : std::string("started"));
        }
    }
};

} // namespace

int watchDomains(const WatchSeams& seams, const MdevHost& host, const std::string& host_name,
                 const Config& config, const SysLog& log) {
    const Recorder rec{host, host_name, config, log};
    std::chrono::milliseconds retry = kWatchFirstRetry;
    bool down = false; // the last attempt failed and was logged
    while (!seams.stopping()) {
        auto hv = seams.connect();
        Result<void> sub = hv ? (*hv)->subscribe() : Result<void>(Unexpected(hv.error()));
        if (!sub) {
            if (!down) {
                log.warning("watch: " + sub.error().message + "; retrying");
                down = true;
            }
            seams.sleep(retry);
            retry = std::min(retry * 2, kWatchMaxRetry);
            continue;
        }
        log.info(down ? "watch: connected again" : "watch: watching for mdevs added to domains");
        down = false;
        retry = kWatchFirstRetry;
        rec.catchUp(**hv);
        while (!seams.stopping()) {
            auto events = (*hv)->nextEvents(kWatchTick);
            if (!events) {
                log.warning("watch: " + events.error().message + "; connecting again");
                seams.sleep(kWatchFirstRetry);
                break;
            }
            rec.handle(**hv, *events);
        }
    }
    return 0;
}

} // namespace mdevmc
