#include "util/read_all.hpp"
#include "util/unique_fd.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <string>
#include <thread>
#include <unistd.h>

using namespace mdevmc;

namespace {

struct Pipe {
    Pipe() {
        int fds[2];
        EXPECT_EQ(::pipe(fds), 0);
        in.reset(fds[0]);
        out.reset(fds[1]);
    }
    UniqueFd in;
    UniqueFd out;
};

// The whole of S into FD, with the function under test below.
void put(int fd, const std::string& s) {
    ASSERT_TRUE(writeAll(fd, s));
}

} // namespace

TEST(ReadAllBounded, ReadsToTheEnd) {
    Pipe p;
    put(p.out.get(), "<domain/>");
    p.out.reset();
    const BoundedRead r = readAllBounded(p.in.get(), 100);
    EXPECT_EQ(r.data, "<domain/>");
    EXPECT_EQ(r.err, 0);
    EXPECT_FALSE(r.too_large);
}

TEST(ReadAllBounded, EmptyInput) {
    Pipe p;
    p.out.reset();
    const BoundedRead r = readAllBounded(p.in.get(), 100);
    EXPECT_EQ(r.data, "");
    EXPECT_EQ(r.err, 0);
    EXPECT_FALSE(r.too_large);
}

TEST(ReadAllBounded, ExactlyTheLimitIsAccepted) {
    Pipe p;
    put(p.out.get(), std::string(10, 'x'));
    p.out.reset();
    const BoundedRead r = readAllBounded(p.in.get(), 10);
    EXPECT_EQ(r.data.size(), 10U);
    EXPECT_FALSE(r.too_large);
}

TEST(ReadAllBounded, StopsOneBytePastTheLimit) {
    Pipe p;
    put(p.out.get(), std::string(10, 'x') + "yz-rest");
    const BoundedRead r = readAllBounded(p.in.get(), 10);
    EXPECT_TRUE(r.too_large);
    EXPECT_EQ(r.err, 0);
    EXPECT_EQ(r.data, std::string(10, 'x') + "y");
    // Nothing past LIMIT + 1 was consumed.
    char rest[16] = {};
    EXPECT_EQ(::read(p.in.get(), rest, sizeof rest), 6);
    EXPECT_STREQ(rest, "z-rest");
}

TEST(ReadAllBounded, DoesNotWaitForTheEndOfAnEndlessInput) {
    // The writer never closes its end: a bounded read returns all the same.
    // (What it leaves unread fits in the pipe, so the writer finishes.)
    Pipe p;
    std::thread writer([fd = p.out.get()] { put(fd, std::string(200000, 'a')); });
    const BoundedRead r = readAllBounded(p.in.get(), 150000);
    writer.join();
    EXPECT_TRUE(r.too_large);
    EXPECT_EQ(r.data.size(), 150001U);
}

TEST(ReadAllBounded, LargeInputInManyReads) {
    Pipe p;
    const std::string big(300000, 'b');
    std::thread writer([&] {
        put(p.out.get(), big);
        p.out.reset();
    });
    const BoundedRead r = readAllBounded(p.in.get(), 1000000);
    writer.join();
    EXPECT_FALSE(r.too_large);
    EXPECT_EQ(r.data, big);
}

TEST(ReadAllBounded, ReadsAFileInWholeAndBounded) {
    // A file tells how much is left of it (FIONREAD), as a pipe tells what
    // it holds.
    char path[] = "/tmp/mdevmc-read-all-XXXXXX";
    const UniqueFd fd(::mkstemp(path));
    ASSERT_TRUE(fd.valid());
    ::unlink(path);
    std::string text(100000, 'f');
    text[0] = '<';
    text.back() = '>';
    put(fd.get(), text);
    ASSERT_EQ(::lseek(fd.get(), 0, SEEK_SET), 0);
    const BoundedRead whole = readAllBounded(fd.get(), 200000);
    EXPECT_EQ(whole.data, text);
    EXPECT_FALSE(whole.too_large);
    ASSERT_EQ(::lseek(fd.get(), 1, SEEK_SET), 1);
    const BoundedRead cut = readAllBounded(fd.get(), 50000);
    EXPECT_TRUE(cut.too_large);
    EXPECT_EQ(cut.data, text.substr(1, 50001));
}

TEST(ReadAllBounded, ReadsWhatCannotTellItsSize) {
    // /dev/zero answers FIONREAD with an error: it is read a page at a time.
    const UniqueFd fd(::open("/dev/zero", O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(fd.valid());
    const BoundedRead r = readAllBounded(fd.get(), 10000);
    EXPECT_TRUE(r.too_large);
    EXPECT_EQ(r.data, std::string(10001, '\0'));
}

TEST(ReadAllBounded, ReportsAReadError) {
    const BoundedRead r = readAllBounded(-1, 10);
    EXPECT_EQ(r.err, EBADF);
    EXPECT_EQ(r.data, "");
    EXPECT_FALSE(r.too_large);
}

TEST(WriteAll, ReportsAFailedWrite) {
    Pipe p;
    p.in.reset(); // nobody reads: EPIPE (SIGPIPE ignored here)
    ::signal(SIGPIPE, SIG_IGN);
    EXPECT_FALSE(writeAll(p.out.get(), "x"));
    EXPECT_FALSE(writeAll(-1, "x"));
    EXPECT_TRUE(writeAll(-1, ""));
}
