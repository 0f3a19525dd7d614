// The recorder as the hook starts it: detached, and able to wait for the
// oracles it runs.
#include "fake_sysfs.hpp"
#include "hook/recorder_spawn.hpp"

#include <chrono>
#include <csignal>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace mdevmc;
using namespace mdevmc::test;

namespace {

// The "SigIgn:" mask of /proc/PID/status, as the spawned program saw it.
unsigned long long ignoredMask(const std::string& status) {
    const auto at = status.find("SigIgn:");
    if (at == std::string::npos) {
        return ~0ULL;
    }
    return std::stoull(status.substr(at + 7), nullptr, 16);
}

} // namespace

TEST(RecorderSpawn, RunsWithTheDefaultSigchld) {
    // A recorder that ignored SIGCHLD could not waitpid() its oracles.
    TempDir dir;
    const auto out = dir.path() / "status";
    const auto cli = dir.path() / "cli";
    // Not a shell script: a shell may change SIGCHLD for its own children.
    if (::access("/usr/bin/python3", X_OK) != 0) {
        GTEST_SKIP() << "no /usr/bin/python3";
    }
    writeFile(cli, "#!/usr/bin/python3\n"
                   "import os, sys\n"
                   "if sys.argv[1:] == ['annotate', '--wait', '--name=-vm one', '--', 'dom1']:\n"
                   "    open(sys.argv[0] + '.tmp', 'w').write(open('/proc/self/status').read())\n"
                   "    os.rename(sys.argv[0] + '.tmp', '" +
                       out.string() + "')\n");
    ASSERT_EQ(::chmod(cli.c_str(), 0755), 0);
    ASSERT_TRUE(spawnRecorder(cli.string(), "dom1", "-vm one"));
    for (int i = 0; i < 500 && !std::filesystem::exists(out); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const std::string status = readFile(out);
    ASSERT_NE(status, "") << "the spawned program did not run";
    EXPECT_EQ(ignoredMask(status) & (1ULL << (SIGCHLD - 1)), 0ULL) << status;
}
