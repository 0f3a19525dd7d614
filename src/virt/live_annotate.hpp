// The source side: this host's migration_version strings recorded in a
// running domain's live <metadata>, where libvirt carries them to the
// destination.  Only the live definition is touched: a version in the
// persistent config would be stale on the next boot.
#pragma once

#include "check/config.hpp"
#include "domain/metadata.hpp"
#include "mdev/host.hpp"
#include "util/syslog.hpp"
#include "virt/hypervisor.hpp"

#include <chrono>
#include <functional>

namespace mdevmc {

struct LiveAnnotation {
    enum class Outcome {
        Recorded,  // the metadata was stored
        Unchanged, // the domain already carried exactly this record
        NoMdev,    // nothing to record
    };
    Outcome outcome = Outcome::NoMdev;
    Metadata metadata;
};

// "recorded", "unchanged", "no-mdev".
const char* outcomeName(LiveAnnotation::Outcome o);

// Reads D's live XML, this host's versions for its mdevs, and stores them
// unless the domain already carries the same record.
Result<LiveAnnotation> annotateLive(Hypervisor& hv, const DomainRef& d, const MdevHost& host,
                                    const std::string& host_name, const Config& config);

using Sleeper = std::function<void(std::chrono::milliseconds)>;

// The most an incoming migration may keep the recorder waiting (libvirt
// sets no bound of its own).
inline constexpr std::chrono::hours kMaxIncomingWait{24};

// The recorder the hook starts at `started begin`: waits until the domain
// runs and its start job is over (the store is retried while libvirt
// answers that the domain is not running yet or busy), at most
// config.record_wait, then annotates.  On the destination of a migration the
// store waits in libvirt's queue for the incoming job, so that it runs as the
// job ends, before a next migration from here can begin; config.record_wait
// counts from the end of the incoming migration (at most kMaxIncomingWait).  Logs what it recorded,
// or why not, to LOG.  Returns 0 when recorded (or nothing to record), 1 otherwise. NAME, when
// given, is the domain's name as the caller knows it (the hook passes the UUID as SPEC): it names
// the domain in the lines logged before libvirt has found it.
int recordWhenStarted(Hypervisor& hv, const std::string& spec, const MdevHost& host,
                      const std::string& host_name, const Config& config, const SysLog& log,
                      const Sleeper& sleep, const std::string& name = {});

// How the recorder names SPEC before libvirt has found it: "domain 'NAME'
// (SPEC)" when NAME is known, else "domain SPEC".
std::string describeSpec(const std::string& spec, const std::string& name);

// "domain NAME (UUID)", or "domain NAME" when the UUID is unknown, for logs
// and the CLI.
std::string describeDomain(const DomainRef& d);

// One line describing a record, for logs and the CLI: "domain NAME (UUID):
// mdev ...".
std::string describeRecord(const DomainRef& d, const Metadata& m);

} // namespace mdevmc
