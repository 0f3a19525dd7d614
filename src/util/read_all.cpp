#include "util/read_all.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <unistd.h>

namespace mdevmc {

BoundedRead readAllBounded(int fd, std::size_t limit) {
    // Read into a buffer on the stack and append what came: growing the
    // string first would zero-fill pages that the read then overwrites (a
    // third of the hook's page faults for a small document).
    std::array<char, 65536> chunk; // NOLINT(cppcoreguidelines-pro-type-member-init)
    BoundedRead out;
    // Reading one byte past LIMIT tells "exactly LIMIT" from "more".
    const std::size_t want = limit == static_cast<std::size_t>(-1) ? limit : limit + 1;
    while (out.data.size() < want) {
        const std::size_t ask = std::min(chunk.size(), want - out.data.size());
        const ssize_t n = ::read(fd, chunk.data(), ask);
        if (n > 0) {
            out.data.append(chunk.data(), static_cast<std::size_t>(n));
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
