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
