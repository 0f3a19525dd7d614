// mdev-migcheck check: what this host, as the destination, would decide for
// a domain, read from libvirt or from a file.
#include "check/decision.hpp"
#include "cli/cli.hpp"
#include "cli/decision_output.hpp"
#include "cli/host_env.hpp"
#include "domain/domain_xml.hpp"
#include "util/escape.hpp"

namespace mdevmc::cli {

namespace {

constexpr const char* kHelp =
    "Usage: mdev-migcheck check [-c URI] [--json] DOMAIN\n"
    "       mdev-migcheck check --xml FILE|- [--json]\n"
    "\n"
    "Shows what this host, as the destination, would decide if DOMAIN came here:\n"
    "for each mdev hostdev, the migration_version recorded in the domain's metadata\n"
    "is written to this host's attribute.  With -c, DOMAIN's XML is read from that\n"
    "libvirt connection (e.g. the source host: -c qemu+ssh://source/system); with\n"
    "--xml, from a file.  Prints one row per device: UUID, TYPE, VERDICT, REASON.\n"
    "Nothing is migrated.  Run on the host that recorded DOMAIN (its source), it\n"
    "answers for that host; 'mdev-migcheck preflight' asks the hosts it could go to.\n"
    "\n"
    "Options:\n"
    "  -c, --connect URI  libvirt connection holding DOMAIN (default qemu:///system)\n"
    "  --xml FILE         the domain XML ('-' for standard input)\n"
    "  --json             print JSON instead of a table\n"
    "  -h, --help         this text\n"
    "\n"
    "Exit status: 0 every device compatible (or no mdev), 1 refused, 2 error.\n";

// The decision of this host for XML, printed; DOMAIN names it.
int decideAndPrint(CliContext& ctx, const DomainXml& xml, const std::string& domain, bool json) {
    // As the hook: a configuration with an error in it decides nothing.
    const LocalHost host(ConfigErrors::Fatal);
    const auto source = xml.metadata();
    const Decision d = decide(xml.mdevHostdevs(), source, host.mdevs, host.env.config,
                              Deadline::after(host.env.config.timeout));
    if (!d.devices.empty() && source && !source->host_id.empty() && source->host_id == d.host_id) {
        // Run on the source, check answers for the host the VM is on.
        ctx.err << escapeLine("mdev-migcheck check: note: domain " + domain +
                              " was recorded on this host, so this is what this host would "
                              "decide for its own VM; to ask the hosts it could go to, run "
                              "'mdev-migcheck preflight " +
                              domain + " --to HOST'")
                << '\n';
    }
    return printDecision(ctx, domain, d, json);
}

struct LiveDomain {
    std::string name;
    DomainXml xml;
};

// The domain named on the command line, as libvirt runs it.
LiveDomain domainFromLibvirt(const Args& a) {
    auto hv = connectOrThrow(a);
    auto d = hv->lookup(a.positional()[0]);
    if (!d) {
        throw Fatal("mdev-migcheck check: " + d.error().message);
    }
    auto xml_text = hv->liveXml(*d);
    if (!xml_text) {
        throw Fatal("mdev-migcheck check: " + xml_text.error().message);
    }
    auto xml = DomainXml::parse(*xml_text);
    if (!xml) {
        throw Fatal("mdev-migcheck check: domain '" + d->name + "': " + xml.error().message);
    }
    return {d->name, std::move(*xml)};
}

int run(CliContext& ctx, const Args& a) {
    const bool json = a.has("json");
    if (a.has("xml")) {
        if (!a.positional().empty() || a.has("connect")) {
            throw Fatal("mdev-migcheck check: --xml takes no domain or --connect");
        }
        const DomainXml xml = readDomainXml(ctx, *a.value("xml"));
        return decideAndPrint(ctx, xml, xml.name(), json);
    }
    if (a.positional().size() != 1) {
        throw Fatal("mdev-migcheck check: expected one DOMAIN, or --xml FILE (see --help)");
    }
    const LiveDomain d = domainFromLibvirt(a);
    return decideAndPrint(ctx, d.xml, d.name, json);
}

} // namespace

Command checkCommand() {
    return {"check",
            "show whether a VM's mdevs could migrate to this host",
            kHelp,
            {{"connect", 'c', true}, {"xml", 0, true}, {"json", 0, false}},
            run};
}

} // namespace mdevmc::cli
