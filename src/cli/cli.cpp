#include "cli/cli.hpp"

#include "util/error.hpp"

#include <ostream>

#ifndef MDEVMC_VERSION
#define MDEVMC_VERSION "unknown"
#endif

namespace mdevmc::cli {

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

void printUsage(std::ostream& o, const std::vector<Command>& table) {
    o << kUsage;
    for (const auto& c : table) {
        const std::string name = c.name;
        o << "  " << name << std::string(name.size() < 10 ? 10 - name.size() : 1, ' ') << c.summary
          << '\n';
    }
    o << kUsageTail;
}

} // namespace

int runCli(CliContext& ctx, const std::vector<std::string>& args,
           const std::vector<Command>& table) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        if (args.size() >= 2 && args[0] == "help") {
            return runCli(ctx, {args[1], "--help"}, table);
        }
        printUsage(args.empty() ? ctx.err : ctx.out, table);
        return args.empty() ? 2 : 0;
    }
    if (args[0] == "--version") {
        ctx.out << "mdev-migcheck " << MDEVMC_VERSION << '\n';
        return 0;
    }
    for (const auto& c : table) {
        if (args[0] != c.name) {
            continue;
        }
        const std::vector<std::string> rest(args.begin() + 1, args.end());
        if (wantsHelp(rest)) {
            ctx.out << c.help;
            return 0;
        }
        return c.run(ctx, Args(c.name, rest, c.options));
    }
    throw Fatal("mdev-migcheck: unknown command '" + args[0] +
                "' (run 'mdev-migcheck --help' for the list)");
}

} // namespace mdevmc::cli
