#include "cli/cli.hpp"

#include "util/error.hpp"

#include <algorithm>
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
    "Run 'mdev-migcheck COMMAND --help' for a command's options, 'mdev-migcheck\n"
    "--version' (or -V) for the version of mdev-migcheck.\n"
    "\n"
    "Environment:\n"
    "  MDEV_MIGCHECK_ROOT    root holding sys/ and etc/ (default /), e.g. a simulated host\n"
    "  MDEV_MIGCHECK_CONFIG  configuration file (default "
    "ROOT/etc/mdev-migcheck/mdev-migcheck.conf)\n"
    "\n"
    "Exit status: 0 success or compatible, 1 refused or incompatible, 2 usage or input error.\n";

void printUsage(std::ostream& o, const std::vector<Command>& table) {
    o << kUsage;
    std::size_t width = 0;
    for (const auto& c : table) {
        width = std::max(width, std::string(c.name).size());
    }
    for (const auto& c : table) {
        const std::string name = c.name;
        o << "  " << name << std::string(width + 2 - name.size(), ' ') << c.summary << '\n';
    }
    o << kUsageTail;
}

// The names a command had before, accepted for one more release: the old
// name, the current one.
struct DeprecatedName {
    const char* old_name;
    const char* name;
};
constexpr DeprecatedName kDeprecated[] = {
    {"version", "migration-version"},
};

// NAME, or the current name of the deprecated NAME (said once on ERR).
std::string currentName(const std::string& name, std::ostream& err) {
    for (const auto& d : kDeprecated) {
        if (name == d.old_name) {
            err << "mdev-migcheck: '" << d.old_name << "' is deprecated, use '" << d.name
                << "' (and 'mdev-migcheck --version' for the tool's version)\n";
            return d.name;
        }
    }
    return name;
}

// MESSAGE with "mdev-migcheck COMMAND: " before each of its lines that
// does not start with "mdev-migcheck" already (or with a blank, as a
// continuation).
std::string prefixed(const std::string& command, const std::string& message) {
    const std::string prefix = "mdev-migcheck " + command + ": ";
    std::string out;
    std::size_t start = 0;
    while (start <= message.size()) {
        const std::size_t end = std::min(message.find('\n', start), message.size());
        const std::string line = message.substr(start, end - start);
        const bool has_prefix = line.rfind("mdev-migcheck", 0) == 0 || line.empty() ||
                                line[0] == ' ' || line[0] == '\t';
        out += (has_prefix ? "" : prefix) + line;
        if (end < message.size()) {
            out += '\n';
        }
        start = end + 1;
    }
    return out;
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
    if (args[0] == "--version" || args[0] == "-V") {
        ctx.out << "mdev-migcheck " << MDEVMC_VERSION << '\n';
        return 0;
    }
    const std::string name = currentName(args[0], ctx.err);
    for (const auto& c : table) {
        if (name != c.name) {
            continue;
        }
        const std::vector<std::string> rest(args.begin() + 1, args.end());
        if (wantsHelp(rest)) {
            ctx.out << c.help;
            return 0;
        }
        // Every error of a command names it, whichever layer made the
        // message (a file, the root, the configuration, a device).
        try {
            return c.run(ctx, Args(c.name, rest, c.options));
        } catch (const Fatal& e) {
            throw Fatal(prefixed(c.name, e.what()), e.exit_code());
        }
    }
    throw Fatal("mdev-migcheck: unknown command '" + args[0] +
                "' (run 'mdev-migcheck --help' for the list)");
}

} // namespace mdevmc::cli
