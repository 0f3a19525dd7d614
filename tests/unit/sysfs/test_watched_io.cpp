#include "fake_sysfs.hpp"
#include "sysfs/watched_io.hpp"

#include <cerrno>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

using namespace mdevmc;
using mdevmc::test::readFile;
using mdevmc::test::TempDir;
using mdevmc::test::writeFile;
using namespace std::chrono_literals;

class WatchedIoTest : public ::testing::Test {
protected:
    void SetUp() override {
        writeFile(dir.path() / "sys/a", "one\n");
        writeFile(dir.path() / "sys/b", "two\n");
        auto r = Root::open(dir.path().string());
        ASSERT_TRUE(r);
        root.emplace(std::move(*r));
    }
    // A fresh log, as the hook gives each child.
    static UniqueFd memoryFile() { return UniqueFd(::memfd_create("log", MFD_CLOEXEC)); }

    TempDir dir;
    std::optional<Root> root;
    AccessProgress progress;
};

TEST_F(WatchedIoTest, EachAccessIsStampedAndLogged) {
    const UniqueFd log = memoryFile();
    WatchedAttrIo io(*root, progress, log.get(), {}, false);
    EXPECT_EQ(io.read("sys/a", Deadline::after(5s)).data, "one\n");
    EXPECT_EQ(progress.started.load(), 1U);
    EXPECT_EQ(progress.done.load(), 1U);
    // The stamped deadline is the access's own, in the future.
    const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         Deadline::Clock::now().time_since_epoch())
                         .count();
    EXPECT_GT(progress.deadline_ns.load(), now);
    EXPECT_EQ(io.write("sys/b", "2", Deadline::after(5s)).written, 1U);
    EXPECT_EQ(io.readLink("sys/none", Deadline::after(5s)).error().err, ENOENT);
    EXPECT_EQ(progress.done.load(), 3U);

    const auto logged = readAccessLog(log.get(), 10);
    ASSERT_EQ(logged.size(), 3U);
    EXPECT_EQ(logged[0].request, (wire::Fields{"r", "sys/a"}));
    ASSERT_TRUE(logged[0].reply);
    EXPECT_EQ((*logged[0].reply)[1], "one\n");
    EXPECT_EQ(logged[1].request, (wire::Fields{"w", "sys/b", "2"}));
    EXPECT_EQ(readAccessLog(log.get(), 2).size(), 2U); // only what the watcher counted
}

// A child started after one was killed answers the logged accesses from the
// log (the write is not made again), times out the one the first was stuck
// in without making it, and makes the rest.
TEST_F(WatchedIoTest, ReplayAnswersLoggedAccessesAndTimesOutTheLateOne) {
    const UniqueFd first_log = memoryFile();
    {
        WatchedAttrIo first(*root, progress, first_log.get(), {}, false);
        EXPECT_EQ(first.read("sys/a", Deadline::after(5s)).data, "one\n");
        EXPECT_EQ(first.write("sys/b", "2", Deadline::after(5s)).written, 1U);
    }
    writeFile(dir.path() / "sys/a", "changed\n");
    writeFile(dir.path() / "sys/b", "untouched\n");

    const UniqueFd second_log = memoryFile();
    AccessProgress again;
    WatchedAttrIo second(*root, again, second_log.get(), readAccessLog(first_log.get(), 2), true);
    EXPECT_EQ(second.read("sys/a", Deadline::after(5s)).data, "one\n"); // from the log
    EXPECT_EQ(second.write("sys/b", "2", Deadline::after(5s)).written, 1U);
    EXPECT_EQ(readFile(dir.path() / "sys/b"), "untouched\n"); // not written again
    const AttrRead late = second.read("sys/a", Deadline::after(5s));
    EXPECT_TRUE(late.timed_out);
    EXPECT_EQ(second.replayed(), 3U);
    EXPECT_EQ(second.read("sys/a", Deadline::after(5s)).data, "changed\n"); // made
    EXPECT_EQ(again.done.load(), 4U);

    // The second child's log holds all four, the late one as timed out, for
    // a third child.
    const auto logged = readAccessLog(second_log.get(), 10);
    ASSERT_EQ(logged.size(), 4U);
    EXPECT_FALSE(logged[2].reply);
    EXPECT_TRUE(logged[3].reply);
}

// A child that asks for something else than the log holds at that place
// makes it, and every access after it: the log is never taken out of order.
TEST_F(WatchedIoTest, ReplayStopsAtTheFirstDifference) {
    const UniqueFd first_log = memoryFile();
    {
        WatchedAttrIo first(*root, progress, first_log.get(), {}, false);
        (void)first.read("sys/a", Deadline::after(5s));
        (void)first.read("sys/b", Deadline::after(5s));
    }
    writeFile(dir.path() / "sys/a", "changed\n");
    const UniqueFd second_log = memoryFile();
    WatchedAttrIo second(*root, progress, second_log.get(), readAccessLog(first_log.get(), 2),
                         true);
    EXPECT_EQ(second.read("sys/b", Deadline::after(5s)).data, "two\n");
    EXPECT_EQ(second.read("sys/a", Deadline::after(5s)).data, "changed\n");
    EXPECT_FALSE(second.read("sys/a", Deadline::after(5s)).timed_out); // no longer replaying
    EXPECT_EQ(second.replayed(), 0U);
}

TEST_F(WatchedIoTest, NothingIsMadePastTheDeadline) {
    const UniqueFd log = memoryFile();
    WatchedAttrIo io(*root, progress, log.get(), {}, false);
    EXPECT_TRUE(io.write("sys/a", "x", Deadline::after(0ms)).timed_out);
    EXPECT_EQ(readFile(dir.path() / "sys/a"), "one\n");
    EXPECT_EQ(progress.started.load(), 0U);
    EXPECT_TRUE(readAccessLog(log.get(), 10).empty());
}

// A log cut in the middle of an entry (a child killed while writing it)
// yields the whole entries before it.
TEST_F(WatchedIoTest, CutLogYieldsItsWholeEntries) {
    const UniqueFd log = memoryFile();
    {
        WatchedAttrIo io(*root, progress, log.get(), {}, false);
        (void)io.read("sys/a", Deadline::after(5s));
        (void)io.read("sys/b", Deadline::after(5s));
    }
    const off_t size = ::lseek(log.get(), 0, SEEK_END);
    ASSERT_GT(size, 3);
    ASSERT_EQ(::ftruncate(log.get(), size - 3), 0);
    EXPECT_EQ(readAccessLog(log.get(), 10).size(), 1U);
    const UniqueFd junk = memoryFile();
    ASSERT_EQ(::write(junk.get(), "\x08\0\0\0garbage!", 12), 12);
    EXPECT_TRUE(readAccessLog(junk.get(), 10).empty());
}
