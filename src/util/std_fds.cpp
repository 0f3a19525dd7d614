#include "util/std_fds.hpp"

#include <cerrno>
#include <fcntl.h>
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

} // namespace mdevmc
