// mdev-migcheck's vendor oracle for NVIDIA vGPU (protocol v1, see
// doc/oracle-protocol.md and doc/oracle-nvml.md).
//
// Exit status 2, with a message on standard error and nothing on standard
// output, when the arguments or the protocol version are invalid (a bug of
// the caller; mdev-migcheck reads it as "cannot tell"); otherwise 0 and one
// answer line.
#include "args.hpp"
#include "commands.hpp"
#include "deadline.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
    using namespace mdevmc::oracle::nvml;
    const char* protocol = std::getenv("MDEV_MIGCHECK_ORACLE_PROTOCOL");
    if (protocol != nullptr && std::strcmp(protocol, "1") != 0) {
        std::fprintf(stderr, "nvml: unsupported oracle protocol '%.16s' (this oracle speaks 1)\n",
                     protocol);
        return 2;
    }
    const ParsedArgs args = parseArgs(argc, argv);
    if (!args.request) {
        std::fprintf(stderr, "nvml: %s\n", args.error.c_str());
        return 2;
    }
    armDeadline(timerBudget(parseDeadline(std::getenv("MDEV_MIGCHECK_DEADLINE_MS"))));
    const char* root = std::getenv("MDEV_MIGCHECK_ROOT");
    run(*args.request, root != nullptr && *root != '\0' ? root : "/");
    return 0;
}
