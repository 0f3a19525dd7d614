#include "check/decision.hpp"

#include "check/evidence.hpp"
#include "check/recording.hpp"
#include "mdev/validate.hpp"
#include "util/errno_name.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <utility>

namespace mdevmc {

namespace {

constexpr std::array<std::pair<Reason, const char*>, 19> kReasons{{
    {Reason::Compatible, "compatible"},
    {Reason::UnrecordedAllowed, "unrecorded-allowed"},
    {Reason::Unrecorded, "no-source-version"},
    {Reason::SourceRecordInvalid, "invalid-source-record"},
    {Reason::SourceReadFailed, "source-read-failed"},
    {Reason::InvalidUuid, "invalid-uuid"},
    {Reason::DeviceMissing, "device-missing"},
    {Reason::TargetLookupFailed, "target-lookup-failed"},
    {Reason::TypeMismatch, "type-mismatch"},
    {Reason::TargetNoAttribute, "target-no-migration-version"},
    {Reason::TargetReadFailed, "target-read-failed"},
    {Reason::Rejected, "rejected"},
    {Reason::ShortWrite, "short-write"},
    {Reason::TimedOut, "timed-out"},
    {Reason::FingerprintMismatch, "fingerprint-mismatch"},
    {Reason::FingerprintUnreadable, "fingerprint-unreadable"},
    {Reason::OracleIncompatible, "oracle-incompatible"},
    {Reason::NoEvidence, "no-evidence"},
    {Reason::TooManyMdevs, "too-many-mdevs"},
}};

std::string ms(std::chrono::milliseconds d) {
    return std::to_string(d.count()) + " ms";
}

// The source's record of the device, or the verdict that there is none
// usable.
const MetadataEntry* sourceRecord(DeviceVerdict& v, const std::optional<Metadata>& source,
                                  const Config& config) {
    const MetadataEntry* rec = source ? source->find(v.uuid) : nullptr;
    if (rec != nullptr) {
        v.type = rec->type;
    }
    v.subject = subjectOf(v.uuid, v.type);
    if (source && source->problem) {
        refuse(v, Reason::SourceRecordInvalid, EINVAL,
               "the source host's record is invalid: " + *source->problem);
        return nullptr;
    }
    if (rec == nullptr) {
        if (config.allow_unrecorded) {
            accept(v, Reason::UnrecordedAllowed, Evidence::None,
                   "nothing recorded by the source host; accepted because allow_unrecorded is "
                   "set");
            return nullptr;
        }
        refuse(v, Reason::Unrecorded, 0,
               "the source host recorded nothing for it (is mdev-migcheck installed there? "
               "run 'mdev-migcheck annotate DOMAIN' on the source host)");
        return nullptr;
    }
    if (rec->problem) {
        v.subject = subjectOf(v.uuid, "");
        refuse(v, Reason::SourceRecordInvalid, EINVAL,
               "the source host's record is invalid: " + *rec->problem);
        return nullptr;
    }
    return rec;
}

// The device here: found, or a verdict (missing, with the candidates that
// could hold it; unreadable; of another type).
std::optional<MdevDevice> locateDevice(DeviceVerdict& v, const MetadataEntry& rec,
                                       const std::optional<Metadata>& source, const MdevHost& host,
                                       const Config& config, Deadline deadline) {
    auto dev = host.device(v.uuid, deadline.capped(config.attr_timeout));
    if (!dev) {
        if (dev.error().err != ENOENT) {
            refuse(v, Reason::TargetLookupFailed, dev.error().err, dev.error().message);
            return std::nullopt;
        }
        v.candidates = evaluateCandidates(rec, source, host, config, deadline);
        if (v.candidates.empty()) {
            refuse(v, Reason::DeviceMissing, ENODEV,
                   "does not exist on this host, and no parent here offers type " + v.type);
            return std::nullopt;
        }
        const bool any = std::any_of(v.candidates.begin(), v.candidates.end(),
                                     [](const auto& c) { return c.compatible; });
        refuse(v, Reason::DeviceMissing, ENODEV,
               std::string("does not exist on this host; ") +
                   (any ? "create it on a compatible parent. " : "no parent here is compatible. ") +
                   "Parents offering " + v.type + ": " +
                   describeCandidates(v.candidates, config.attr_timeout));
        return std::nullopt;
    }
    v.parent = dev->parent;
    if (dev->type_id != rec.type) {
        v.subject = subjectOf(v.uuid, "");
        refuse(v, Reason::TypeMismatch, 0,
               "type mismatch: the source has " + rec.type + ", this host has " + dev->type_id +
                   " on parent " + dev->parent);
        return std::nullopt;
    }
    return std::move(*dev);
}

// What one decision shares across its devices.
struct DecisionContext {
    const std::optional<Metadata>& source;
    const MdevHost& host;
    const Config& config;
    Oracles& oracles;
    FingerprintCache& facts;
    bool same_host; // the source's record was made by this host
    Deadline deadline;
};

DeviceVerdict decideOne(const MdevHostdev& hd, DecisionContext& dc) {
    const auto& source = dc.source;
    const MdevHost& host = dc.host;
    const Config& config = dc.config;
    const Deadline deadline = dc.deadline;
    DeviceVerdict v;
    v.uuid = hd.uuid;
    if (!hd.uuid_valid) {
        v.subject = "mdev hostdev with UUID " + quoteValue(hd.uuid);
        refuse(v, Reason::InvalidUuid, EINVAL, "not a canonical UUID, so it cannot be checked");
        return v;
    }
    const MetadataEntry* rec = sourceRecord(v, source, config);
    if (rec == nullptr) {
        return v;
    }
    if (deadline.expired()) {
        refuse(v, Reason::TimedOut, ETIMEDOUT,
               "not checked: the check used up its " + ms(config.timeout) + " (timed out)");
        return v;
    }
    const auto dev = locateDevice(v, *rec, source, host, config, deadline);
    if (!dev) {
        return v;
    }
    // This host's record, read once: it is what the hook hands back.
    v.here = recordDevice(host, *dev, config, nullptr, deadline, &dc.facts);
    v.subject = subjectOf(v.uuid, v.type) + " on parent " + dev->parent;
    EvidenceInput in{*rec, *dev, *v.here, host, config, dc.oracles, deadline, dc.same_host};
    decideByEvidence(v, in);
    // A device that vanished while it was checked: nothing was learnt.
    {
        auto again = host.device(v.uuid, deadline.capped(config.attr_timeout));
        if (!again || again->type_id != rec->type) {
            v.evidence = Evidence::None;
            v.oracle.clear();
            refuse(v, Reason::DeviceMissing, ENODEV,
                   "the device disappeared from this host during the check");
        }
    }
    return v;
}

} // namespace

const char* reasonName(Reason r) {
    for (const auto& [reason, name] : kReasons) {
        if (reason == r) {
            return name;
        }
    }
    return "unknown";
}

const char* toString(Evidence e) {
    switch (e) {
    case Evidence::None:
        return "none";
    case Evidence::Protocol:
        return "protocol";
    case Evidence::Oracle:
        return "oracle";
    case Evidence::Fingerprint:
        return "fingerprint";
    }
    return "none";
}

std::string evidenceName(const DeviceVerdict& v) {
    if (v.evidence == Evidence::Oracle) {
        return "oracle:" + v.oracle;
    }
    return toString(v.evidence);
}

bool Decision::compatible() const {
    return std::all_of(devices.begin(), devices.end(),
                       [](const DeviceVerdict& d) { return d.compatible; });
}

Decision decide(const std::vector<MdevHostdev>& hostdevs, const std::optional<Metadata>& source,
                const MdevHost& host, const Config& config, Deadline deadline) {
    Decision d;
    if (hostdevs.empty()) {
        return d;
    }
    Oracles oracles(host.root(), host.io(), config);
    FingerprintCache facts;
    const bool same_host =
        source && !source->host_id.empty() &&
        source->host_id == readHostId(host, deadline.capped(config.attr_timeout));
    DecisionContext dc{source, host, config, oracles, facts, same_host, deadline};
    for (const auto& hd : hostdevs) {
        if (d.devices.size() < kMaxCheckedMdevs) {
            d.devices.push_back(decideOne(hd, dc));
            continue;
        }
        DeviceVerdict v;
        v.uuid = hd.uuid;
        v.subject = hd.uuid_valid ? subjectOf(hd.uuid, "") : "mdev hostdev";
        refuse(v, Reason::TooManyMdevs, E2BIG,
               "not checked: the domain has " + std::to_string(hostdevs.size()) +
                   " mdev hostdevs; mdev-migcheck checks at most " +
                   std::to_string(kMaxCheckedMdevs));
        d.devices.push_back(std::move(v));
    }
    return d;
}

} // namespace mdevmc
