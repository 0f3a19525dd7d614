// The mdev-migcheck command line: a table of subcommands.  Exit codes:
// 0 success / compatible, 1 refused / incompatible, 2 usage or input error.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace mdevmc {

struct CliContext {
    std::istream& in;
    std::ostream& out;
    std::ostream& err;
};

using CommandFn = int (*)(CliContext& ctx, const std::vector<std::string>& args);

struct Command {
    const char* name;
    const char* summary; // one line, for the command list
    const char* help;    // the full --help text
    CommandFn run;
};

// The subcommands (annotate, check, ...).
const std::vector<Command>& commands();

// Runs the command line ARGS (without argv[0]).  Throws Fatal on usage and
// input errors; main() reports it.
int runCli(CliContext& ctx, const std::vector<std::string>& args);

// Offline parts, usable on a domain XML file ("-" for standard input):
// annotate prints the XML with this host's versions in its metadata; check
// prints the destination's decision for it.
int annotateXmlFile(CliContext& ctx, const std::string& file);
int checkXmlFile(CliContext& ctx, const std::string& file, bool json);

// Reads FILE ("-": standard input), bounded to the largest domain XML.
std::string readInput(CliContext& ctx, const std::string& file);

} // namespace mdevmc
