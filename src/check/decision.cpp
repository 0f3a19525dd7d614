#include "check/decision.hpp"

#include "util/errno_name.hpp"
#include "mdev/validate.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <utility>

namespace mdevmc {

namespace {

constexpr std::array<std::pair<Reason, const char*>, 14> kReasons{{
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
}};

std::string ms(std::chrono::milliseconds d) {
    return std::to_string(d.count()) + " ms";
}

std::string errText(int err) {
    return errnoText(err);
}

// "mdev UUID (TYPE)" or "mdev UUID" when the type is not known.
std::string subject(const std::string& uuid, const std::string& type) {
    return type.empty() ? "mdev " + uuid : "mdev " + uuid + " (" + type + ")";
}

DeviceVerdict refuse(DeviceVerdict v, Reason r, int err, std::string message) {
    v.compatible = false;
    v.reason = r;
    v.err = err;
    v.message = std::move(message);
    return v;
}

// One line on the parents that offer the type of a device missing here:
// compatibility (the type-level probe) and capacity, each said separately.
std::string describeCandidates(const std::vector<ParentCandidate>& cs,
                               std::chrono::milliseconds attr_timeout) {
    std::string out;
    for (const auto& c : cs) {
        if (!out.empty()) {
            out += "; ";
        }
        out += c.parent + ": ";
        switch (c.probe.status) {
        case ProbeResult::Status::Accepted:
            out += "accepts the version";
            break;
        case ProbeResult::Status::Rejected:
            out += "rejects the version (" + errText(c.probe.err) + ")";
            break;
        case ProbeResult::Status::ShortWrite:
            out += "rejects the version (short write)";
            break;
        case ProbeResult::Status::TimedOut:
            out += "did not answer within " + ms(attr_timeout);
            break;
        case ProbeResult::Status::Missing:
            out += "has no migration_version";
            break;
        case ProbeResult::Status::Invalid:
            out += "not probed";
            break;
        }
        out += ", ";
        out += c.available_instances
                   ? std::to_string(*c.available_instances) + " instance(s) available"
                   : "available_instances unreadable";
    }
    return out;
}

DeviceVerdict decideOne(const MdevHostdev& hd, const std::optional<Metadata>& source,
                        const MdevHost& host, const Config& config, Deadline deadline) {
    DeviceVerdict v;
    v.uuid = hd.uuid;
    if (!hd.uuid_valid) {
        return refuse(std::move(v), Reason::InvalidUuid, EINVAL,
                      "mdev hostdev with UUID " + quoteValue(hd.uuid) +
                          ": not a canonical UUID, so it cannot be checked");
    }
    const MetadataEntry* rec = source ? source->find(hd.uuid) : nullptr;
    if (rec != nullptr) {
        v.type = rec->type;
    }
    if (deadline.expired()) {
        return refuse(std::move(v), Reason::TimedOut, ETIMEDOUT,
                      subject(v.uuid, v.type) + ": not checked: the check used up its " +
                          ms(config.timeout) + " (timed out)");
    }
    if (rec == nullptr) {
        if (config.allow_unrecorded) {
            v.compatible = true;
            v.reason = Reason::UnrecordedAllowed;
            v.message = subject(v.uuid, v.type) +
                        ": no migration_version recorded by the source host; accepted because "
                        "allow_unrecorded is set";
            return v;
        }
        return refuse(std::move(v), Reason::Unrecorded, 0,
                      subject(v.uuid, v.type) +
                          ": no migration_version recorded by the source host (run "
                          "'mdev-migcheck annotate' for the domain there)");
    }
    if (rec->problem) {
        return refuse(std::move(v), Reason::SourceRecordInvalid, EINVAL,
                      subject(v.uuid, "") +
                          ": the source host's record is invalid: " + *rec->problem);
    }
    if (rec->error) {
        const int e = errnoFromName(*rec->error).value_or(0);
        if (e == ENOENT) {
            return refuse(std::move(v), Reason::SourceReadFailed, e,
                          subject(v.uuid, v.type) +
                              ": the source host has no migration_version attribute for it: "
                              "the source driver does not support migration");
        }
        return refuse(std::move(v), Reason::SourceReadFailed, e,
                      subject(v.uuid, v.type) +
                          ": the source host could not read its migration_version (" + *rec->error +
                          ": " + errText(e) + "), so it is not migratable");
    }
    const Deadline attr_deadline = deadline.capped(config.attr_timeout);
    auto dev = host.device(hd.uuid);
    if (!dev) {
        if (dev.error().err != ENOENT) {
            return refuse(std::move(v), Reason::TargetLookupFailed, dev.error().err,
                          dev.error().message);
        }
        auto parents = host.parentsOffering(rec->type);
        if (parents) {
            for (const auto& p : *parents) {
                ParentCandidate c;
                c.parent = p;
                c.probe = probeVersion(host.io(), typeVersionLocation(p, rec->type), *rec->version,
                                       deadline.capped(config.attr_timeout));
                c.available_instances =
                    host.typeInfo(p, rec->type, deadline.capped(config.attr_timeout))
                        .available_instances;
                v.candidates.push_back(std::move(c));
            }
        }
        if (v.candidates.empty()) {
            return refuse(std::move(v), Reason::DeviceMissing, ENODEV,
                          subject(v.uuid, v.type) +
                              ": does not exist on this host, and no "
                              "parent here offers type " +
                              v.type);
        }
        const auto accepting = std::count_if(v.candidates.begin(), v.candidates.end(),
                                             [](const auto& c) { return c.probe.accepted(); });
        const std::string msg = subject(v.uuid, v.type) + ": does not exist on this host; " +
                                (accepting > 0 ? "create it on a parent that accepts the version. "
                                               : "no parent here accepts the version. ") +
                                "Parents offering " + v.type + ": " +
                                describeCandidates(v.candidates, config.attr_timeout);
        return refuse(std::move(v), Reason::DeviceMissing, ENODEV, msg);
    }
    v.parent = dev->parent;
    if (dev->type_id != rec->type) {
        return refuse(std::move(v), Reason::TypeMismatch, 0,
                      "mdev " + v.uuid + ": type mismatch: the source has " + rec->type +
                          ", this host has " + dev->type_id + " on parent " + dev->parent);
    }
    const VersionLocation loc = versionLocation(host.root(), *dev);
    const VersionRead own = readVersion(host.io(), loc, attr_deadline);
    const std::string on = subject(v.uuid, v.type) + " on parent " + dev->parent;
    // A device that vanishes while it is checked: its attribute is gone
    // too, which must not read as "no migration support".
    const auto vanished = [&] {
        auto again = host.device(hd.uuid);
        return !again || again->type_id != rec->type;
    };
    const std::string gone = on + ": the device disappeared from this host during the check";
    switch (own.status) {
    case VersionRead::Status::Ok:
        break;
    case VersionRead::Status::Missing:
        if (vanished()) {
            return refuse(std::move(v), Reason::DeviceMissing, ENODEV, gone);
        }
        return refuse(std::move(v), Reason::TargetNoAttribute, ENOENT,
                      on + ": this host has no migration_version attribute: the target driver "
                           "does not support migration");
    case VersionRead::Status::Failed:
        return refuse(std::move(v), Reason::TargetReadFailed, own.err,
                      on + ": reading this host's migration_version failed (" + errText(own.err) +
                          "): the target does not support migration");
    case VersionRead::Status::Invalid:
        return refuse(std::move(v), Reason::TargetReadFailed, own.err,
                      on + ": this host's " + own.detail);
    case VersionRead::Status::TimedOut:
        return refuse(std::move(v), Reason::TimedOut, ETIMEDOUT,
                      on + ": reading this host's migration_version did not finish within " +
                          ms(config.attr_timeout) + " (timed out)");
    }
    const ProbeResult probe =
        probeVersion(host.io(), loc, *rec->version, deadline.capped(config.attr_timeout));
    switch (probe.status) {
    case ProbeResult::Status::Accepted:
        // The device must still be here: a check that passed for a device
        // that vanished meanwhile says nothing about the migration.
        if (vanished()) {
            return refuse(std::move(v), Reason::DeviceMissing, ENODEV, gone);
        }
        v.compatible = true;
        v.reason = Reason::Compatible;
        v.message = on + ": target driver accepted the source migration_version";
        return v;
    case ProbeResult::Status::Rejected:
        return refuse(std::move(v), Reason::Rejected, probe.err,
                      subject(v.uuid, v.type) +
                          ": target driver rejected the source migration_version (" +
                          errText(probe.err) + ")");
    case ProbeResult::Status::ShortWrite:
        return refuse(std::move(v), Reason::ShortWrite, 0,
                      subject(v.uuid, v.type) + ": target driver took only " +
                          std::to_string(probe.written) + " of " + std::to_string(probe.offered) +
                          " bytes of the source migration_version (short write)");
    case ProbeResult::Status::TimedOut:
        return refuse(std::move(v), Reason::TimedOut, ETIMEDOUT,
                      subject(v.uuid, v.type) +
                          ": target driver did not answer the migration_version write within " +
                          ms(config.attr_timeout) + " (timed out)");
    case ProbeResult::Status::Missing:
        if (vanished()) {
            return refuse(std::move(v), Reason::DeviceMissing, ENODEV, gone);
        }
        return refuse(std::move(v), Reason::TargetNoAttribute, ENOENT,
                      on + ": this host has no migration_version attribute: the target driver "
                           "does not support migration");
    case ProbeResult::Status::Invalid:
        break;
    }
    return refuse(std::move(v), Reason::SourceRecordInvalid, EINVAL,
                  subject(v.uuid, v.type) +
                      ": the source host's record is invalid: " + probe.detail);
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

bool Decision::compatible() const {
    return std::all_of(devices.begin(), devices.end(),
                       [](const DeviceVerdict& d) { return d.compatible; });
}

Decision decide(const std::vector<MdevHostdev>& hostdevs, const std::optional<Metadata>& source,
                const MdevHost& host, const Config& config, Deadline deadline) {
    Decision d;
    for (const auto& hd : hostdevs) {
        d.devices.push_back(decideOne(hd, source, host, config, deadline));
    }
    return d;
}

Metadata recordVersions(const std::vector<MdevHostdev>& hostdevs, const MdevHost& host,
                        std::string_view host_name, std::chrono::milliseconds attr_timeout,
                        Deadline deadline) {
    Metadata m;
    m.host = std::string(host_name);
    for (const auto& hd : hostdevs) {
        if (!hd.uuid_valid || m.find(hd.uuid) != nullptr) {
            continue;
        }
        MetadataEntry e;
        e.uuid = hd.uuid;
        auto dev = host.device(hd.uuid);
        if (!dev) {
            e.error = errnoName(dev.error().err != 0 ? dev.error().err : ENODEV);
            m.entries.push_back(std::move(e));
            continue;
        }
        e.type = dev->type_id;
        e.parent = dev->parent;
        const VersionRead r = readVersion(host.io(), versionLocation(host.root(), *dev),
                                          deadline.capped(attr_timeout));
        switch (r.status) {
        case VersionRead::Status::Ok:
            e.version = r.version;
            break;
        case VersionRead::Status::TimedOut:
            e.error = errnoName(ETIMEDOUT);
            break;
        default:
            e.error = errnoName(r.err != 0 ? r.err : EIO);
            break;
        }
        m.entries.push_back(std::move(e));
    }
    return m;
}

} // namespace mdevmc
