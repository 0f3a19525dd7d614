// The command table of mdev-migcheck: the commands, in the order of the
// usage text.  Each is defined in cmd_<name>.cpp.
#include "cli/cli.hpp"

namespace mdevmc::cli {

const std::vector<Command>& commandTable() {
    static const std::vector<Command> table{
        annotateCommand(),         checkCommand(), listCommand(),
        migrationVersionCommand(), probeCommand(), preflightCommand(),
        doctorCommand(),           gcCommand(),    watchCommand(),
    };
    return table;
}

} // namespace mdevmc::cli
