#include "check/decision.hpp"

#include "check/evidence.hpp"
#include "check/recording.hpp"
#include "mdev/migration_version.hpp"
#include "mdev/validate.hpp"
#include "util/errno_name.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <unordered_map>
#include <utility>

namespace mdevmc {

namespace {

constexpr std::array<std::pair<Reason, const char*>, 20> kReasons{{
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
    {Reason::RecordUnmatched, "unmatched-record"},
    {Reason::TooManyMdevs, "too-many-mdevs"},
}};

std::string ms(std::chrono::milliseconds d) {
    return std::to_string(d.count()) + " ms";
}

// The verdict for a device the source has no record of that MATCH found.
void refuseUnrecorded(DeviceVerdict& v, const RecordMatch& match,
                      const std::optional<Metadata>& source, const Config& config) {
    if (config.allow_unrecorded) {
        accept(v, Reason::UnrecordedAllowed, Evidence::None,
               (match.unmatched.empty()
                    ? std::string("nothing recorded by the source host")
                    : "no record of the source host matches it: " + match.unmatched) +
                   "; accepted because allow_unrecorded is set");
        return;
    }
    if (!match.unmatched.empty()) {
        // The source recorded devices this one may be: a new record there
        // helps only where it would add the guest addresses.
        refuse(v, Reason::RecordUnmatched, 0,
               "the source host recorded no mdev with this UUID, and " + match.unmatched);
        suggest(v, match.records_lack_address
                       ? "on the source host, with an mdev-migcheck that records guest addresses "
                         "(after 0.2.0): mdev-migcheck annotate DOMAIN"
                       : "keep the hostdev's UUID, or its guest PCI address (<address "
                         "type='pci'>), as on the source, so that its record can be matched");
        return;
    }
    if (source && !source->entries.empty()) {
        refuse(v, Reason::Unrecorded, 0,
               "the source host's record has no entry for it (was the device attached after "
               "the record was made?)");
    } else {
        refuse(v, Reason::Unrecorded, 0,
               "the source host recorded nothing for it: if the VM has just started there, "
               "retry in a moment; if it has run there since before mdev-migcheck was "
               "installed, record it with annotate");
    }
    suggest(v, "on the source host: mdev-migcheck annotate DOMAIN");
}

// The source's record of the device as MATCH found it, or the verdict that
// there is none usable.
const MetadataEntry* sourceRecord(DeviceVerdict& v, const RecordMatch& match,
                                  const std::optional<Metadata>& source, const Config& config) {
    const MetadataEntry* rec = match.record;
    if (rec != nullptr) {
        v.type = rec->type;
        v.matched_by = match.by;
        v.source_uuid = rec->uuid;
    }
    v.subject = subjectOf(v.uuid, v.type);
    if (source && source->problem) {
        refuse(v, Reason::SourceRecordInvalid, EINVAL,
               "the source host's record is invalid: " + *source->problem);
        return nullptr;
    }
    if (rec == nullptr) {
        refuseUnrecorded(v, match, source, config);
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

// Says in V's detail how its record was matched (NOTE), before its next
// step.
void noteMatch(DeviceVerdict& v, const std::string& note) {
    if (note.empty()) {
        return;
    }
    const std::string next = v.next_step.empty() ? std::string() : "; next: " + v.next_step;
    if (!next.empty() && v.detail.size() >= next.size() &&
        v.detail.compare(v.detail.size() - next.size(), next.size(), next) == 0) {
        v.detail.resize(v.detail.size() - next.size());
    }
    v.detail += "; " + note + next;
    restateMessage(v);
}

// The device here: found, or a verdict (missing, with the candidates that
// could hold it; unreadable; of another type).  FOUND is its lookup when
// prefetch() made it; it is looked up here otherwise.
std::optional<MdevDevice> locateDevice(DeviceVerdict& v, const MetadataEntry& rec,
                                       const std::optional<Metadata>& source, const MdevHost& host,
                                       const Config& config, Deadline deadline,
                                       std::optional<Result<MdevDevice>>& found) {
    auto dev =
        found ? std::move(*found) : host.device(v.uuid, deadline.capped(config.attr_timeout));
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
               std::string("does not exist on this host") +
                   (any ? "" : "; no parent here is compatible") + ". Parents offering " + v.type +
                   ": " + describeCandidates(v.candidates, config.attr_timeout));
        suggest(v, nextStepForMissing(v.uuid, v.type, v.candidates));
        return std::nullopt;
    }
    v.parent = dev->parent;
    if (dev->type_id != rec.type) {
        v.subject = subjectOf(v.uuid, "");
        refuse(v, Reason::TypeMismatch, 0,
               "type mismatch: the source has " + quoteValue(rec.type) + ", this host has " +
                   quoteValue(dev->type_id) + " on parent " + dev->parent);
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

DeviceVerdict decideOne(const MdevHostdev& hd, const RecordMatch& match,
                        std::optional<Result<MdevDevice>>& found, DecisionContext& dc) {
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
    const MetadataEntry* rec = sourceRecord(v, match, source, config);
    if (rec == nullptr) {
        return v;
    }
    if (deadline.expired()) {
        refuse(v, Reason::TimedOut, ETIMEDOUT,
               "not checked: the check used up its " + ms(config.timeout) + " (timed out)");
        return v;
    }
    const auto dev = locateDevice(v, *rec, source, host, config, deadline, found);
    if (!dev) {
        return v;
    }
    // This host's record, read once: its version now, its kernel facts only
    // if the fingerprint stage is reached.
    const VersionLocation location = versionLocation(*dev);
    v.here = recordVersion(host, *dev, location, config, deadline);
    v.dir = dev->dir;
    v.here->address = hd.address;
    v.here->alias = hd.alias;
    v.subject = subjectOf(v.uuid, v.type, dev->parent);
    EvidenceInput in{*rec,   *dev,       location, *v.here,      host,
                     config, dc.oracles, deadline, dc.same_host, &dc.facts};
    decideByEvidence(v, in);
    return v;
}

// The record of a hostdev that the per-device stages will look up here.
const MetadataEntry* usableRecord(const RecordMatch& m, const std::optional<Metadata>& source) {
    if (m.record == nullptr || !source || source->problem) {
        return nullptr;
    }
    return m.record->problem ? nullptr : m.record;
}

// The source's record of each hostdev.  The devices of the hostdevs whose
// UUID has no record are looked up first (one batch), so that their type
// here can tell which record is theirs.
std::vector<RecordMatch> matchHostdevs(const std::vector<MdevHostdev>& hostdevs,
                                       const std::optional<Metadata>& source, const MdevHost& host,
                                       const Config& config, Deadline deadline) {
    if (!source) {
        return std::vector<RecordMatch>(hostdevs.size());
    }
    std::vector<IoRequest> lookups;
    std::vector<std::size_t> which;
    for (std::size_t i = 0; i < hostdevs.size() && i < kMaxCheckedMdevs; ++i) {
        if (hostdevs[i].uuid_valid && source->find(hostdevs[i].uuid) == nullptr) {
            lookups.push_back(MdevHost::deviceRequest(hostdevs[i].uuid));
            which.push_back(i);
        }
    }
    std::vector<std::string> types(hostdevs.size());
    if (!lookups.empty() && !source->entries.empty()) {
        const auto found = host.io().batch(lookups, deadline, config.attr_timeout);
        for (std::size_t k = 0; k < found.size() && k < which.size(); ++k) {
            if (auto dev = host.deviceFrom(hostdevs[which[k]].uuid, found[k].probe)) {
                types[which[k]] = dev->type_id;
            }
        }
    }
    auto matches = matchRecords(hostdevs, *source, types);
    return matches;
}

// The lookup of each hostdev's device, once prefetch() made it (by the
// hostdev's index); the per-device stages take it from here.
using Lookups = std::vector<std::optional<Result<MdevDevice>>>;

// Makes ahead, in three batches (the device lookups, the reads of their
// migration_version, the protocol's writes), the accesses the per-device
// stages will ask for, so that they cost the worker three exchanges in all
// instead of three per device.  Each device is looked up once: what its
// lookup found goes to FOUND, for every hostdev that names it.  A write is
// made ahead only where the protocol stage will make it: the device is of
// the recorded type, its attribute reads a valid version and the source
// recorded a valid one.
//
// A type-level attribute is read once, and each string written to it once,
// for all the devices of that type on one parent: the driver's answer is the
// type's, whichever of its devices asks (README, "How it works").  A
// per-device attribute is read and written for its device alone.
void prefetch(PrefetchedIo& io, const MdevHost& host, const std::vector<MdevHostdev>& hostdevs,
              const std::vector<RecordMatch>& matches, const std::optional<Metadata>& source,
              const Config& config, Deadline deadline, Lookups& lookups_found) {
    std::vector<IoRequest> lookups;
    std::vector<const MetadataEntry*> recs;
    std::vector<std::size_t> hostdev_of; // the hostdev each lookup is for
    // The first hostdev of each UUID (a view of its UUID, canonical: a valid
    // one is lower-cased when read), and the later ones that name it.
    std::unordered_map<std::string_view, std::size_t> first;
    std::vector<std::pair<std::size_t, std::size_t>> again;
    first.reserve(hostdevs.size());
    lookups.reserve(hostdevs.size() + 1);
    recs.reserve(hostdevs.size() + 1);
    hostdev_of.reserve(hostdevs.size() + 1);
    lookups.push_back(IoRequest::read(kMachineIdPath));
    recs.push_back(nullptr);
    hostdev_of.push_back(0);
    for (std::size_t i = 0; i < hostdevs.size() && i < kMaxCheckedMdevs; ++i) {
        const MetadataEntry* rec = usableRecord(matches[i], source);
        if (rec == nullptr) {
            continue;
        }
        const auto [it, fresh] = first.emplace(hostdevs[i].uuid, i);
        if (!fresh) {
            again.emplace_back(i, it->second);
            continue;
        }
        lookups.push_back(MdevHost::deviceRequest(hostdevs[i].uuid));
        recs.push_back(rec);
        hostdev_of.push_back(i);
    }
    auto found = io.batch(lookups, deadline, config.attr_timeout);
    // Each distinct path read once; USERS[k] devices take its reply.
    std::vector<IoRequest> reads;
    std::vector<std::vector<const MetadataEntry*>> read_users;
    std::unordered_map<std::string, std::size_t> read_at;
    for (std::size_t i = 0; i < found.size() && i < lookups.size(); ++i) {
        if (recs[i] == nullptr) {
            io.add(lookups[i], std::move(found[i]));
            continue;
        }
        auto& dev = lookups_found[hostdev_of[i]];
        dev = host.deviceFrom(hostdevs[hostdev_of[i]].uuid, found[i].probe);
        if (*dev && (*dev)->type_id == recs[i]->type) {
            std::string path = versionLocation(**dev).path;
            auto it = read_at.find(path);
            if (it == read_at.end()) {
                reads.push_back(IoRequest::read(path));
                read_users.emplace_back();
                it = read_at.emplace(std::move(path), reads.size() - 1).first;
            }
            read_users[it->second].push_back(recs[i]);
        }
    }
    for (const auto& [later, earlier] : again) {
        lookups_found[later] = lookups_found[earlier];
    }
    auto versions = io.batch(reads, deadline, config.attr_timeout);
    std::vector<IoRequest> writes;
    std::vector<std::size_t> write_users;
    std::unordered_map<std::string, std::size_t> write_at;
    for (std::size_t i = 0; i < versions.size() && i < reads.size(); ++i) {
        const bool readable = versionFrom(versions[i].read).status == VersionRead::Status::Ok;
        for (const MetadataEntry* rec : read_users[i]) {
            if (readable && rec->version && checkVersion(*rec->version)) {
                const auto [it, fresh] = write_at.emplace(*rec->version, writes.size());
                if (fresh) {
                    writes.push_back(IoRequest::write(reads[i].path, *rec->version + "\n"));
                    write_users.push_back(0);
                }
                ++write_users[it->second];
            }
        }
        io.add(reads[i], std::move(versions[i]), read_users[i].size());
        write_at.clear(); // strings are per path
    }
    auto probes = io.batch(writes, deadline, config.attr_timeout);
    for (std::size_t i = 0; i < probes.size() && i < writes.size(); ++i) {
        io.add(writes[i], std::move(probes[i]), write_users[i]);
    }
}

// A device that vanished while it was checked: nothing was learnt.  Once
// all are decided, the type link of every device found is read again, in
// one batch, in the directory it was found in (the least lookup there is:
// no canonical path, no file kinds; in the hook, one readlinkat in the
// directory its lookup kept open, in which a removed device has no link).
void refuseVanished(Decision& d, const MdevHost& host, const Config& config, Deadline deadline) {
    std::vector<IoRequest> again;
    std::vector<DeviceVerdict*> which;
    again.reserve(d.devices.size());
    which.reserve(d.devices.size());
    for (auto& v : d.devices) {
        if (v.here && !v.dir.empty()) {
            again.push_back(MdevHost::typeLinkRequest(v.dir));
            which.push_back(&v);
        }
    }
    const auto replies = host.io().batch(again, deadline, config.attr_timeout);
    for (std::size_t i = 0; i < replies.size(); ++i) {
        DeviceVerdict& v = *which[i];
        // Gone, or another device under its UUID; a lookup that failed
        // otherwise (it timed out) leaves the verdict of the check.
        const auto type = MdevHost::typeFrom(replies[i].probe);
        if (type ? *type != v.type : type.error().err == ENOENT) {
            v.evidence = Evidence::None;
            v.oracle.clear();
            refuse(v, Reason::DeviceMissing, ENODEV,
                   "the device disappeared from this host during the check");
        }
    }
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

void adviseSaveImage(Decision& d) {
    for (auto& v : d.devices) {
        if (v.reason == Reason::Unrecorded) {
            v.next_step.clear();
            refuse(v, Reason::Unrecorded, 0,
                   "the save image carries no record of it (images saved before mdev-migcheck "
                   "was installed have none)");
            suggest(v, "on this host: mdev-migcheck annotate --managed-save DOMAIN (or "
                       "--save-image FILE)");
        }
    }
}

Decision decide(const std::vector<MdevHostdev>& hostdevs, const std::optional<Metadata>& source,
                const MdevHost& host, const Config& config, Deadline deadline) {
    Decision d;
    if (hostdevs.empty()) {
        return d;
    }
    PrefetchedIo io(host.io());
    const MdevHost here(host.root(), io);
    const auto matches = matchHostdevs(hostdevs, source, here, config, deadline);
    Lookups found(hostdevs.size());
    prefetch(io, here, hostdevs, matches, source, config, deadline, found);
    Oracles oracles(host.root(), io, config);
    FingerprintCache facts;
    d.host_id = readHostId(here, deadline.capped(config.attr_timeout));
    if (source) {
        d.source_host = source->host;
        d.source_host_id = source->host_id;
    }
    const bool same_host = source && !source->host_id.empty() && source->host_id == d.host_id;
    DecisionContext dc{source, here, config, oracles, facts, same_host, deadline};
    // Verdicts are large: made in place, never moved by a regrowth.
    d.devices.reserve(hostdevs.size());
    for (std::size_t i = 0; i < hostdevs.size(); ++i) {
        const MdevHostdev& hd = hostdevs[i];
        if (d.devices.size() < kMaxCheckedMdevs) {
            d.devices.push_back(decideOne(hd, matches[i], found[i], dc));
            noteMatch(d.devices.back(), describeMatch(matches[i], hd));
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
    refuseVanished(d, here, config, deadline);
    return d;
}

} // namespace mdevmc
