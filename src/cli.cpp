#include "cli.hpp"

#include "attr_io.hpp"
#include "cli_args.hpp"
#include "config.hpp"
#include "decision.hpp"
#include "domain_xml.hpp"
#include "errno_name.hpp"
#include "mdev.hpp"
#include "report.hpp"
#include "root.hpp"

#include <cerrno>
#include <fstream>
#include <iostream>
#include <iterator>
#include <unistd.h>

#ifndef MDEVMC_VERSION
#define MDEVMC_VERSION "unknown"
#endif

namespace mdevmc {

namespace {

constexpr const char* kUsage =
    "Usage: mdev-migcheck COMMAND [OPTIONS]\n"
    "\n"
    "Checks that a VM's mediated devices (mdev) can be live-migrated to this host:\n"
    "the vendor driver here must accept each device's migration_version from the\n"
    "source host.\n"
    "\n"
    "Commands:\n";

constexpr const char* kUsageTail =
    "\n"
    "Run 'mdev-migcheck COMMAND --help' for a command's options.\n"
    "\n"
    "Environment:\n"
    "  MDEV_MIGCHECK_ROOT    root holding sys/ and etc/ (default /), e.g. a simulated host\n"
    "  MDEV_MIGCHECK_CONFIG  configuration file (default "
    "ROOT/etc/mdev-migcheck/mdev-migcheck.conf)\n"
    "\n"
    "Exit status: 0 success or compatible, 1 refused or incompatible, 2 usage or input error.\n";

struct HostEnv {
    Root root;
    Config config;
};

HostEnv openHost() {
    auto root = Root::fromEnvironment();
    if (!root) {
        throw Fatal(root.error());
    }
    auto config = loadConfig(configPath(*root));
    if (!config) {
        throw Fatal(config.error());
    }
    return HostEnv{std::move(*root), *config};
}

std::string hostName() {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0) {
        return {};
    }
    return buf;
}

bool wantsHelp(const std::vector<std::string>& args) {
    for (const auto& a : args) {
        if (a == "--help" || a == "-h") {
            return true;
        }
        if (a == "--") {
            break;
        }
    }
    return false;
}

constexpr const char* kAnnotateHelp =
    "Usage: mdev-migcheck annotate --xml FILE|-\n"
    "\n"
    "Reads a domain XML, reads this host's migration_version for each of its mdev\n"
    "hostdevs, and prints the XML with that record in its <metadata> (namespace\n"
    "urn:mdev-migcheck:metadata:1).  Devices whose attribute cannot be read are\n"
    "recorded with the errno name instead.  This is what the hook does to the XML\n"
    "of a domain it accepts.\n"
    "\n"
    "Options:\n"
    "  --xml FILE   the domain XML ('-' for standard input)\n"
    "  -h, --help   this text\n";

int cmdAnnotate(CliContext& ctx, const std::vector<std::string>& args) {
    if (wantsHelp(args)) {
        ctx.out << kAnnotateHelp;
        return 0;
    }
    const CliArgs a("annotate", args, {{"xml", 0, true}});
    if (!a.has("xml")) {
        throw Fatal("mdev-migcheck annotate: --xml FILE is required");
    }
    if (!a.positional().empty()) {
        throw Fatal("mdev-migcheck annotate: unexpected argument '" + a.positional().front() + "'");
    }
    return annotateXmlFile(ctx, *a.value("xml"));
}

constexpr const char* kCheckHelp =
    "Usage: mdev-migcheck check --xml FILE|- [--json]\n"
    "\n"
    "Runs the destination's decision on a domain XML as if the domain were migrating\n"
    "to this host: for each mdev hostdev, the migration_version recorded by the\n"
    "source (in the XML's metadata) is written to this host's attribute.  Prints one\n"
    "row per device: UUID, TYPE, VERDICT, REASON.\n"
    "\n"
    "Note: probing writes to this host's sysfs migration_version attributes; the\n"
    "protocol defines such writes as side-effect free checks.\n"
    "\n"
    "Options:\n"
    "  --xml FILE   the domain XML ('-' for standard input)\n"
    "  --json       print JSON instead of a table\n"
    "  -h, --help   this text\n"
    "\n"
    "Exit status: 0 every device compatible (or no mdev), 1 refused, 2 error.\n";

int cmdCheck(CliContext& ctx, const std::vector<std::string>& args) {
    if (wantsHelp(args)) {
        ctx.out << kCheckHelp;
        return 0;
    }
    const CliArgs a("check", args, {{"xml", 0, true}, {"json", 0, false}});
    if (!a.has("xml")) {
        throw Fatal("mdev-migcheck check: --xml FILE is required");
    }
    if (!a.positional().empty()) {
        throw Fatal("mdev-migcheck check: unexpected argument '" + a.positional().front() + "'");
    }
    return checkXmlFile(ctx, *a.value("xml"), a.has("json"));
}

} // namespace

std::string readInput(CliContext& ctx, const std::string& file) {
    std::string data;
    if (file == "-") {
        data.assign(std::istreambuf_iterator<char>(ctx.in), std::istreambuf_iterator<char>());
    } else {
        std::ifstream f(file, std::ios::binary);
        if (!f) {
            const int e = errno;
            throw Fatal("cannot read '" + file + "': " + errnoText(e));
        }
        data.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    }
    return data;
}

int annotateXmlFile(CliContext& ctx, const std::string& file) {
    const std::string text = readInput(ctx, file);
    auto xml = DomainXml::parse(text);
    if (!xml) {
        throw Fatal((file == "-" ? std::string("standard input") : "'" + file + "'") + ": " +
                    xml.error().message);
    }
    HostEnv host = openHost();
    DirectAttrIo io(host.root);
    const MdevHost mdevs(host.root, io);
    const Metadata m = recordVersions(xml->mdevHostdevs(), mdevs, hostName(),
                                      host.config.attr_timeout, Deadline::never());
    xml->setMetadata(m);
    ctx.out << xml->serialize();
    return 0;
}

int checkXmlFile(CliContext& ctx, const std::string& file, bool json) {
    const std::string text = readInput(ctx, file);
    auto xml = DomainXml::parse(text);
    if (!xml) {
        throw Fatal((file == "-" ? std::string("standard input") : "'" + file + "'") + ": " +
                    xml.error().message);
    }
    HostEnv host = openHost();
    WorkerAttrIo io(host.root);
    const MdevHost mdevs(host.root, io);
    const Decision d = decide(xml->mdevHostdevs(), xml->metadata(), mdevs, host.config,
                              Deadline::after(host.config.timeout));
    if (json) {
        printDecisionJson(ctx.out, xml->name(), d);
    } else if (d.devices.empty()) {
        ctx.out << "domain " << xml->name() << " has no mdev hostdev: nothing to check\n";
    } else {
        printDecisionTable(ctx.out, d);
    }
    return d.compatible() ? 0 : 1;
}

const std::vector<Command>& commands() {
    static const std::vector<Command> table{
        {"annotate", "record this host's migration_version of a domain's mdevs in its metadata",
         kAnnotateHelp, cmdAnnotate},
        {"check", "show whether a domain's mdevs could migrate to this host", kCheckHelp, cmdCheck},
    };
    return table;
}

int runCli(CliContext& ctx, const std::vector<std::string>& args) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        if (args.size() >= 2 && args[0] == "help") {
            return runCli(ctx, {args[1], "--help"});
        }
        std::ostream& o = args.empty() ? ctx.err : ctx.out;
        o << kUsage;
        for (const auto& c : commands()) {
            o << "  " << c.name
              << std::string(12 - std::min<std::size_t>(11, std::string(c.name).size()), ' ')
              << c.summary << '\n';
        }
        o << kUsageTail;
        return args.empty() ? 2 : 0;
    }
    if (args[0] == "--version") {
        ctx.out << "mdev-migcheck " << MDEVMC_VERSION << '\n';
        return 0;
    }
    for (const auto& c : commands()) {
        if (args[0] == c.name) {
            return c.run(ctx, std::vector<std::string>(args.begin() + 1, args.end()));
        }
    }
    throw Fatal("mdev-migcheck: unknown command '" + args[0] +
                "' (run 'mdev-migcheck --help' for the list)");
}

} // namespace mdevmc
