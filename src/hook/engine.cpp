#include "hook/engine.hpp"

#include "check/created.hpp"
#include "check/decision.hpp"
#include "check/provision.hpp"
#include "check/recording.hpp"
#include "check/report.hpp"
#include "domain/domain_facts.hpp"
#include "hook/incoming.hpp"
#include "hook/ops.hpp"
#include "mdev/host.hpp"
#include "mdev/validate.hpp"
#include "util/escape.hpp"

#include <chrono>
#include <syslog.h>

namespace mdevmc {

namespace {

// Writes LINE to the error stream as one escaped line.
void say(HookContext& ctx, const std::string& line) {
    ctx.err += escapeLine(line);
    ctx.err += '\n';
}

// One verdict to the journal, with fields to query it by (MESSAGE_ID,
// DOMAIN, REASON, ...); to syslog as its line where there is no journal.
void logVerdict(HookContext& ctx, HookOp op, const std::string& domain,
                const std::string& domain_uuid, const Decision& d, const DeviceVerdict& v,
                bool audit) {
    if (!ctx.log.enabled()) {
        return;
    }
    const char* verdict = v.compatible ? "accepted" : audit ? "would-refuse" : "refused";
    const std::string line =
        std::string(hookOpName(op)) + " of domain " + domain + ": " +
        (v.compatible ? "accepted"
         : audit      ? "would refuse (audit)"
                      : "refused") +
        (v.evidence == Evidence::None ? std::string() : " [" + evidenceName(v) + "]") + ": " +
        v.message +
        (d.source_host.empty() ? std::string()
                               : " (source host " + quoteValue(d.source_host) + ")");
    std::vector<JournalField> fields{
        {"MESSAGE_ID", kVerdictMessageId},
        {"DOMAIN", domain},
        {"DOMAIN_UUID", domain_uuid},
        {"MDEV_UUID", v.uuid},
        {"MDEV_TYPE", v.type},
        {"HOOK_OP", hookOpName(op)},
        {"VERDICT", verdict},
        {"REASON", reasonName(v.reason)},
        {"EVIDENCE", evidenceName(v)},
        {"SOURCE_HOST", d.source_host},
        {"SOURCE_HOST_ID", d.source_host_id},
    };
    if (v.matched_by != MatchedBy::None) {
        fields.push_back({"MATCHED_BY", matchedByName(v.matched_by)});
        fields.push_back({"SOURCE_MDEV_UUID", v.source_uuid});
    }
    if (!v.next_step.empty()) {
        fields.push_back({"NEXT_STEP", v.next_step});
    }
    ctx.log.entry(v.compatible ? LOG_INFO : LOG_WARNING, line, fields);
}

long long nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// libvirt's persistent definition of DOMAIN here, as its digest; nullopt
// when it cannot be read.
std::optional<std::string> definitionNow(const std::string& domain, HookContext& ctx,
                                         Deadline deadline) {
    const auto path = definitionPath(domain);
    if (!path) {
        return definitionDigest(std::nullopt);
    }
    auto text = ctx.io.readFile(*path, kMaxDomainXml, deadline);
    if (!text) {
        ctx.log.error("domain " + domain + ": " + text.error().message);
        return std::nullopt;
    }
    return definitionDigest(*text);
}

// migrate begin of a domain whose XML carries no record: an offline
// migration, or a live one the source has not recorded (see
// hook/incoming.hpp).  Leaves the note prepare begin looks for and accepts;
// false when the note could not be left (the check then refuses).
bool deferUnrecorded(const std::string& domain, const DomainFacts& xml, HookContext& ctx) {
    // The note names the domain: only a name that is a file name (libvirt's
    // own rule for its definition file) is deferred; any other is checked now.
    const std::string& uuid = xml.uuid;
    if (!isValidUuid(uuid) || !definitionPath(domain)) {
        return false;
    }
    const Deadline deadline = Deadline::at(ctx.started + ctx.config.timeout);
    IncomingNote note{domain, uuid, nowMs(), {}, {}};
    for (const auto& h : xml.hostdevs) {
        if (h.uuid_valid) {
            note.mdevs.push_back(h.uuid);
        }
    }
    const auto definition = definitionNow(domain, ctx, deadline.capped(ctx.config.attr_timeout));
    if (!definition) {
        return false;
    }
    note.definition = *definition;
    if (auto w = ctx.io.replaceFile(incomingNotePath(uuid), formatIncomingNote(note),
                                    deadline.capped(ctx.config.attr_timeout));
        !w) {
        ctx.log.error("domain " + domain + ": " + w.error().message);
        return false;
    }
    ctx.log.info("migrate begin of domain " + domain +
                 ": the source host recorded nothing for its mdevs: accepted as an offline "
                 "migration would be; a live one is refused at prepare begin");
    return true;
}

// Creates the devices D misses where a parent fits, and decides again (the
// created devices are then checked as existing ones).
std::vector<CreatedEntry> provision(HookOp op, const std::string& domain, const DomainFacts& xml,
                                    const MdevHost& host, Deadline deadline, Decision& d,
                                    HookContext& ctx) {
    const CreatedJournal journal(ctx.run_dir);
    const ProvisionOutcome p =
        provisionMissing(d, xml.metadata, host, ctx.config, deadline, journal, domain, xml.uuid);
    for (const auto& e : p.created) {
        ctx.log.entry(LOG_INFO,
                      std::string(hookOpName(op)) + " of domain " + domain + ": created mdev " +
                          e.mdev + " (" + e.type + ") on parent " + e.parent,
                      {{"MESSAGE_ID", kCreatedMessageId},
                       {"DOMAIN", domain},
                       {"DOMAIN_UUID", e.domain_uuid},
                       {"MDEV_UUID", e.mdev},
                       {"MDEV_TYPE", e.type},
                       {"MDEV_PARENT", e.parent},
                       {"HOOK_OP", hookOpName(op)}});
    }
    // Again: the created devices as existing ones, and the parents as they
    // are now (another migration may have taken the last instance).
    d = decide(xml.hostdevs, xml.metadata, host, ctx.config, deadline);
    noteProvisionFailures(d, p);
    return p.created;
}

// The hook refuses after all: what it created goes again.
void rollBack(const std::string& domain, const std::vector<CreatedEntry>& created,
              const MdevHost& host, HookContext& ctx) {
    const CreatedJournal journal(ctx.run_dir);
    const auto t = ctx.config.attr_timeout;
    for (const auto& problem : rollBackCreated(created, host, journal, Deadline::after(t + t), t)) {
        ctx.log.error("domain " + domain + ": " + problem);
    }
}

// RC, handed first to ctx.answered when it is set: the check's answer goes
// out before its state (the document, the decision) is freed.
int answer(HookContext& ctx, int rc) {
    if (ctx.answered) {
        ctx.answered(rc);
    }
    return rc;
}

int checkIncoming(HookOp op, const std::string& domain, std::string_view xml_text,
                  HookContext& ctx) {
    const std::string refusing = refusalPrefix(op, domain);
    auto xml = readDomainFacts(xml_text);
    if (!xml) {
        // Too large, too deep, a DTD...: what libvirt's parser would make
        // of it is not known here, but a document in which it cannot find an
        // mdev hostdev is never refused.
        if (!mayContainMdev(xml_text)) {
            return answer(ctx, 0);
        }
        say(ctx, refusing + "cannot check its mdevs: " + xml.error().message);
        ctx.log.error("domain " + domain + ": " + xml.error().message);
        return answer(ctx, 1);
    }
    if (xml->hostdevs.empty() || !ctx.config.enabled) {
        return answer(ctx, 0);
    }
    if (ctx.config_error) {
        say(ctx, refusing + ctx.config_error->message);
        ctx.log.error(ctx.config_error->message);
        return answer(ctx, 1);
    }
    if (op == HookOp::Migrate && !xml->metadata && !ctx.config.allow_unrecorded &&
        deferUnrecorded(domain, *xml, ctx)) {
        return answer(ctx, 0);
    }
    const MdevHost host(ctx.root, ctx.io);
    const Deadline deadline = Deadline::at(ctx.started + ctx.config.timeout);
    Decision d = decide(xml->hostdevs, xml->metadata, host, ctx.config, deadline);
    std::vector<CreatedEntry> created;
    if (ctx.config.provision && !ctx.run_dir.empty() && worthProvisioning(d)) {
        created = provision(op, domain, *xml, host, deadline, d, ctx);
    }
    if (op == HookOp::Restore) {
        adviseSaveImage(d);
    }
    const bool audit = ctx.config.mode == Mode::Audit;
    for (const auto& v : d.devices) {
        logVerdict(ctx, op, domain, xml->uuid, d, v, audit);
    }
    if (!d.compatible()) {
        if (!audit) {
            rollBack(domain, created, host, ctx);
            for (const auto& line : refusalLines(refusing, domain, d)) {
                say(ctx, line);
            }
            return answer(ctx, 1);
        }
    }
    // libvirt replaces the definition with any XML the hook prints and marks
    // the domain tainted ("configuration potentially modified by hook
    // script"): the check prints none, not even to hand back this host's
    // record, which the recorder stores after `started begin`.
    return answer(ctx, 0);
}

// prepare begin: refuses the live migration that migrate begin let through
// unrecorded; any other start passes.  Never fails a start for its own
// trouble (a note it cannot read or remove is logged).
int confirmIncoming(const std::string& domain, std::string_view xml_text, HookContext& ctx) {
    auto xml = readDomainFacts(xml_text);
    if (!xml || !ctx.config.enabled || ctx.config_error) {
        return answer(ctx, 0);
    }
    const std::string& uuid = xml->uuid;
    if (xml->hostdevs.empty() || !isValidUuid(uuid)) {
        return answer(ctx, 0);
    }
    const Deadline deadline = Deadline::at(ctx.started + ctx.config.timeout);
    const std::string path = incomingNotePath(uuid);
    constexpr std::size_t kMaxNote = std::size_t{64} * 1024;
    auto text = ctx.io.readFile(path, kMaxNote, deadline.capped(ctx.config.attr_timeout));
    if (!text || !*text) {
        if (!text) {
            ctx.log.error("domain " + domain + ": " + text.error().message);
        }
        return answer(ctx, 0);
    }
    // A note stands for one migration: taken here, whatever it says.
    if (auto r = ctx.io.removeFile(path, deadline.capped(ctx.config.attr_timeout)); !r) {
        ctx.log.error("domain " + domain + ": " + r.error().message);
    }
    auto note = parseIncomingNote(**text);
    if (!note || note->uuid != uuid) {
        ctx.log.error("domain " + domain + ": " + ctx.root.display(path) + ": " +
                      (note ? "its uuid is not the domain's" : note.error().message));
        return answer(ctx, 0);
    }
    const long long age = nowMs() - note->at_ms;
    const long long ttl = std::chrono::milliseconds(kIncomingNoteTtl).count();
    if (age < 0 || age > ttl) {
        return answer(ctx, 0); // not this start's migration
    }
    if (definitionNow(domain, ctx, deadline.capped(ctx.config.attr_timeout)) != note->definition) {
        // Defined here since: an offline migration, and now a start.
        return answer(ctx, 0);
    }
    if (xml->metadata) {
        return answer(ctx, 0);
    }
    const MdevHost host(ctx.root, ctx.io);
    const Decision d = decide(xml->hostdevs, std::nullopt, host, ctx.config, deadline);
    const bool audit = ctx.config.mode == Mode::Audit;
    for (const auto& v : d.devices) {
        logVerdict(ctx, HookOp::Prepare, domain, uuid, d, v, audit);
    }
    if (d.compatible() || audit) {
        return answer(ctx, 0);
    }
    for (const auto& line : refusalLines(refusalPrefix(HookOp::Migrate, domain), domain, d)) {
        say(ctx, line);
    }
    return answer(ctx, 1);
}

int recordVersions(const std::string& domain, std::string_view xml_text, HookContext& ctx) {
    auto xml = readDomainFacts(xml_text);
    if (!xml) {
        ctx.log.error("domain " + domain + ": not recording mdev versions: " + xml.error().message);
        return 0;
    }
    if (xml->hostdevs.empty() || !ctx.config.enabled) {
        return 0;
    }
    const std::string& uuid = xml->uuid;
    if (!ctx.spawn_recorder) {
        return 0;
    }
    if (auto r = ctx.spawn_recorder(uuid.empty() ? domain : uuid, domain); !r) {
        ctx.log.error("domain " + domain +
                      ": cannot start the version recorder: " + r.error().message);
    }
    return 0;
}

// release end of a domain, with created mdevs journalled on this host.
int collectCreated(const std::string& domain, std::string_view xml_text, HookContext& ctx) {
    if (!ctx.spawn_gc) {
        return 0;
    }
    auto xml = readDomainFacts(xml_text);
    if (!xml || !isValidUuid(xml->uuid)) {
        return 0; // the timer's gc takes it
    }
    if (auto r = ctx.spawn_gc(canonicalUuid(xml->uuid)); !r) {
        ctx.log.error("domain " + domain + ": cannot start mdev-migcheck gc: " + r.error().message);
    }
    return 0;
}

} // namespace

int runHook(const std::vector<std::string>& args, std::string_view xml, HookContext& ctx) {
    if (args.size() < 3) {
        say(ctx, "mdev-migcheck-hook: expected the arguments DOMAIN OP SUBOP [EXTRA] that "
                 "libvirt passes");
        return 0;
    }
    const std::string& domain = args[0];
    const HookOp op = hookOpFromString(args[1]);
    const HookSubop subop = hookSubopFromString(args[2]);
    switch (hookAction(op, subop)) {
    case HookAction::Nothing:
        return 0;
    case HookAction::CheckIncoming:
        return checkIncoming(op, domain, xml, ctx);
    case HookAction::RecordVersions:
        return recordVersions(domain, xml, ctx);
    case HookAction::ConfirmIncoming:
        return confirmIncoming(domain, xml, ctx);
    case HookAction::CollectCreated:
        return collectCreated(domain, xml, ctx);
    }
    return 0;
}

} // namespace mdevmc
