#include "check/evidence.hpp"

#include "check/recording.hpp"
#include "mdev/validate.hpp"
#include "util/errno_name.hpp"

#include <algorithm>
#include <cerrno>

namespace mdevmc {

namespace {

std::string ms(std::chrono::milliseconds d) {
    return std::to_string(d.count()) + " ms";
}

bool hasError(const MetadataEntry& e, int err) {
    return e.error && errnoFromName(*e.error) == err;
}

// The facts compared for a device recorded as SOURCE.
std::vector<std::string> comparedFor(const Fingerprint& source, const Config& config,
                                     bool device_level) {
    const Fact* drv = source.find(fact::kDriver);
    const Fact* kind = source.find(fact::kParentKind);
    auto names =
        comparedFacts(drv != nullptr && drv->value ? *drv->value : std::string(),
                      kind != nullptr && kind->value ? *kind->value : std::string(), config.facts);
    if (!device_level) {
        std::erase_if(names, [](const std::string& n) { return n.rfind("ap.", 0) == 0; });
    }
    return names;
}

std::string joinTexts(const std::vector<FactMismatch>& ms_) {
    std::string out;
    for (const auto& m : ms_) {
        out += (out.empty() ? "" : "; ") + m.text;
    }
    return out;
}

// The protocol's answer for writing VERSION to LOC, as a candidate verdict.
void probeCandidate(ParentCandidate& c, const ProbeResult& r, std::chrono::milliseconds t) {
    c.probe = r;
    c.evidence = Evidence::Protocol;
    c.compatible = r.accepted();
    switch (r.status) {
    case ProbeResult::Status::Accepted:
        break;
    case ProbeResult::Status::Rejected:
        c.why = "rejects the version (" + errnoPhrase(r.err) + ")";
        break;
    case ProbeResult::Status::ShortWrite:
        c.why = "rejects the version (short write)";
        break;
    case ProbeResult::Status::TimedOut:
        c.why = "did not answer within " + ms(t);
        break;
    case ProbeResult::Status::Missing:
        c.why = "has no migration_version attribute";
        break;
    case ProbeResult::Status::Invalid:
        c.why = "not probed: " + r.detail;
        break;
    case ProbeResult::Status::NotMade:
        c.why = "not probed (" + errnoPhrase(r.err) + ")";
        break;
    }
}

} // namespace

std::string subjectOf(std::string_view uuid, std::string_view type, std::string_view parent) {
    std::string s;
    s.reserve(uuid.size() + type.size() + parent.size() + 24);
    s += "mdev ";
    s += uuid;
    if (!type.empty()) {
        s += " (";
        s += type;
        s += ')';
    }
    if (!parent.empty()) {
        s += " on parent ";
        s += parent;
    }
    return s;
}

void restateMessage(DeviceVerdict& v) {
    v.message.clear();
    v.message.reserve(v.subject.size() + 2 + v.detail.size());
    v.message += v.subject;
    v.message += ": ";
    v.message += v.detail;
}

void refuse(DeviceVerdict& v, Reason r, int err, std::string detail) {
    v.compatible = false;
    v.reason = r;
    v.err = err;
    v.detail = std::move(detail);
    restateMessage(v);
}

void suggest(DeviceVerdict& v, std::string step) {
    if (step.empty()) {
        return;
    }
    v.next_step = std::move(step);
    v.detail += "; next: " + v.next_step;
    restateMessage(v);
}

void accept(DeviceVerdict& v, Reason r, Evidence e, std::string detail) {
    v.compatible = true;
    v.reason = r;
    v.err = 0;
    v.evidence = e;
    v.detail = std::move(detail);
    restateMessage(v);
}

bool decideByProtocol(DeviceVerdict& v, const EvidenceInput& in) {
    if (!in.source.version || hasError(in.here, ENOENT)) {
        return false; // one side has no attribute: the protocol cannot tell
    }
    const auto t = in.config.attr_timeout;
    if (in.here.error) {
        const int e = errnoFromName(*in.here.error).value_or(EIO);
        v.evidence = Evidence::Protocol;
        if (e == ETIMEDOUT) {
            refuse(v, Reason::TimedOut, ETIMEDOUT,
                   "reading this host's migration_version did not finish within " + ms(t) +
                       " (timed out)");
        } else {
            refuse(v, Reason::TargetReadFailed, e,
                   "reading this host's migration_version failed (" + errnoPhrase(e) +
                       "); the driver has the attribute, so this may be transient: retry");
        }
        return true;
    }
    const ProbeResult probe =
        probeVersion(in.host.io(), in.location, *in.source.version, in.deadline.capped(t));
    v.evidence = Evidence::Protocol;
    switch (probe.status) {
    case ProbeResult::Status::Accepted:
        accept(v, Reason::Compatible, Evidence::Protocol,
               "target driver accepted the source migration_version");
        return true;
    case ProbeResult::Status::Rejected:
        refuse(v, Reason::Rejected, probe.err,
               "target driver rejected the source migration_version (" + errnoPhrase(probe.err) +
                   "): the source's " + quoteValue(*in.source.version) + ", this host's " +
                   (in.here.version ? quoteValue(*in.here.version) : std::string("unread")));
        return true;
    case ProbeResult::Status::ShortWrite:
        refuse(v, Reason::ShortWrite, 0,
               "target driver took only " + std::to_string(probe.written) + " of " +
                   std::to_string(probe.offered) + " bytes of the source migration_version " +
                   quoteValue(*in.source.version) + " (short write)");
        return true;
    case ProbeResult::Status::TimedOut:
        refuse(v, Reason::TimedOut, ETIMEDOUT,
               "target driver did not answer the migration_version write within " + ms(t) +
                   " (timed out)");
        return true;
    case ProbeResult::Status::Missing:
        v.evidence = Evidence::None;
        return false; // gone since it was read: the next evidence decides
    case ProbeResult::Status::NotMade:
        refuse(v, Reason::TargetReadFailed, probe.err,
               "the migration_version write could not be made (" + errnoPhrase(probe.err) +
                   "): the driver was not asked; retry");
        return true;
    case ProbeResult::Status::Invalid:
        break;
    }
    refuse(v, Reason::SourceRecordInvalid, EINVAL,
           "the source host's record is invalid: " + probe.detail);
    return true;
}

bool decideByOracle(DeviceVerdict& v, const EvidenceInput& in, std::string& note) {
    if (!in.source.oracle) {
        return false;
    }
    const std::string& name = in.source.oracle->name;
    const auto& installed = in.oracles.names();
    if (std::find(installed.begin(), installed.end(), name) == installed.end()) {
        note = "the source's oracle " + name + " is not installed or not enabled here";
        return false;
    }
    const OracleAnswer a =
        in.oracles.check(name, in.device.uuid, in.device.type_id, in.device.parent,
                         in.source.oracle->token, in.deadline.capped(in.config.attr_timeout));
    switch (a.kind) {
    case OracleAnswer::Kind::Compatible:
        v.oracle = name;
        accept(v, Reason::Compatible, Evidence::Oracle, "oracle " + name + " says compatible");
        return true;
    case OracleAnswer::Kind::Incompatible:
        v.oracle = name;
        v.evidence = Evidence::Oracle;
        refuse(v, Reason::OracleIncompatible, 0, "oracle " + name + ": " + a.text);
        return true;
    case OracleAnswer::Kind::Unclaimed:
        note = "oracle " + name + " does not claim the device here";
        return false;
    case OracleAnswer::Kind::Token:
    case OracleAnswer::Kind::Unknown:
        break;
    }
    note = "oracle " + name + " could not tell: " + a.text;
    return false;
}

bool decideByFingerprint(DeviceVerdict& v, const EvidenceInput& in) {
    const Fingerprint& src = in.source.fingerprint;
    if (src.facts.empty()) {
        return false;
    }
    const auto compared = comparedFor(src, in.config, true);
    Fingerprint read;
    if (in.facts != nullptr) {
        read = readFingerprint(in.host, in.device.parent, in.device.type_id, &in.device,
                               in.deadline, in.config.attr_timeout, in.facts);
    }
    const Fingerprint& here = in.facts != nullptr ? read : in.here.fingerprint;
    const auto mismatches = compareFingerprints(src, here, compared, in.config.driver_version);
    v.evidence = Evidence::Fingerprint;
    if (mismatches.empty()) {
        std::string facts;
        for (const auto& n : compared) {
            if (src.find(n) != nullptr) {
                facts += (facts.empty() ? "" : ", ") + n;
            }
        }
        accept(v, Reason::Compatible, Evidence::Fingerprint,
               std::string("the kernel facts match the source's") +
                   (in.same_host ? " (recorded on this host)" : "") + ": " + facts);
        return true;
    }
    const bool all_unreadable = std::all_of(mismatches.begin(), mismatches.end(),
                                            [](const auto& m) { return m.unreadable; });
    if (all_unreadable) {
        refuse(v, Reason::FingerprintUnreadable, EIO,
               joinTexts(mismatches) + "; this may be transient: retry");
    } else {
        std::vector<FactMismatch> differ;
        std::copy_if(mismatches.begin(), mismatches.end(), std::back_inserter(differ),
                     [](const auto& m) { return !m.unreadable; });
        refuse(v, Reason::FingerprintMismatch, 0, joinTexts(differ));
    }
    return true;
}

void decideByEvidence(DeviceVerdict& v, const EvidenceInput& in) {
    if (decideByProtocol(v, in)) {
        return;
    }
    std::string note;
    if (decideByOracle(v, in, note)) {
        return;
    }
    if (decideByFingerprint(v, in)) {
        if (!note.empty()) {
            v.detail += " (" + note + ")";
            restateMessage(v);
        }
        return;
    }
    // Nothing both hosts can compare: a record from mdev-migcheck 0.1.
    std::string why;
    if (in.source.version) {
        why = "the source recorded a migration_version, but this host's driver has no "
              "migration_version attribute";
    } else if (hasError(in.source, ENOENT)) {
        why = "the source host's driver has no migration_version attribute";
    } else {
        const int e = errnoFromName(in.source.error.value_or("EIO")).value_or(EIO);
        why = "the source host could not read its migration_version (" + errnoPhrase(e) + ")";
    }
    refuse(v, Reason::NoEvidence, 0,
           why +
               ", and it recorded no kernel facts (its mdev-migcheck is older than 0.2.0): "
               "upgrade mdev-migcheck there and record it" +
               (note.empty() ? std::string() : " (" + note + ")"));
    suggest(v, "on the source host, after the upgrade: mdev-migcheck annotate DOMAIN");
}

std::vector<ParentCandidate> evaluateCandidates(const MetadataEntry& rec,
                                                const std::optional<Metadata>& /*source*/,
                                                const MdevHost& host, const Config& config,
                                                Deadline deadline) {
    std::vector<ParentCandidate> out;
    auto parents = host.parentsOffering(rec.type, deadline.capped(config.attr_timeout));
    if (!parents) {
        return out;
    }
    const auto t = config.attr_timeout;
    for (const auto& p : *parents) {
        ParentCandidate c;
        c.parent = p;
        c.available_instances = host.typeInfo(p, rec.type, deadline.capped(t)).available_instances;
        if (rec.version) {
            const ProbeResult r = probeVersion(host.io(), typeVersionLocation(p, rec.type),
                                               *rec.version, deadline.capped(t));
            probeCandidate(c, r, t);
            if (r.status != ProbeResult::Status::Missing || rec.fingerprint.facts.empty()) {
                out.push_back(std::move(c));
                continue;
            }
        }
        if (!rec.fingerprint.facts.empty()) {
            const Fingerprint here = readFingerprint(host, p, rec.type, nullptr, deadline, t);
            const auto mism = compareFingerprints(rec.fingerprint, here,
                                                  comparedFor(rec.fingerprint, config, false),
                                                  config.driver_version);
            c.evidence = Evidence::Fingerprint;
            c.compatible = mism.empty();
            c.why = joinTexts(mism);
        } else if (!rec.version) {
            c.why = "nothing to compare (the source recorded no kernel facts)";
        }
        out.push_back(std::move(c));
    }
    return out;
}

std::string describeCandidates(const std::vector<ParentCandidate>& cs,
                               std::chrono::milliseconds /*attr_timeout*/) {
    std::string out;
    for (const auto& c : cs) {
        if (!out.empty()) {
            out += "; ";
        }
        out += c.parent + ": ";
        out += c.compatible ? std::string("compatible (") + toString(c.evidence) + ")" : c.why;
        out += ", ";
        out += c.available_instances
                   ? std::to_string(*c.available_instances) + " instance(s) available"
                   : "available_instances unreadable";
    }
    return out;
}

std::string nextStepForMissing(const std::string& uuid, const std::string& type,
                               const std::vector<ParentCandidate>& cs) {
    const ParentCandidate* full = nullptr;
    for (const auto& c : cs) {
        if (!c.compatible) {
            continue;
        }
        if (c.available_instances.value_or(0) > 0) {
            return "create it on a compatible parent with a free instance: mdevctl start -u " +
                   uuid + " -p " + c.parent + " --type " + type;
        }
        if (full == nullptr) {
            full = &c;
        }
    }
    if (full == nullptr) {
        return {};
    }
    return "no compatible parent has a free instance of " + type + "; " + full->parent +
           " would take it once one is freed (its devices: mdevctl list -p " + full->parent +
           "), then: mdevctl start -u " + uuid + " -p " + full->parent + " --type " + type;
}

} // namespace mdevmc
