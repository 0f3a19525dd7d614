#include "virt/live_annotate.hpp"

#include "check/decision.hpp"
#include "check/recording.hpp"
#include "domain/domain_xml.hpp"
#include "virt/libvirt_hypervisor.hpp"

#include <algorithm>
#include <thread>

namespace mdevmc {

const char* outcomeName(LiveAnnotation::Outcome o) {
    switch (o) {
    case LiveAnnotation::Outcome::Recorded:
        return "recorded";
    case LiveAnnotation::Outcome::Unchanged:
        return "unchanged";
    case LiveAnnotation::Outcome::NoMdev:
        return "no-mdev";
    }
    return "unknown";
}

std::string describeDomain(const DomainRef& d) {
    if (d.uuid.empty() || d.uuid == d.name) {
        return "domain " + d.name;
    }
    return "domain " + d.name + " (" + d.uuid + ")";
}

std::string describeRecord(const DomainRef& d, const Metadata& m) {
    std::string out = describeDomain(d) + ":";
    for (const auto& e : m.entries) {
        out += " mdev " + e.uuid + (e.type.empty() ? "" : " (" + e.type + ")") + " ";
        if (e.version) {
            out += "version '" + *e.version + "'";
        } else if (e.error == "ENOENT") {
            out += "no migration_version";
        } else {
            out += "migration_version unreadable: " + e.error.value_or("");
        }
        if (!e.fingerprint.facts.empty()) {
            out += ", " + std::to_string(e.fingerprint.facts.size()) + " kernel facts";
        }
        if (e.oracle) {
            out += ", oracle " + e.oracle->name + " token";
        }
        out += ";";
    }
    if (!out.empty() && out.back() == ';') {
        out.pop_back();
    }
    return out;
}

Result<LiveAnnotation> annotateLive(Hypervisor& hv, const DomainRef& d, const MdevHost& host,
                                    const std::string& host_name, const Config& config) {
    std::string text;
    MDEVMC_TRY_ASSIGN(text, hv.liveXml(d));
    auto xml = DomainXml::parse(text);
    if (!xml) {
        return fail("domain '" + d.name + "': " + xml.error().message, xml.error().err);
    }
    LiveAnnotation out;
    const auto hostdevs = xml->mdevHostdevs();
    if (hostdevs.empty()) {
        return out;
    }
    out.metadata =
        recordDevices(hostdevs, host, host_name, config, Deadline::after(config.timeout));
    if (const auto current = xml->metadata();
        current && formatMetadata(*current) == formatMetadata(out.metadata)) {
        out.outcome = LiveAnnotation::Outcome::Unchanged;
        return out;
    }
    MDEVMC_TRY(hv.setLiveMetadata(d, formatMetadata(out.metadata, false)));
    out.outcome = LiveAnnotation::Outcome::Recorded;
    return out;
}

std::string describeSpec(const std::string& spec, const std::string& name) {
    return name.empty() || name == spec ? "domain " + spec : "domain '" + name + "' (" + spec + ")";
}

int recordWhenStarted(Hypervisor& hv, const std::string& spec, const MdevHost& host,
                      const std::string& host_name, const Config& config, const SysLog& log,
                      const Sleeper& sleep, const std::string& name) {
    using namespace std::chrono;
    Deadline deadline = Deadline::after(config.record_wait);
    const Deadline incoming_cap = Deadline::after(kMaxIncomingWait);
    milliseconds pause(100);
    std::string last_problem = "it did not start";
    for (;;) {
        auto d = hv.lookup(spec);
        if (!d) {
            log.warning("not recording mdev versions of " + describeSpec(spec, name) + ": " +
                        d.error().message);
            return 1;
        }
        auto st = hv.state(*d);
        const bool incoming = st && *st == DomainRunState::Incoming;
        if (st && (*st == DomainRunState::Running || *st == DomainRunState::Paused || incoming)) {
            auto r = annotateLive(hv, *d, host, host_name, config);
            if (r) {
                if (r->outcome != LiveAnnotation::Outcome::NoMdev) {
                    log.info("recorded " + describeRecord(*d, r->metadata));
                }
                return 0;
            }
            if (!isTransientVirtError(r.error().virt_code)) {
                log.error("not recording mdev versions of " + describeDomain(*d) + ": " +
                          r.error().message);
                return 1;
            }
            last_problem = r.error().message;
        } else if (st && *st == DomainRunState::Other) {
            log.warning("not recording mdev versions: " + describeDomain(*d) + " is not running");
            return 1;
        } else if (!st) {
            last_problem = st.error().message;
        }
        if (incoming && !incoming_cap.expired()) {
            // The store waited in libvirt's queue for the incoming job (up
            // to libvirt's 30 s): back in it at once, so that it is first
            // when the job ends.
            deadline = Deadline::after(config.record_wait);
            sleep(milliseconds(10));
            continue;
        }
        if (deadline.expired() || incoming) {
            log.error("not recording mdev versions of " + describeDomain(*d) + ": gave up after " +
                      (incoming
                           ? std::to_string(kMaxIncomingWait.count()) + " h of incoming migration"
                           : std::to_string(config.record_wait.count()) + " ms") +
                      ": " + last_problem);
            return 1;
        }
        sleep(std::min(pause, deadline.remaining()));
        pause = std::min(pause * 2, milliseconds(1000));
    }
}

} // namespace mdevmc
