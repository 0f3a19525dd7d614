#include "fake_sysfs.hpp"
#include "scripted_io.hpp"
#include "sysfs/attr_io.hpp"

#include <cerrno>
#include <filesystem>
#include <gtest/gtest.h>
#include <initializer_list>
#include <sys/stat.h>
#include <sys/wait.h>

using namespace mdevmc;
using mdevmc::test::readFile;
using mdevmc::test::TempDir;
using mdevmc::test::writeFile;
using namespace std::chrono_literals;

class AttrIoTest : public ::testing::Test {
protected:
    void SetUp() override {
        writeFile(dir.path() / "sys/attr", "hello\n");
        auto r = Root::open(dir.path().string());
        ASSERT_TRUE(r);
        root.emplace(std::move(*r));
    }
    TempDir dir;
    std::optional<Root> root;
};

TEST_F(AttrIoTest, DirectReadAndWrite) {
    DirectAttrIo io(*root);
    const AttrRead r = io.read("sys/attr", Deadline::never());
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.data, "hello\n");
    const AttrWrite w = io.write("sys/attr", "HELLO\n", Deadline::never());
    EXPECT_EQ(w.err, 0);
    EXPECT_EQ(w.written, 6U);
    EXPECT_EQ(readFile(dir.path() / "sys/attr"), "HELLO\n");
    EXPECT_EQ(io.read("sys/missing", Deadline::never()).err, ENOENT);
    EXPECT_EQ(io.write("sys/missing", "x", Deadline::never()).err, ENOENT);
}

TEST_F(AttrIoTest, DirectReadIsOnePage) {
    writeFile(dir.path() / "sys/big", std::string(10000, 'x'));
    DirectAttrIo io(*root);
    EXPECT_EQ(io.read("sys/big", Deadline::never()).data.size(), kAttrMax);
}

TEST_F(AttrIoTest, WorkerReadWrite) {
    WorkerAttrIo io(*root);
    const AttrRead r = io.read("sys/attr", Deadline::after(5s));
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.data, "hello\n");
    const AttrWrite w = io.write("sys/attr", "abc", Deadline::after(5s));
    EXPECT_EQ(w.err, 0);
    EXPECT_EQ(w.written, 3U);
    EXPECT_EQ(io.read("sys/none", Deadline::after(5s)).err, ENOENT);
    EXPECT_EQ(io.workersStarted(), 1);
}

TEST_F(AttrIoTest, LeftWorkerExitsOnItsOwn) {
    WorkerAttrIo io(*root);
    ASSERT_TRUE(io.read("sys/attr", Deadline::after(5s)).ok());
    const pid_t pid = io.workerPid();
    ASSERT_GT(pid, 0);
    io.leave();
    EXPECT_EQ(io.workerPid(), -1);
    // Not killed: it exits by itself, with status 0, on the closed socket.
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    // A later access starts a new worker.
    EXPECT_TRUE(io.read("sys/attr", Deadline::after(5s)).ok());
    EXPECT_EQ(io.workersStarted(), 2);
}

TEST_F(AttrIoTest, WorkerStaysBeneathTheRoot) {
    writeFile(dir.path() / "outside", "x");
    WorkerAttrIo io(*root);
    EXPECT_EQ(io.read("../outside", Deadline::after(5s)).err, EXDEV);
    EXPECT_EQ(io.write("../outside", "y", Deadline::after(5s)).err, EXDEV);
    EXPECT_EQ(readFile(dir.path() / "outside"), "x");
}

TEST_F(AttrIoTest, SymlinkedAttributeIsNeverFollowed) {
    writeFile(dir.path() / "sys/remove", "untouched");
    std::filesystem::create_symlink("remove", dir.path() / "sys/migration_version");
    for (const bool worker : {false, true}) {
        DirectAttrIo direct(*root);
        WorkerAttrIo bounded(*root);
        AttrIo& io = worker ? static_cast<AttrIo&>(bounded) : direct;
        EXPECT_EQ(io.write("sys/migration_version", "1\n", Deadline::after(5s)).err, ELOOP);
        EXPECT_EQ(io.read("sys/migration_version", Deadline::after(5s)).err, ELOOP);
    }
    EXPECT_EQ(readFile(dir.path() / "sys/remove"), "untouched");
}

TEST_F(AttrIoTest, DirectoryIsNotAnAttribute) {
    std::filesystem::create_directory(dir.path() / "sys/dir");
    DirectAttrIo io(*root);
    EXPECT_EQ(io.read("sys/dir", Deadline::never()).err, EINVAL);
    EXPECT_EQ(io.write("sys/dir", "x", Deadline::never()).err, EISDIR);
}

// A FIFO with no reader: open(O_WRONLY) blocks forever, like a store
// callback that never returns.
TEST_F(AttrIoTest, WorkerTimesOutAndRecovers) {
    ASSERT_EQ(::mkfifo((dir.path() / "sys/stuck").c_str(), 0600), 0);
    WorkerAttrIo io(*root);
    const AttrWrite w = io.write("sys/stuck", "data\n", Deadline::after(200ms));
    EXPECT_TRUE(w.timed_out);
    EXPECT_EQ(w.written, 0U);
    const AttrRead r = io.read("sys/attr", Deadline::after(5s));
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.data, "hello\n");
    EXPECT_EQ(io.workersStarted(), 2);
}

TEST_F(AttrIoTest, ExpiredDeadlineTouchesNothing) {
    WorkerAttrIo io(*root);
    const AttrWrite w = io.write("sys/attr", "changed", Deadline::after(0ms));
    EXPECT_TRUE(w.timed_out);
    EXPECT_EQ(readFile(dir.path() / "sys/attr"), "hello\n");
    EXPECT_EQ(io.workersStarted(), 0);
}

namespace {
std::size_t openFds() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
        ++n;
    }
    return n;
}
} // namespace

// The worker's socket is closed when a worker is dropped (timeout) and when
// the WorkerAttrIo goes; the worker's end never stays with the caller.
TEST_F(AttrIoTest, WorkerSocketsAreClosed) {
    ASSERT_EQ(::mkfifo((dir.path() / "sys/stuck").c_str(), 0600), 0);
    const std::size_t before = openFds();
    {
        WorkerAttrIo io(*root);
        EXPECT_TRUE(io.read("sys/attr", Deadline::after(5s)).ok());
        EXPECT_EQ(openFds(), before + 1); // one end of one socketpair
        EXPECT_TRUE(io.write("sys/stuck", "x", Deadline::after(100ms)).timed_out);
        EXPECT_EQ(openFds(), before);
        EXPECT_TRUE(io.read("sys/attr", Deadline::after(5s)).ok());
        EXPECT_EQ(openFds(), before + 1);
        EXPECT_EQ(io.workersStarted(), 2);
    }
    EXPECT_EQ(openFds(), before);
}

// Every lookup answers the same from the worker as from this process, errors
// included (message and errno).
TEST_F(AttrIoTest, WorkerLookupsAgreeWithDirect) {
    writeFile(dir.path() / "sys/devices/p/t/name", "x\n");
    writeFile(dir.path() / "sys/devices/p/own", "v\n");
    std::filesystem::create_directories(dir.path() / "sys/class");
    std::filesystem::create_directory_symlink("../devices/p", dir.path() / "sys/class/p");
    std::filesystem::create_directory_symlink("t", dir.path() / "sys/devices/p/type");
    std::filesystem::create_directory_symlink("/etc", dir.path() / "sys/class/abs");
    DirectAttrIo direct(*root);
    WorkerAttrIo worker(*root);
    const auto d = Deadline::after(5s);
    const auto same = [](const auto& a, const auto& b) {
        ASSERT_EQ(a.has_value(), b.has_value());
        if (!a) {
            EXPECT_EQ(a.error().message, b.error().message);
            EXPECT_EQ(a.error().err, b.error().err);
        }
    };
    for (const char* p : {"sys/class/p", "sys/class/p/type", "sys/class/abs", "sys/none", "..",
                          "sys/class/p/../../.."}) {
        const auto a = direct.resolve(p, d);
        const auto b = worker.resolve(p, d);
        same(a, b);
        if (a) {
            EXPECT_EQ(*a, *b) << p;
        }
    }
    EXPECT_EQ(*worker.resolve("sys/class/p/type", d), "sys/devices/p/t");
    EXPECT_EQ(*worker.readLink("sys/class/p", d), "../devices/p");
    same(direct.readLink("sys/attr", d), worker.readLink("sys/attr", d));
    EXPECT_EQ(*worker.list("sys/devices/p", d), (std::vector<std::string>{"own", "t", "type"}));
    same(direct.list("sys/nothing", d), worker.list("sys/nothing", d));
    EXPECT_TRUE(S_ISLNK(worker.stat("sys/class/p", false, d)->mode));
    EXPECT_TRUE(S_ISDIR(worker.stat("sys/class/p", true, d)->mode));
    auto probe = worker.probeDir("sys/class/p", {"type", "own"}, {"own", "t", "none"}, d);
    ASSERT_TRUE(probe) << probe.error().message;
    EXPECT_EQ(probe->dir, "sys/devices/p");
    ASSERT_EQ(probe->links.size(), 2U);
    EXPECT_EQ(*probe->links[0], "t");
    EXPECT_FALSE(probe->links[1]);
    EXPECT_EQ(probe->links[1].error().err, EINVAL);
    EXPECT_EQ(probe->files, (std::vector<int>{0, EINVAL, ENOENT}));
    EXPECT_EQ(*worker.readFile("sys/attr", 100, d), std::optional<std::string>("hello\n"));
    EXPECT_EQ(*worker.readFile("sys/none", 100, d), std::nullopt);
    EXPECT_EQ(worker.readFile("sys/attr", 3, d).error().err, EFBIG);
    EXPECT_EQ(worker.readFile("sys", 100, d).error().err, EINVAL);
    EXPECT_EQ(worker.workersStarted(), 1);
}

// A lookup that never returns (a FIFO's open stands in for a hung mount)
// costs only the worker: the caller is back at its deadline.
TEST_F(AttrIoTest, StuckLookupTimesOutInTheWorker) {
    ASSERT_EQ(::mkfifo((dir.path() / "sys/fifo").c_str(), 0600), 0);
    WorkerAttrIo io(*root);
    const auto start = std::chrono::steady_clock::now();
    // readFile opens without blocking: a FIFO is refused, never waited on.
    EXPECT_EQ(io.readFile("sys/fifo", 100, Deadline::after(5s)).error().err, EINVAL);
    // An attribute write to it blocks in open(2): the worker is abandoned.
    EXPECT_TRUE(io.write("sys/fifo", "x", Deadline::after(150ms)).timed_out);
    auto r = io.resolve("sys/attr", Deadline::after(5s));
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, "sys/attr");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
    EXPECT_EQ(io.workersStarted(), 2);
}

// A dropped worker is reaped, not left for init: once the WorkerAttrIo is
// gone, its worker is no child of this process any more.
TEST_F(AttrIoTest, WorkersAreReaped) {
    pid_t pid = -1;
    {
        WorkerAttrIo io(*root);
        EXPECT_TRUE(io.read("sys/attr", Deadline::after(5s)).ok());
        pid = io.workerPid();
        ASSERT_GT(pid, 0);
    }
    errno = 0;
    EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);
    EXPECT_EQ(errno, ECHILD);
}

// A batch is answered in order, as the single calls would answer.
TEST_F(AttrIoTest, WorkerBatchAnswersInOrder) {
    std::filesystem::create_directories(dir.path() / "sys/dev");
    std::filesystem::create_directory_symlink("../sys", dir.path() / "sys/dev/up");
    WorkerAttrIo io(*root);
    const auto replies =
        io.batch({IoRequest::read("sys/attr"), IoRequest::write("sys/attr", "world\n"),
                  IoRequest::read("sys/attr"), IoRequest::probe("sys/dev", {"up"}, {"none"}),
                  IoRequest::read("sys/missing")},
                 Deadline::after(5s), 1s);
    ASSERT_EQ(replies.size(), 5U);
    EXPECT_EQ(replies[0].read.data, "hello\n");
    EXPECT_EQ(replies[1].write.written, 6U);
    EXPECT_EQ(replies[2].read.data, "world\n");
    ASSERT_TRUE(replies[3].probe);
    EXPECT_EQ(replies[3].probe->dir, "sys/dev");
    EXPECT_EQ(*replies[3].probe->links.at(0), "../sys");
    EXPECT_EQ(replies[3].probe->files, std::vector<int>{ENOENT});
    EXPECT_EQ(replies[4].read.err, ENOENT);
    EXPECT_EQ(io.workersStarted(), 1);
}

// readLinksIn reads the links a probe reads, names no directory, checks no
// file, and stays beneath the root; every AttrIo answers it alike, alone or
// in a batch, and a prefetched one answers the call that matches it.
TEST_F(AttrIoTest, LinksAloneAreReadBeneathTheRoot) {
    std::filesystem::create_directories(dir.path() / "sys/devices/p");
    std::filesystem::create_directories(dir.path() / "sys/bus");
    std::filesystem::create_directory_symlink("../devices/p", dir.path() / "sys/bus/p");
    std::filesystem::create_directory_symlink("../../../..", dir.path() / "sys/bus/out");
    std::filesystem::create_directory_symlink("types/t", dir.path() / "sys/devices/p/type");
    DirectAttrIo direct(*root);
    WorkerAttrIo worker(*root);
    test::ScriptedAttrIo plain; // AttrIo's default: a whole probe, its path dropped
    plain.lookupsFrom(*root);
    const auto d = Deadline::after(5s);
    for (AttrIo* io : std::initializer_list<AttrIo*>{&direct, &worker, &plain}) {
        const auto r = io->readLinksIn("sys/bus/p", {"type", "none"}, d);
        ASSERT_TRUE(r) << r.error().message;
        EXPECT_EQ(r->dir, "");
        ASSERT_EQ(r->links.size(), 2U);
        EXPECT_EQ(*r->links[0], "types/t");
        ASSERT_FALSE(r->links[1]);
        EXPECT_EQ(r->links[1].error().err, ENOENT);
        EXPECT_TRUE(r->files.empty());
        EXPECT_EQ(io->readLinksIn("sys/bus/gone", {"type"}, d).error().err, ENOENT);
        EXPECT_FALSE(io->readLinksIn("sys/bus/out", {"type"}, d)); // leads outside
        const auto b = io->batch({IoRequest::linksIn("sys/bus/p", {"type"}),
                                  IoRequest::linksIn("sys/bus/gone", {"type"})},
                                 d, 1s);
        ASSERT_EQ(b.size(), 2U);
        ASSERT_TRUE(b[0].probe);
        EXPECT_EQ(*b[0].probe->links.at(0), "types/t");
        EXPECT_EQ(b[1].probe.error().err, ENOENT);
    }
    PrefetchedIo ahead(direct);
    ahead.prefetch({IoRequest::linksIn("sys/bus/p", {"type"})}, d, 1s);
    std::filesystem::remove(dir.path() / "sys/devices/p/type");
    EXPECT_EQ(*ahead.readLinksIn("sys/bus/p", {"type"}, d)->links.at(0), "types/t"); // ahead
    EXPECT_EQ(ahead.readLinksIn("sys/bus/p", {"type"}, d)->links.at(0).error().err, ENOENT);
    EXPECT_EQ(ahead.hits(), 1);
}

// One request of a batch that never returns costs its own bound and its
// worker; a new worker answers the rest.
TEST_F(AttrIoTest, WorkerBatchStuckRequestCostsOnlyItself) {
    ASSERT_EQ(::mkfifo((dir.path() / "sys/stuck").c_str(), 0600), 0);
    WorkerAttrIo io(*root);
    const auto replies =
        io.batch({IoRequest::read("sys/attr"), IoRequest::write("sys/stuck", "x"),
                  IoRequest::read("sys/attr"), IoRequest::probe("sys", {}, {"attr"})},
                 Deadline::after(5s), 150ms);
    ASSERT_EQ(replies.size(), 4U);
    EXPECT_TRUE(replies[0].read.ok());
    EXPECT_TRUE(replies[1].write.timed_out);
    EXPECT_TRUE(replies[2].read.ok());
    EXPECT_EQ(replies[2].read.data, "hello\n");
    ASSERT_TRUE(replies[3].probe);
    EXPECT_EQ(replies[3].probe->files, std::vector<int>{0});
    EXPECT_EQ(io.workersStarted(), 2);
}

// A prefetched reply answers one matching call; the next goes through.
TEST_F(AttrIoTest, PrefetchedRepliesAreTakenOnce) {
    DirectAttrIo direct(*root);
    PrefetchedIo io(direct);
    io.prefetch({IoRequest::read("sys/attr"), IoRequest::write("sys/attr", "ahead\n")},
                Deadline::after(5s), 1s);
    EXPECT_EQ(readFile(dir.path() / "sys/attr"), "ahead\n"); // made ahead
    writeFile(dir.path() / "sys/attr", "chang\n");
    EXPECT_EQ(io.read("sys/attr", Deadline::never()).data, "hello\n"); // prefetched
    EXPECT_EQ(io.read("sys/attr", Deadline::never()).data, "chang\n");
    EXPECT_EQ(io.write("sys/attr", "other\n", Deadline::never()).written, 6U); // no match
    EXPECT_EQ(io.write("sys/attr", "ahead\n", Deadline::never()).written, 6U); // prefetched
    EXPECT_EQ(readFile(dir.path() / "sys/attr"), "other\n");
    EXPECT_EQ(io.hits(), 2);

    // Several replies kept for one request are taken in the order added.
    for (const char* data : {"first", "second", "third"}) {
        IoReply r;
        r.read.data = data;
        io.add(IoRequest::read("sys/attr"), std::move(r));
    }
    EXPECT_EQ(io.read("sys/attr", Deadline::never()).data, "first");
    EXPECT_EQ(io.read("sys/attr", Deadline::never()).data, "second");
    EXPECT_EQ(io.read("sys/attr", Deadline::never()).data, "third");
    EXPECT_EQ(io.read("sys/attr", Deadline::never()).data, "other\n"); // the file again
    EXPECT_EQ(io.hits(), 5);

    // A reply kept for several calls answers that many, then the next.
    IoReply twice;
    twice.read.data = "kept";
    io.add(IoRequest::read("sys/attr"), std::move(twice), 2);
    IoReply after;
    after.read.data = "after";
    io.add(IoRequest::read("sys/attr"), std::move(after));
    io.add(IoRequest::read("sys/attr"), IoReply{}, 0); // kept for no call
    EXPECT_EQ(io.read("sys/attr", Deadline::never()).data, "kept");
    EXPECT_EQ(io.read("sys/attr", Deadline::never()).data, "kept");
    EXPECT_EQ(io.read("sys/attr", Deadline::never()).data, "after");
    EXPECT_EQ(io.read("sys/attr", Deadline::never()).data, "other\n");
    EXPECT_EQ(io.hits(), 8);
}

// Past the overall deadline a batch touches nothing.
TEST_F(AttrIoTest, ExpiredBatchTouchesNothing) {
    DirectAttrIo direct(*root);
    const auto replies =
        direct.batch({IoRequest::write("sys/attr", "x")}, Deadline::after(0ms), 1s);
    ASSERT_EQ(replies.size(), 1U);
    EXPECT_TRUE(replies[0].write.timed_out);
    EXPECT_EQ(readFile(dir.path() / "sys/attr"), "hello\n");
    WorkerAttrIo worker(*root);
    EXPECT_TRUE(
        worker.batch({IoRequest::read("sys/attr")}, Deadline::after(0ms), 1s)[0].read.timed_out);
    EXPECT_EQ(worker.workersStarted(), 0);
}

TEST_F(AttrIoTest, StateFilesAreReplacedAndRemovedBeneathTheRoot) {
    for (const bool worker : {false, true}) {
        DirectAttrIo direct(*root);
        WorkerAttrIo bounded(*root);
        AttrIo& io = worker ? static_cast<AttrIo&>(bounded) : direct;
        const auto path = dir.path() / "run/mdev-migcheck/incoming/n";
        ASSERT_TRUE(io.replaceFile("run/mdev-migcheck/incoming/n", "one\n", Deadline::after(5s)));
        EXPECT_EQ(readFile(path), "one\n");
        EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
                  std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
        EXPECT_EQ(std::filesystem::status(path.parent_path()).permissions() &
                      std::filesystem::perms::all,
                  std::filesystem::perms::owner_all);
        ASSERT_TRUE(io.replaceFile("run/mdev-migcheck/incoming/n", "two\n", Deadline::after(5s)));
        EXPECT_EQ(readFile(path), "two\n");
        // Nothing left beside it.
        EXPECT_EQ(std::distance(std::filesystem::directory_iterator(path.parent_path()),
                                std::filesystem::directory_iterator()),
                  1);
        ASSERT_TRUE(io.removeFile("run/mdev-migcheck/incoming/n", Deadline::after(5s)));
        EXPECT_FALSE(std::filesystem::exists(path));
        const auto again = io.removeFile("run/mdev-migcheck/incoming/n", Deadline::after(5s));
        ASSERT_FALSE(again);
        EXPECT_EQ(again.error().err, ENOENT);
        std::filesystem::remove_all(dir.path() / "run");
    }
}

TEST_F(AttrIoTest, StateFilesStayBeneathTheRootAndFollowNoLink) {
    writeFile(dir.path() / "outside", "x");
    writeFile(dir.path() / "target", "kept");
    std::filesystem::create_directories(dir.path() / "run");
    std::filesystem::create_symlink("../target", dir.path() / "run/link");
    for (const bool worker : {false, true}) {
        DirectAttrIo direct(*root);
        WorkerAttrIo bounded(*root);
        AttrIo& io = worker ? static_cast<AttrIo&>(bounded) : direct;
        EXPECT_EQ(io.replaceFile("../outside", "y", Deadline::after(5s)).error().err, EXDEV);
        EXPECT_EQ(io.removeFile("../outside", Deadline::after(5s)).error().err, EXDEV);
        EXPECT_EQ(io.replaceFile("run/..", "y", Deadline::after(5s)).error().err, EINVAL);
        EXPECT_EQ(io.replaceFile("/etc/passwd", "y", Deadline::after(5s)).error().err, EINVAL);
        // The link itself is replaced, never what it points to.
        ASSERT_TRUE(io.replaceFile("run/link", "new", Deadline::after(5s)));
        EXPECT_FALSE(std::filesystem::is_symlink(dir.path() / "run/link"));
        std::filesystem::remove(dir.path() / "run/link");
        std::filesystem::create_symlink("../target", dir.path() / "run/link");
    }
    EXPECT_EQ(readFile(dir.path() / "outside"), "x");
    EXPECT_EQ(readFile(dir.path() / "target"), "kept");
}

// While the root keeps directories, the directory a probe found stays open
// and readLinksIn of the name the probe gave it reads the links there: a
// directory removed since has none, even when another has been made under
// its name, which a root that keeps nothing reads.
TEST_F(AttrIoTest, LinksAreReadAgainInTheDirectoryAProbeFound) {
    const auto bus = dir.path() / "sys/bus/devices";
    const auto dev = dir.path() / "sys/devices/p/d";
    const auto make = [&](const char* type) {
        std::filesystem::create_directories(dev);
        std::filesystem::create_directory_symlink(type, dev / "type");
    };
    make("types/t");
    std::filesystem::create_directories(bus);
    std::filesystem::create_directory_symlink("../../devices/p/d", bus / "d");
    const auto d = Deadline::after(5s);
    const std::size_t before = openFds();
    root->keepDirectories(true);
    DirectAttrIo io(*root);
    const auto found = io.probeDir("sys/bus/devices/d", {"type"}, {}, d);
    ASSERT_TRUE(found) << found.error().message;
    ASSERT_EQ(found->dir, "sys/devices/p/d");
    EXPECT_GE(root->kept("sys/devices/p/d"), 0);
    EXPECT_EQ(*io.readLinksIn(found->dir, {"type"}, d)->links.at(0), "types/t");

    std::filesystem::remove_all(dev);
    make("types/other");
    const auto again = io.readLinksIn(found->dir, {"type"}, d);
    ASSERT_TRUE(again) << again.error().message;
    ASSERT_FALSE(again->links.at(0));
    EXPECT_EQ(again->links.at(0).error().err, ENOENT);

    root->keepDirectories(false);
    EXPECT_EQ(root->kept("sys/devices/p/d"), -1);
    EXPECT_EQ(openFds(), before);
    EXPECT_EQ(*io.readLinksIn(found->dir, {"type"}, d)->links.at(0), "types/other");
}
