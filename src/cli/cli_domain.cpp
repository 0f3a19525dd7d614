#include "cli/cli_domain.hpp"

#include "check/decision.hpp"
#include "check/report.hpp"
#include "cli/cli_args.hpp"
#include "cli/cli_host.hpp"
#include "cli/cli_support.hpp"
#include "domain/domain_xml.hpp"
#include "sysfs/attr_io.hpp"
#include "virt/libvirt_hypervisor.hpp"
#include "virt/live_annotate.hpp"

#include <ostream>
#include <thread>

namespace mdevmc {

namespace {

constexpr const char* kAnnotateHelp =
    "Usage: mdev-migcheck annotate [-c URI] DOMAIN... | --all\n"
    "       mdev-migcheck annotate --xml FILE|-\n"
    "\n"
    "Records this host's migration_version for each mdev of running domains in\n"
    "their live <metadata> (namespace urn:mdev-migcheck:metadata:1), where libvirt\n"
    "carries it to the destination of a migration.  The persistent definition is\n"
    "never changed.  A device whose attribute cannot be read is recorded with the\n"
    "errno name instead.  Domains that already carry the same record are left as\n"
    "they are; domains without mdevs are skipped.  The hook does this on its own\n"
    "when a VM starts; use --all for VMs that were running before mdev-migcheck was\n"
    "installed.\n"
    "\n"
    "With --xml, reads a domain XML instead and prints it with this host's record.\n"
    "\n"
    "Options:\n"
    "  -c, --connect URI  libvirt connection (default qemu:///system)\n"
    "  --all              every running domain\n"
    "  --wait             wait for a starting domain (as the hook runs it); logs\n"
    "                     to syslog only\n"
    "  --xml FILE         annotate a domain XML file ('-' for standard input)\n"
    "  --json             print what was recorded as JSON\n"
    "  -h, --help         this text\n"
    "\n"
    "DOMAIN is a name, UUID or id, as for virsh.\n"
    "\n"
    "Exit status: 0 recorded (or nothing to record), 1 some domain could not be\n"
    "annotated, 2 usage error or no connection.\n";

constexpr const char* kCheckHelp =
    "Usage: mdev-migcheck check [-c URI] [--json] DOMAIN\n"
    "       mdev-migcheck check --xml FILE|- [--json]\n"
    "\n"
    "Shows what this host, as the destination, would decide if DOMAIN came here:\n"
    "for each mdev hostdev, the migration_version recorded in the domain's metadata\n"
    "is written to this host's attribute.  With -c, DOMAIN's XML is read from that\n"
    "libvirt connection (e.g. the source host: -c qemu+ssh://source/system); with\n"
    "--xml, from a file.  Prints one row per device: UUID, TYPE, VERDICT, REASON.\n"
    "Nothing is migrated.\n"
    "\n"
    "Options:\n"
    "  -c, --connect URI  libvirt connection holding DOMAIN (default qemu:///system)\n"
    "  --xml FILE         the domain XML ('-' for standard input)\n"
    "  --json             print JSON instead of a table\n"
    "  -h, --help         this text\n"
    "\n"
    "Exit status: 0 every device compatible (or no mdev), 1 refused, 2 error.\n";

std::unique_ptr<LibvirtHypervisor> connectOrThrow(const CliArgs& a) {
    const std::string uri = a.value("connect").value_or(kDefaultUri);
    auto hv = LibvirtHypervisor::connect(uri);
    if (!hv) {
        throw Fatal("mdev-migcheck: " + hv.error().message);
    }
    return std::move(*hv);
}

int annotateDomains(CliContext& ctx, const CliArgs& a) {
    auto hv = connectOrThrow(a);
    HostEnv host = openHost();
    WorkerAttrIo io(host.root);
    const MdevHost mdevs(host.root, io);
    std::vector<DomainRef> doms;
    if (a.has("all")) {
        auto all = hv->activeDomains();
        if (!all) {
            throw Fatal("mdev-migcheck: " + all.error().message);
        }
        doms = *all;
    } else {
        for (const auto& spec : a.positional()) {
            auto d = hv->lookup(spec);
            if (!d) {
                throw Fatal("mdev-migcheck annotate: " + d.error().message);
            }
            doms.push_back(*d);
        }
    }
    const SysLog log(host.config.syslog);
    int rc = 0;
    bool first = true;
    if (a.has("json")) {
        ctx.out << "[";
    }
    for (const auto& d : doms) {
        auto r = annotateLive(*hv, d, mdevs, hostName(), host.config);
        if (!r) {
            ctx.err << "mdev-migcheck annotate: " << r.error().message << '\n';
            rc = 1;
            continue;
        }
        const char* what = r->outcome == LiveAnnotation::Outcome::Recorded    ? "recorded"
                           : r->outcome == LiveAnnotation::Outcome::Unchanged ? "unchanged"
                                                                              : "no-mdev";
        if (r->outcome == LiveAnnotation::Outcome::Recorded) {
            log.info("recorded " + describeRecord(d, r->metadata));
        }
        if (a.has("json")) {
            ctx.out << (first ? "" : ", ") << "{\"domain\": " << jsonString(d.name)
                    << ", \"uuid\": " << jsonString(d.uuid) << ", \"outcome\": " << jsonString(what)
                    << ", \"mdevs\": [";
            for (std::size_t i = 0; i < r->metadata.entries.size(); ++i) {
                const auto& e = r->metadata.entries[i];
                ctx.out << (i ? ", " : "") << "{\"uuid\": " << jsonString(e.uuid)
                        << ", \"type\": " << jsonString(e.type)
                        << ", \"version\": " << (e.version ? jsonString(*e.version) : "null")
                        << ", \"error\": " << (e.error ? jsonString(*e.error) : "null") << "}";
            }
            ctx.out << "]}";
        } else if (r->outcome == LiveAnnotation::Outcome::NoMdev) {
            ctx.out << "domain " << d.name << ": no mdev, nothing to record\n";
        } else {
            ctx.out << (r->outcome == LiveAnnotation::Outcome::Recorded ? "recorded "
                                                                        : "already recorded ")
                    << describeRecord(d, r->metadata) << '\n';
        }
        first = false;
    }
    if (a.has("json")) {
        ctx.out << "]\n";
    }
    return rc;
}

} // namespace

int cmdAnnotate(CliContext& ctx, const std::vector<std::string>& args) {
    if (wantsHelp(args)) {
        ctx.out << kAnnotateHelp;
        return 0;
    }
    const CliArgs a("annotate", args,
                    {{"connect", 'c', true},
                     {"all", 0, false},
                     {"wait", 0, false},
                     {"xml", 0, true},
                     {"json", 0, false}});
    if (a.has("xml")) {
        if (!a.positional().empty() || a.has("all") || a.has("wait") || a.has("connect")) {
            throw Fatal("mdev-migcheck annotate: --xml takes no domain, --all, --wait or "
                        "--connect");
        }
        return annotateXmlFile(ctx, *a.value("xml"));
    }
    if (a.has("all") == !a.positional().empty()) {
        throw Fatal("mdev-migcheck annotate: name the domains, or give --all (see --help)");
    }
    if (a.has("wait")) {
        if (a.has("all") || a.positional().size() != 1) {
            throw Fatal("mdev-migcheck annotate: --wait takes exactly one domain");
        }
        auto hv = LibvirtHypervisor::connect(a.value("connect").value_or(kDefaultUri));
        HostEnv host = openHost();
        const SysLog log(host.config.syslog);
        if (!hv) {
            log.error("not recording mdev versions of domain " + a.positional()[0] + ": " +
                      hv.error().message);
            return 1;
        }
        WorkerAttrIo io(host.root);
        const MdevHost mdevs(host.root, io);
        return recordWhenStarted(
            **hv, a.positional()[0], mdevs, hostName(), host.config, log,
            [](std::chrono::milliseconds ms) { std::this_thread::sleep_for(ms); });
    }
    return annotateDomains(ctx, a);
}

int cmdCheck(CliContext& ctx, const std::vector<std::string>& args) {
    if (wantsHelp(args)) {
        ctx.out << kCheckHelp;
        return 0;
    }
    const CliArgs a("check", args, {{"connect", 'c', true}, {"xml", 0, true}, {"json", 0, false}});
    if (a.has("xml")) {
        if (!a.positional().empty() || a.has("connect")) {
            throw Fatal("mdev-migcheck check: --xml takes no domain or --connect");
        }
        return checkXmlFile(ctx, *a.value("xml"), a.has("json"));
    }
    if (a.positional().size() != 1) {
        throw Fatal("mdev-migcheck check: expected one DOMAIN, or --xml FILE (see --help)");
    }
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
    HostEnv host = openHost();
    WorkerAttrIo io(host.root);
    const MdevHost mdevs(host.root, io);
    const Decision dec = decide(xml->mdevHostdevs(), xml->metadata(), mdevs, host.config,
                                Deadline::after(host.config.timeout));
    if (a.has("json")) {
        printDecisionJson(ctx.out, d->name, dec);
    } else if (dec.devices.empty()) {
        ctx.out << "domain " << d->name << " has no mdev hostdev: nothing to check\n";
    } else {
        printDecisionTable(ctx.out, dec);
    }
    return dec.compatible() ? 0 : 1;
}

const std::vector<Command>& commandTable() {
    static const std::vector<Command> table{
        {"annotate", "record this host's migration_version of running VMs in their metadata",
         cmdAnnotate},
        {"check", "show whether a VM's mdevs could migrate to this host", cmdCheck},
        {"list", "list this host's mdev parents, types and devices, migration-aware", cmdList},
        {"version", "print the migration_version of a device or type", cmdVersion},
        {"probe", "test whether this host accepts a source migration_version", cmdProbe},
    };
    return table;
}

} // namespace mdevmc
