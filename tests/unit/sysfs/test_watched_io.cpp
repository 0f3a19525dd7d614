#include "fake_sysfs.hpp"
#include "sysfs/watched_io.hpp"

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <gtest/gtest.h>
#include <vector>

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
    // A log in memory, as the hook shares one with each child.
    struct Log {
        explicit Log(std::size_t capacity = 65536)
            : bytes(capacity), log(bytes.data(), capacity, size) {}
        std::vector<char> bytes;
        std::atomic<std::uint64_t> size{0};
        AccessLog log;
        std::string_view text() const { return log.contents(); }
    };

    TempDir dir;
    std::optional<Root> root;
    AccessProgress progress;
};

TEST_F(WatchedIoTest, EachAccessIsStampedAndLogged) {
    Log log;
    WatchedAttrIo io(*root, progress, log.log, 0, false);
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

    const auto logged = readAccessLog(log.text(), 10);
    ASSERT_EQ(logged.size(), 3U);
    EXPECT_EQ(logged[0].request, (wire::Fields{"r", "sys/a"}));
    ASSERT_TRUE(logged[0].reply);
    EXPECT_EQ((*logged[0].reply)[1], "one\n");
    EXPECT_EQ(logged[1].request, (wire::Fields{"w", "sys/b", "2"}));
    EXPECT_EQ(readAccessLog(log.text(), 2).size(), 2U); // only what the watcher counted
    // Each entry is the frame wire::encode makes of it.
    const std::string first = wire::encode({"ok", "2", "r", "sys/a", "0", "one\n"});
    EXPECT_EQ(log.text().substr(0, first.size()), first);
}

// A child started after one was killed answers the logged accesses from the
// log (the write is not made again), times out the one the first was stuck
// in without making it, and makes the rest.
TEST_F(WatchedIoTest, ReplayAnswersLoggedAccessesAndTimesOutTheLateOne) {
    Log log;
    {
        WatchedAttrIo first(*root, progress, log.log, 0, false);
        EXPECT_EQ(first.read("sys/a", Deadline::after(5s)).data, "one\n");
        EXPECT_EQ(first.write("sys/b", "2", Deadline::after(5s)).written, 1U);
        EXPECT_EQ(first.read("sys/b", Deadline::after(5s)).data, "2wo\n"); // one write(2)
    }
    writeFile(dir.path() / "sys/a", "changed\n");
    writeFile(dir.path() / "sys/b", "untouched\n");

    // The watcher counted two: the third access's entry is dropped.
    AccessProgress again;
    WatchedAttrIo second(*root, again, log.log, 2, true);
    EXPECT_EQ(readAccessLog(log.text(), 10).size(), 2U);
    EXPECT_EQ(second.read("sys/a", Deadline::after(5s)).data, "one\n"); // from the log
    EXPECT_EQ(second.write("sys/b", "2", Deadline::after(5s)).written, 1U);
    EXPECT_EQ(readFile(dir.path() / "sys/b"), "untouched\n"); // not written again
    const AttrRead late = second.read("sys/b", Deadline::after(5s));
    EXPECT_TRUE(late.timed_out);
    EXPECT_EQ(second.replayed(), 3U);
    EXPECT_EQ(second.read("sys/a", Deadline::after(5s)).data, "changed\n"); // made
    EXPECT_EQ(again.done.load(), 4U);

    // The log holds all four, the late one as timed out, for a third child.
    const auto logged = readAccessLog(log.text(), 10);
    ASSERT_EQ(logged.size(), 4U);
    EXPECT_FALSE(logged[2].reply);
    EXPECT_TRUE(logged[3].reply);
}

// A child that asks for something else than the log holds at that place
// makes it, and every access after it: the log is never taken out of order,
// and from there holds what this child did.
TEST_F(WatchedIoTest, ReplayStopsAtTheFirstDifference) {
    Log log;
    {
        WatchedAttrIo first(*root, progress, log.log, 0, false);
        (void)first.read("sys/a", Deadline::after(5s));
        (void)first.read("sys/b", Deadline::after(5s));
    }
    writeFile(dir.path() / "sys/a", "changed\n");
    WatchedAttrIo second(*root, progress, log.log, 2, true);
    EXPECT_EQ(second.read("sys/b", Deadline::after(5s)).data, "two\n");
    EXPECT_EQ(second.read("sys/a", Deadline::after(5s)).data, "changed\n");
    EXPECT_FALSE(second.read("sys/a", Deadline::after(5s)).timed_out); // no longer replaying
    EXPECT_EQ(second.replayed(), 0U);
    const auto logged = readAccessLog(log.text(), 10);
    ASSERT_EQ(logged.size(), 3U);
    EXPECT_EQ(logged[0].request, (wire::Fields{"r", "sys/b"}));
    EXPECT_EQ((*logged[1].reply)[1], "changed\n");
}

TEST_F(WatchedIoTest, NothingIsMadePastTheDeadline) {
    Log log;
    WatchedAttrIo io(*root, progress, log.log, 0, false);
    EXPECT_TRUE(io.write("sys/a", "x", Deadline::after(0ms)).timed_out);
    EXPECT_EQ(readFile(dir.path() / "sys/a"), "one\n");
    EXPECT_EQ(progress.started.load(), 0U);
    EXPECT_TRUE(readAccessLog(log.text(), 10).empty());
}

// A log cut in the middle of an entry (a child killed while writing it)
// yields the whole entries before it; garbage yields none.
TEST_F(WatchedIoTest, CutLogYieldsItsWholeEntries) {
    Log log;
    {
        WatchedAttrIo io(*root, progress, log.log, 0, false);
        (void)io.read("sys/a", Deadline::after(5s));
        (void)io.read("sys/b", Deadline::after(5s));
    }
    const std::string_view whole = log.text();
    ASSERT_GT(whole.size(), 3U);
    std::size_t end = 0;
    EXPECT_EQ(readAccessLog(whole.substr(0, whole.size() - 3), 10, &end).size(), 1U);
    EXPECT_EQ(readAccessLog(whole.substr(0, end), 10).size(), 1U);
    EXPECT_TRUE(readAccessLog(std::string_view("\x08\0\0\0garbage!", 12), 10).empty());
}

// An entry that does not fit is not logged, and nothing after it is: the
// log stays a prefix of the accesses, and a later child makes the rest.
TEST_F(WatchedIoTest, FullLogStaysAPrefix) {
    writeFile(dir.path() / "sys/big", std::string(1000, 'x'));
    Log log(300);
    {
        WatchedAttrIo io(*root, progress, log.log, 0, false);
        (void)io.read("sys/a", Deadline::after(5s));
        (void)io.read("sys/big", Deadline::after(5s)); // does not fit
        (void)io.read("sys/b", Deadline::after(5s));   // would fit, but after a gap
        EXPECT_EQ(progress.done.load(), 3U);
    }
    const auto logged = readAccessLog(log.text(), 10);
    ASSERT_EQ(logged.size(), 1U);
    EXPECT_EQ(logged[0].request, (wire::Fields{"r", "sys/a"}));
    AccessProgress again;
    WatchedAttrIo second(*root, again, log.log, 3, true);
    EXPECT_EQ(second.read("sys/a", Deadline::after(5s)).data, "one\n");
    EXPECT_EQ(second.read("sys/big", Deadline::after(5s)).data.size(), 1000U); // made again
    EXPECT_EQ(second.replayed(), 1U);
}

// A device's lookup and the re-check of its links are made without their
// fields: the answers are those the fields would read back as, and each
// log entry the bytes call() writes for the same request and its reply.
TEST_F(WatchedIoTest, ProbesAnswerAndLogAsTheirFieldsDo) {
    const auto dev = dir.path() / "sys/devices/p/dev";
    std::filesystem::create_directories(dir.path() / "sys/devices/p/types/t1");
    writeFile(dev / "migration_version", "own\n");
    std::filesystem::create_directory_symlink("../types/t1", dev / "mdev_type");
    std::filesystem::create_directories(dir.path() / "sys/bus");
    std::filesystem::create_directory_symlink("../devices/p/dev", dir.path() / "sys/bus/dev");

    Log log;
    WatchedAttrIo io(*root, progress, log.log, 0, false);
    const std::vector<std::string> links{"mdev_type", "no_link"};
    const std::vector<std::string> files{"migration_version", "mdev_type", "absent"};
    const auto found = io.probeDir("sys/bus/dev", links, files, Deadline::after(5s));
    ASSERT_TRUE(found) << found.error().message;
    EXPECT_EQ(found->dir, "sys/devices/p/dev");
    ASSERT_EQ(found->links.size(), 2U);
    EXPECT_EQ(found->links[0].value(), "../types/t1");
    ASSERT_FALSE(found->links[1]);
    EXPECT_EQ(found->links[1].error().err, ENOENT);
    EXPECT_NE(found->links[1].error().message.find("no_link"), std::string::npos);
    EXPECT_EQ(found->files, (std::vector<int>{0, EINVAL, ENOENT}));
    const auto again = io.readLinksIn(found->dir, {"mdev_type"}, Deadline::after(5s));
    ASSERT_TRUE(again);
    EXPECT_EQ(again->dir, "");
    EXPECT_EQ(again->links.at(0).value(), "../types/t1");
    const auto missing = io.probeDir("sys/bus/none", links, files, Deadline::after(5s));
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().err, ENOENT);
    EXPECT_EQ(missing.error().virt_code, 0);
    EXPECT_EQ(progress.started.load(), 3U);
    EXPECT_EQ(progress.done.load(), 3U);

    Log expected;
    const std::vector<wire::Fields> requests{{"P", "sys/bus/dev", "2", "mdev_type", "no_link",
                                              "migration_version", "mdev_type", "absent"},
                                             {"p", "sys/devices/p/dev", "1", "mdev_type"},
                                             {"P", "sys/bus/none", "2", "mdev_type", "no_link",
                                              "migration_version", "mdev_type", "absent"}};
    for (const auto& r : requests) {
        expected.log.append(r, wire::serve(*root, r));
    }
    EXPECT_EQ(log.text(), expected.text());

    // A child after this one answers them from the log, as it would any
    // access: the directory is gone, and the replay still finds it.
    std::filesystem::remove(dir.path() / "sys/bus/dev");
    AccessProgress next;
    WatchedAttrIo second(*root, next, log.log, 3, false);
    const auto replayed = second.probeDir("sys/bus/dev", links, files, Deadline::after(5s));
    ASSERT_TRUE(replayed);
    EXPECT_EQ(replayed->dir, "sys/devices/p/dev");
    EXPECT_EQ(replayed->files, found->files);
    EXPECT_EQ(
        second.readLinksIn(found->dir, {"mdev_type"}, Deadline::after(5s))->links.at(0).value(),
        "../types/t1");
    EXPECT_EQ(second.replayed(), 2U);
    // Past the replay, made here: the link is gone now.
    EXPECT_EQ(second.probeDir("sys/bus/dev", links, files, Deadline::after(5s)).error().err,
              ENOENT);
    EXPECT_EQ(second.replayed(), 2U);
}

// Past its deadline a probe is not made, and not logged.
TEST_F(WatchedIoTest, NoProbeIsMadePastTheDeadline) {
    Log log;
    WatchedAttrIo io(*root, progress, log.log, 0, false);
    const auto r = io.probeDir("sys", {"x"}, {"a"}, Deadline::after(0ms));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().err, ETIMEDOUT);
    EXPECT_EQ(progress.started.load(), 0U);
    EXPECT_TRUE(log.text().empty());
}
