#include "util/read_all.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <sys/ioctl.h>
#include <unistd.h>

namespace mdevmc {

BoundedRead readAllBounded(int fd, std::size_t limit) {
    // What FD already holds (FIONREAD: the bytes a pipe buffers, what is
    // left of a file) is read straight into the string, grown by that
    // much; the rest, when nothing is there yet or at the end, through a
    // page on the stack.  Each page of the document is so faulted in once:
    // a whole chunk on the stack would fault in as many pages again, and
    // growing the string by a chunk would zero-fill pages no byte reaches.
    std::array<char, 4096> small; // NOLINT(cppcoreguidelines-pro-type-member-init)
    BoundedRead out;
    // Reading one byte past LIMIT tells "exactly LIMIT" from "more".
    const std::size_t want = limit == static_cast<std::size_t>(-1) ? limit : limit + 1;
    while (out.data.size() < want) {
        const std::size_t room = want - out.data.size();
        int ready = 0;
        ssize_t n = 0;
        if (::ioctl(fd, FIONREAD, &ready) == 0 && ready > 0) {
            const std::size_t at = out.data.size();
            const std::size_t ask = std::min(static_cast<std::size_t>(ready), room);
            out.data.resize(at + ask);
            n = ::read(fd, out.data.data() + at, ask);
            out.data.resize(at + static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
        } else {
            n = ::read(fd, small.data(), std::min(small.size(), room));
            if (n > 0) {
                out.data.append(small.data(), static_cast<std::size_t>(n));
            }
        }
        if (n > 0) {
            continue;
        }
        if (n == 0) {
            return out;
        }
        if (errno != EINTR) {
            out.err = errno;
            return out;
        }
    }
    out.too_large = out.data.size() > limit;
    return out;
}

bool writeAll(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

} // namespace mdevmc
