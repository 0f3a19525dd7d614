// mdev-migcheck annotate: records this host's migration_version of running
// domains in their live metadata, or of a domain XML file.
#include "check/decision.hpp"
#include "check/recording.hpp"
#include "cli/cli.hpp"
#include "cli/host_env.hpp"
#include "cli/json.hpp"
#include "util/syslog.hpp"
#include "virt/live_annotate.hpp"
#include "virt/save_annotate.hpp"

#include <filesystem>
#include <ostream>
#include <thread>

namespace mdevmc::cli {

namespace {

constexpr const char* kHelp =
    "Usage: mdev-migcheck annotate [-c URI] DOMAIN... | --all\n"
    "       mdev-migcheck annotate [-c URI] --managed-save DOMAIN\n"
    "       mdev-migcheck annotate [-c URI] --save-image FILE\n"
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
    "With --xml, reads a domain XML instead and prints it with this host's record\n"
    "(a domain without mdevs unchanged); with --xml and --json, prints the record\n"
    "as JSON instead of the XML.\n"
    "\n"
    "With --managed-save or --save-image, records this host's migration_version in\n"
    "the domain XML of a saved VM (`virsh managedsave`, `virsh save`), whose\n"
    "restore is refused while it carries no record (images saved before\n"
    "mdev-migcheck was installed).  Only the metadata of the image's XML changes.\n"
    "\n"
    "Options:\n"
    "  -c, --connect URI  libvirt connection (default qemu:///system)\n"
    "  --all              every running domain\n"
    "  --wait             wait for a starting domain (as the hook runs it); logs\n"
    "                     to syslog only\n"
    "  --name NAME        with --wait: the domain's name, for the lines logged\n"
    "                     before libvirt has found DOMAIN (the hook passes both)\n"
    "  --managed-save DOMAIN\n"
    "                     annotate DOMAIN's managed save image\n"
    "  --save-image FILE  annotate the save image FILE (`virsh save`)\n"
    "  --xml FILE         annotate a domain XML file ('-' for standard input)\n"
    "  --json             print what was recorded as JSON\n"
    "  -h, --help         this text\n"
    "\n"
    "DOMAIN is a name, UUID or id, as for virsh.\n"
    "\n"
    "Exit status: 0 recorded (or nothing to record), 1 some domain could not be\n"
    "annotated, 2 usage error or no connection.\n";

// What annotate did for domain D (name and UUID) as JSON: its outcome and
// the record this host made for its mdevs.
Json recordJson(const std::string& name, const std::string& uuid, const LiveAnnotation& r) {
    Json devices = Json::array();
    for (const auto& e : r.metadata.entries) {
        devices.push_back({
            {"uuid", e.uuid},
            {"type", stringOrNull(e.type)},
            {"parent", stringOrNull(e.parent)},
            {"migration_version", stringOrNull(e.version)},
            {"migration_version_error", stringOrNull(e.error)},
            {"oracle", e.oracle ? Json(e.oracle->name) : Json(nullptr)},
        });
    }
    return Json{
        {"domain", name},
        {"domain_uuid", stringOrNull(uuid)},
        {"outcome", outcomeName(r.outcome)},
        {"devices", std::move(devices)},
    };
}

// --xml FILE: prints the domain XML with this host's record (a domain
// without mdevs as it was), or with --json what was recorded, as for a
// running domain.
int annotateXmlFile(CliContext& ctx, const std::string& file, bool json) {
    DomainXml xml = readDomainXml(ctx, file);
    const auto hostdevs = xml.mdevHostdevs();
    LiveAnnotation r;
    if (!hostdevs.empty()) {
        const LocalHost host;
        r.metadata =
            recordDevices(hostdevs, host.mdevs, hostName(), host.env.config, Deadline::never());
        const auto current = xml.metadata();
        r.outcome = current && formatMetadata(*current) == formatMetadata(r.metadata)
                        ? LiveAnnotation::Outcome::Unchanged
                        : LiveAnnotation::Outcome::Recorded;
        xml.setMetadata(r.metadata);
    }
    if (json) {
        printJson(ctx.out, Json::array({recordJson(xml.name(), xml.uuid(), r)}));
    } else {
        ctx.out << xml.serialize();
    }
    return 0;
}

// DOMAIN... or --all, through libvirt.
int annotateDomains(CliContext& ctx, const Args& a) {
    auto hv = connectOrThrow(a);
    const LocalHost host;
    std::vector<DomainRef> doms;
    if (a.has("all")) {
        auto all = hv->activeDomains();
        if (!all) {
            throw Fatal("mdev-migcheck annotate: " + all.error().message);
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
    const SysLog log(host.env.config.syslog);
    const bool json = a.has("json");
    Json records = Json::array();
    int rc = 0;
    for (const auto& d : doms) {
        auto r = annotateLive(*hv, d, host.mdevs, hostName(), host.env.config);
        if (!r) {
            ctx.err << "mdev-migcheck annotate: " << r.error().message << '\n';
            rc = 1;
            continue;
        }
        if (r->outcome == LiveAnnotation::Outcome::Recorded) {
            log.info("recorded " + describeRecord(d, r->metadata));
        }
        if (json) {
            records.push_back(recordJson(d.name, d.uuid, *r));
        } else if (r->outcome == LiveAnnotation::Outcome::NoMdev) {
            ctx.out << "domain " << d.name << ": no mdev, nothing to record\n";
        } else {
            ctx.out << (r->outcome == LiveAnnotation::Outcome::Recorded ? "recorded "
                                                                        : "already recorded ")
                    << describeRecord(d, r->metadata) << '\n';
        }
    }
    if (json) {
        printJson(ctx.out, records);
    }
    return rc;
}

// --managed-save DOMAIN or --save-image FILE, through libvirt.
int annotateImage(CliContext& ctx, const Args& a) {
    auto hv = connectOrThrow(a);
    SaveImageRef img;
    if (auto dom = a.value("managed-save")) {
        auto d = hv->lookup(*dom);
        if (!d) {
            throw Fatal("mdev-migcheck annotate: " + d.error().message);
        }
        img.domain = *d;
    } else {
        img.kind = SaveImageRef::Kind::File;
        // The daemon opens the file: a relative name means nothing there.
        std::error_code ec;
        const auto file = std::filesystem::absolute(*a.value("save-image"), ec);
        if (ec || a.value("save-image")->empty()) {
            throw Fatal("mdev-migcheck annotate: bad save image name '" + *a.value("save-image") +
                        "'");
        }
        img.file = file.string();
    }
    const LocalHost host;
    auto r = annotateSaveImage(*hv, img, host.mdevs, hostName(), host.env.config);
    if (!r) {
        ctx.err << "mdev-migcheck annotate: " << r.error().message << '\n';
        return 1;
    }
    const LiveAnnotation& rec = r->record;
    if (rec.outcome == LiveAnnotation::Outcome::Recorded) {
        const SysLog log(host.env.config.syslog);
        log.info("recorded in " + describeImage(img) + ": " +
                 describeRecord(r->domain, rec.metadata));
    }
    if (a.has("json")) {
        printJson(ctx.out, Json::array({recordJson(r->domain.name, r->domain.uuid, rec)}));
    } else if (rec.outcome == LiveAnnotation::Outcome::NoMdev) {
        ctx.out << describeImage(img) << ": no mdev, nothing to record\n";
    } else {
        ctx.out << (rec.outcome == LiveAnnotation::Outcome::Recorded ? "recorded in "
                                                                     : "already recorded in ")
                << describeImage(img) << ": " << describeRecord(r->domain, rec.metadata) << '\n';
    }
    return 0;
}

// --wait DOMAIN: as the hook starts it when a domain starts; logs only.
int annotateWhenStarted(const Args& a) {
    const std::string& spec = a.positional()[0];
    const std::string name = a.value("name").value_or("");
    auto hv = LibvirtHypervisor::connect(a.value("connect").value_or(kDefaultUri));
    const HostEnv host = openHost();
    const SysLog log(host.config.syslog);
    if (!hv) {
        log.error("not recording mdev versions of " + describeSpec(spec, name) + ": " +
                  hv.error().message);
        return 1;
    }
    WorkerAttrIo io(host.root);
    const MdevHost mdevs(host.root, io);
    return recordWhenStarted(
        **hv, spec, mdevs, hostName(), host.config, log,
        [](std::chrono::milliseconds ms) { std::this_thread::sleep_for(ms); }, name);
}

int run(CliContext& ctx, const Args& a) {
    const bool image = a.has("managed-save") || a.has("save-image");
    if (image) {
        if (a.has("managed-save") == a.has("save-image")) {
            throw Fatal("mdev-migcheck annotate: give --managed-save DOMAIN or --save-image FILE, "
                        "not both");
        }
        if (!a.positional().empty() || a.has("all") || a.has("wait") || a.has("name") ||
            a.has("xml")) {
            throw Fatal("mdev-migcheck annotate: --managed-save and --save-image take no other "
                        "domain, --all, --wait, --name or --xml");
        }
        return annotateImage(ctx, a);
    }
    if (a.has("xml")) {
        if (!a.positional().empty() || a.has("all") || a.has("wait") || a.has("connect")) {
            throw Fatal("mdev-migcheck annotate: --xml takes no domain, --all, --wait or "
                        "--connect");
        }
        return annotateXmlFile(ctx, *a.value("xml"), a.has("json"));
    }
    if (a.has("all") == !a.positional().empty()) {
        throw Fatal("mdev-migcheck annotate: name the domains, or give --all (see --help)");
    }
    if (a.has("name") && !a.has("wait")) {
        throw Fatal("mdev-migcheck annotate: --name goes with --wait");
    }
    if (a.has("wait")) {
        if (a.has("all") || a.positional().size() != 1) {
            throw Fatal("mdev-migcheck annotate: --wait takes exactly one domain");
        }
        return annotateWhenStarted(a);
    }
    return annotateDomains(ctx, a);
}

} // namespace

Command annotateCommand() {
    return {"annotate",
            "record this host's migration_version of running or saved VMs in their metadata",
            kHelp,
            {{"connect", 'c', true},
             {"all", 0, false},
             {"wait", 0, false},
             {"name", 0, true},
             {"managed-save", 0, true},
             {"save-image", 0, true},
             {"xml", 0, true},
             {"json", 0, false}},
            run};
}

} // namespace mdevmc::cli
