#include "hook/engine.hpp"

#include "check/decision.hpp"
#include "check/recording.hpp"
#include "check/report.hpp"
#include "domain/domain_xml.hpp"
#include "hook/ops.hpp"
#include "mdev/host.hpp"
#include "mdev/validate.hpp"
#include "util/escape.hpp"

#include <syslog.h>

namespace mdevmc {

namespace {

// Writes LINE to the error stream as one escaped line.
void say(HookContext& ctx, const std::string& line) {
    ctx.err << escapeLine(line) << '\n';
}

// One verdict to the journal, with fields to query it by (MESSAGE_ID,
// DOMAIN, REASON, ...); to syslog as its line where there is no journal.
void logVerdict(HookContext& ctx, HookOp op, const std::string& domain,
                const std::string& domain_uuid, const Decision& d, const DeviceVerdict& v,
                bool audit) {
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
    if (!v.next_step.empty()) {
        fields.push_back({"NEXT_STEP", v.next_step});
    }
    ctx.log.entry(v.compatible ? LOG_INFO : LOG_WARNING, line, fields);
}

int checkIncoming(HookOp op, const std::string& domain, std::string_view xml_text,
                  HookContext& ctx) {
    const std::string refusing = refusalPrefix(op, domain);
    auto xml = DomainXml::parse(xml_text);
    if (!xml) {
        // Too large, too deep, a DTD...: what libvirt's parser would make
        // of it is not known here, but a document in which it cannot find an
        // mdev hostdev is never refused.
        if (!mayContainMdev(xml_text)) {
            return 0;
        }
        say(ctx, refusing + "cannot check its mdevs: " + xml.error().message);
        ctx.log.error("domain " + domain + ": " + xml.error().message);
        return 1;
    }
    const auto hostdevs = xml->mdevHostdevs();
    if (hostdevs.empty() || !ctx.config.enabled) {
        return 0;
    }
    if (ctx.config_error) {
        say(ctx, refusing + ctx.config_error->message);
        ctx.log.error(ctx.config_error->message);
        return 1;
    }
    const MdevHost host(ctx.root, ctx.io);
    const Deadline deadline = Deadline::after(ctx.config.timeout);
    Decision d = decide(hostdevs, xml->metadata(), host, ctx.config, deadline);
    if (op == HookOp::Restore) {
        adviseSaveImage(d);
    }
    const bool audit = ctx.config.mode == Mode::Audit;
    for (const auto& v : d.devices) {
        logVerdict(ctx, op, domain, xml->uuid(), d, v, audit);
    }
    if (!d.compatible()) {
        if (!audit) {
            for (const auto& line : refusalLines(refusing, domain, d)) {
                say(ctx, line);
            }
            return 1;
        }
    }
    // This host's record, from what the check read (no second pass).
    Metadata mine;
    mine.host = ctx.host_name;
    mine.host_id = d.host_id;
    for (const auto& v : d.devices) {
        if (v.here) {
            mine.entries.push_back(*v.here);
        }
    }
    mine.index();
    xml->setMetadata(mine);
    ctx.out << xml->serialize();
    return 0;
}

int recordVersions(const std::string& domain, std::string_view xml_text, HookContext& ctx) {
    auto xml = DomainXml::parse(xml_text);
    if (!xml) {
        ctx.log.error("domain " + domain + ": not recording mdev versions: " + xml.error().message);
        return 0;
    }
    if (xml->mdevHostdevs().empty() || !ctx.config.enabled) {
        return 0;
    }
    const std::string uuid = xml->uuid();
    if (!ctx.spawn_recorder) {
        return 0;
    }
    if (auto r = ctx.spawn_recorder(uuid.empty() ? domain : uuid, domain); !r) {
        ctx.log.error("domain " + domain +
                      ": cannot start the version recorder: " + r.error().message);
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
    }
    return 0;
}

} // namespace mdevmc
