#include "util/std_fds.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace mdevmc;

// In a child with stdout and stderr closed: both are /dev/null afterwards,
// so the next open takes a number above 2.
TEST(StdFds, ClosedStandardDescriptorsAreReopened) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        ::close(1);
        ::close(2);
        if (!ensureStdFds()) {
            ::_exit(10);
        }
        const int fd = ::open("/dev/null", O_RDONLY);
        ::_exit(fd > 2 && ::fcntl(1, F_GETFD) >= 0 && ::fcntl(2, F_GETFD) >= 0 ? 0 : 11);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(StdFds, OpenDescriptorsAreLeftAlone) {
    const int before = ::fcntl(1, F_GETFL);
    EXPECT_TRUE(ensureStdFds());
    EXPECT_EQ(::fcntl(1, F_GETFL), before);
}

// A detached child keeps only what it is told to: its standard streams are
// /dev/null (they were a pipe of the parent's here), every other descriptor
// is closed, and one that is kept still works.
TEST(StdFds, DetachedChildHoldsNothingOfItsParents) {
    int parents[2];
    int kept[2];
    ASSERT_EQ(::pipe(parents), 0);
    ASSERT_EQ(::pipe(kept), 0);
    const pid_t self = ::getpid();
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        ::dup2(parents[1], 1);
        if (!detachFromParent(self, {kept[1]})) {
            ::_exit(10);
        }
        const bool closed = ::fcntl(parents[0], F_GETFD) < 0 && ::fcntl(parents[1], F_GETFD) < 0 &&
                            ::fcntl(kept[0], F_GETFD) < 0;
        (void)!::write(1, "leak", 4); // to /dev/null, not the parent's pipe
        ::_exit(closed && ::write(kept[1], "ok", 2) == 2 ? 0 : 11);
    }
    ::close(parents[1]);
    ::close(kept[1]);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    char buf[8] = {};
    EXPECT_EQ(::read(kept[0], buf, sizeof buf), 2);
    EXPECT_EQ(::read(parents[0], buf, sizeof buf), 0); // nothing came, and no writer is left
    ::close(kept[0]);
    ::close(parents[0]);
}

// Told another parent than its own (its own is gone, say), a child does not
// go on.
TEST(StdFds, DetachFailsUnderAnotherParent) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        ::_exit(detachFromParent(::getpid(), {}) ? 10 : 0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
}
