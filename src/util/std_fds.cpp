#include "util/std_fds.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <utility>

namespace mdevmc {

bool ensureStdFds() {
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) >= 0 || errno != EBADF) {
            continue;
        }
        // The lowest free number is FD itself: the ones below are open.
        const int null = ::open("/dev/null", O_RDWR);
        if (null != fd) {
            if (null >= 0) {
                ::close(null);
            }
            return false;
        }
    }
    return true;
}

void closeAllBut(std::vector<int> keep) {
    std::sort(keep.begin(), keep.end());
    unsigned int from = 3;
    for (const int fd : keep) {
        if (fd < 0 || static_cast<unsigned int>(fd) < from) {
            continue;
        }
        if (static_cast<unsigned int>(fd) > from) {
            ::syscall(SYS_close_range, from, static_cast<unsigned int>(fd) - 1, 0U);
        }
        from = static_cast<unsigned int>(fd) + 1;
    }
    ::syscall(SYS_close_range, from, ~0U, 0U);
}

bool detachFromParent(pid_t parent, std::vector<int> keep) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) {
        return false;
    }
    const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0) {
        return false;
    }
    for (int fd = 0; fd <= 2; ++fd) {
        if (fd != null && std::find(keep.begin(), keep.end(), fd) == keep.end()) {
            ::dup2(null, fd);
        }
    }
    closeAllBut(std::move(keep)); // /dev/null too, once on 0-2
    return true;
}

} // namespace mdevmc
