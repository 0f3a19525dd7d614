#include "hook/engine.hpp"

#include "check/decision.hpp"
#include "check/recording.hpp"
#include "check/report.hpp"
#include "domain/domain_xml.hpp"
#include "hook/ops.hpp"
#include "mdev/host.hpp"
#include "util/escape.hpp"

namespace mdevmc {

namespace {

// Writes LINE to the error stream as one escaped line.
void say(HookContext& ctx, const std::string& line) {
    ctx.err << escapeLine(line) << '\n';
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
    const Decision d = decide(hostdevs, xml->metadata(), host, ctx.config, deadline);
    const bool audit = ctx.config.mode == Mode::Audit;
    for (const auto& v : d.devices) {
        const std::string line =
            std::string(hookOpName(op)) + " of domain " + domain + ": " +
            (v.compatible ? "accepted"
             : audit      ? "would refuse (audit)"
                          : "refused") +
            (v.evidence == Evidence::None ? std::string() : " [" + evidenceName(v) + "]") + ": " +
            v.message;
        if (v.compatible) {
            ctx.log.info(line);
        } else {
            ctx.log.warning(line);
        }
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
    if (auto r = ctx.spawn_recorder(uuid.empty() ? domain : uuid); !r) {
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
