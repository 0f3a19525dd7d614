#include "util/std_fds.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

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

} // namespace mdevmc
