// The preflight's child processes: input fed and output read through one
// poll loop, bounds, deadlines, failures to start.
#include "cli/preflight_transport.hpp"

#include <gtest/gtest.h>

using namespace mdevmc::cli;
using Status = ChildOutcome::Status;

namespace {

ChildJob sh(const std::string& script, std::string input = "", std::string group = "g") {
    return {{"/bin/sh", "-c", script}, std::move(input), std::move(group)};
}

} // namespace

TEST(PreflightTransport, InputAndOutputLargerThanAPipe) {
    std::string big(3U << 20, 'x');
    for (std::size_t i = 0; i < big.size(); i += 4097) {
        big[i] = '\n';
    }
    const auto o = runChildren({sh("cat; echo done >&2; exit 3", big)}, ChildLimits{});
    ASSERT_EQ(o.size(), 1U);
    EXPECT_EQ(o[0].status, Status::Exited);
    EXPECT_EQ(o[0].exit_code, 3);
    EXPECT_EQ(o[0].out.size(), big.size());
    EXPECT_TRUE(o[0].out == big);
    EXPECT_EQ(o[0].err_text, "done\n");
}

TEST(PreflightTransport, OutcomesInTheOrderOfTheJobs) {
    ChildLimits limits;
    limits.timeout = std::chrono::seconds(1);
    limits.max_out = 1000;
    limits.per_group = 1; // one at a time per group: still every job runs
    const auto o = runChildren(
        {
            sh("read line; echo \"got $line\"", "hello\n", "a"),
            sh("exit 0", std::string(1U << 20, 'y'), "a"), // never reads its input
            sh("yes", "", "b"),                            // more than max_out
            sh("sleep 600", "", "b"),                      // past the deadline
            sh("sleep 600 & exit 0", "", "c"),             // a child keeps the pipes
            sh("kill -9 $$", "", "c"),
            {{"/nonexistent/program"}, "", "d"},
        },
        limits);
    ASSERT_EQ(o.size(), 7U);
    EXPECT_EQ(o[0].status, Status::Exited);
    EXPECT_EQ(o[0].out, "got hello\n");
    EXPECT_EQ(o[1].status, Status::Exited);
    EXPECT_EQ(o[1].exit_code, 0);
    EXPECT_EQ(o[2].status, Status::TooLarge);
    EXPECT_EQ(o[2].out.size(), 1000U);
    EXPECT_EQ(describeOutcome(o[2], limits), "wrote more than 1000 bytes");
    EXPECT_EQ(o[3].status, Status::TimedOut);
    EXPECT_EQ(describeOutcome(o[3], limits), "did not finish within 1 s (timed out)");
    EXPECT_EQ(o[4].status, Status::TimedOut);
    EXPECT_EQ(o[5].status, Status::Signaled);
    EXPECT_EQ(o[5].signal, 9);
    EXPECT_EQ(o[6].status, Status::SpawnFailed);
    EXPECT_EQ(o[6].err, ENOENT);
    EXPECT_EQ(describeOutcome(o[6], limits),
              "could not be started: ENOENT: No such file or directory");
}
