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
    CommandFn run;
};

// Runs the command line ARGS (without argv[0]) against TABLE.  Throws
// Fatal on usage and input errors; main() reports it.
int runCli(CliContext& ctx, const std::vector<std::string>& args,
           const std::vector<Command>& table);

// Offline parts, on a domain XML file ("-" for standard input): annotate
// prints the XML with this host's versions in its metadata; check prints
// the destination's decision for it.
int annotateXmlFile(CliContext& ctx, const std::string& file);
int checkXmlFile(CliContext& ctx, const std::string& file, bool json);

// Reads FILE ("-": standard input), bounded to the largest domain XML.
std::string readInput(CliContext& ctx, const std::string& file);

} // namespace mdevmc
