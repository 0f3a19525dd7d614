#include "cli/cli.hpp"

#include "check/decision.hpp"
#include "check/report.hpp"
#include "cli/cli_support.hpp"
#include "domain/domain_xml.hpp"
#include "mdev/host.hpp"
#include "sysfs/attr_io.hpp"
#include "util/errno_name.hpp"

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
    "Checks that a VM's mediated devices (mdev) can be live-migrated to a host:\n"
    "the vendor driver there must accept each device's migration_version from the\n"
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

std::string inputName(const std::string& file) {
    return file == "-" ? std::string("standard input") : "'" + file + "'";
}

DomainXml readDomainXml(CliContext& ctx, const std::string& file) {
    auto xml = DomainXml::parse(readInput(ctx, file));
    if (!xml) {
        throw Fatal(inputName(file) + ": " + xml.error().message);
    }
    return std::move(*xml);
}

} // namespace

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
    DomainXml xml = readDomainXml(ctx, file);
    HostEnv host = openHost();
    WorkerAttrIo io(host.root);
    const MdevHost mdevs(host.root, io);
    const Metadata m = recordVersions(xml.mdevHostdevs(), mdevs, hostName(),
                                      host.config.attr_timeout, Deadline::never());
    xml.setMetadata(m);
    ctx.out << xml.serialize();
    return 0;
}

int checkXmlFile(CliContext& ctx, const std::string& file, bool json) {
    DomainXml xml = readDomainXml(ctx, file);
    HostEnv host = openHost();
    WorkerAttrIo io(host.root);
    const MdevHost mdevs(host.root, io);
    const Decision d = decide(xml.mdevHostdevs(), xml.metadata(), mdevs, host.config,
                              Deadline::after(host.config.timeout));
    if (json) {
        printDecisionJson(ctx.out, xml.name(), d);
    } else if (d.devices.empty()) {
        ctx.out << "domain " << xml.name() << " has no mdev hostdev: nothing to check\n";
    } else {
        printDecisionTable(ctx.out, d);
    }
    return d.compatible() ? 0 : 1;
}

int runCli(CliContext& ctx, const std::vector<std::string>& args,
           const std::vector<Command>& table) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        if (args.size() >= 2 && args[0] == "help") {
            return runCli(ctx, {args[1], "--help"}, table);
        }
        std::ostream& o = args.empty() ? ctx.err : ctx.out;
        o << kUsage;
        for (const auto& c : table) {
            const std::string name = c.name;
            o << "  " << name << std::string(name.size() < 10 ? 10 - name.size() : 1, ' ')
              << c.summary << '\n';
        }
        o << kUsageTail;
        return args.empty() ? 2 : 0;
    }
    if (args[0] == "--version") {
        ctx.out << "mdev-migcheck " << MDEVMC_VERSION << '\n';
        return 0;
    }
    for (const auto& c : table) {
        if (args[0] == c.name) {
            return c.run(ctx, std::vector<std::string>(args.begin() + 1, args.end()));
        }
    }
    throw Fatal("mdev-migcheck: unknown command '" + args[0] +
                "' (run 'mdev-migcheck --help' for the list)");
}

} // namespace mdevmc
