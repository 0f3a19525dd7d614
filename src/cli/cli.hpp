// The mdev-migcheck command line: a table of commands, each in a file of
// its own (cmd_<name>.cpp: its help text, its options and its run
// function).  Exit codes: 0 success / compatible, 1 refused /
// incompatible, 2 usage or input error (Fatal).
#pragma once

#include "cli/args.hpp"

#include <iosfwd>
#include <string>
#include <vector>

namespace mdevmc::cli {

struct CliContext {
    std::istream& in;
    std::ostream& out;
    std::ostream& err;
};

struct Command {
    const char* name;
    const char* summary; // one line, for the command list
    const char* help;    // the text of 'mdev-migcheck NAME --help'
    std::vector<OptionSpec> options;
    int (*run)(CliContext& ctx, const Args& args);
};

// The commands (cmd_<name>.cpp).
Command annotateCommand();
Command checkCommand();
Command doctorCommand();
Command gcCommand();
Command listCommand();
Command migrationVersionCommand();
Command probeCommand();
Command preflightCommand();
Command watchCommand();

// Every mdev-migcheck command, in the order of the usage text
// (commands.cpp).
const std::vector<Command>& commandTable();

// Runs the command line ARGS (without argv[0]) against TABLE: usage,
// --help, --version, 'help COMMAND', then the command with its parsed
// options.  Throws Fatal on usage and input errors; main() reports it.
int runCli(CliContext& ctx, const std::vector<std::string>& args,
           const std::vector<Command>& table);

} // namespace mdevmc::cli
