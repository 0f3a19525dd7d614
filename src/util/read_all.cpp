#include "util/read_all.hpp"

#include <algorithm>
#include <cerrno>
#include <unistd.h>

namespace mdevmc {

BoundedRead readAllBounded(int fd, std::size_t limit) {
    constexpr std::size_t kChunk = 65536;
    BoundedRead out;
    // Reading one byte past LIMIT tells "exactly LIMIT" from "more".
    const std::size_t want = limit == static_cast<std::size_t>(-1) ? limit : limit + 1;
    while (out.data.size() < want) {
        const std::size_t have = out.data.size();
        const std::size_t ask = std::min(kChunk, want - have);
        out.data.resize(have + ask);
        const ssize_t n = ::read(fd, out.data.data() + have, ask);
        if (n > 0) {
            out.data.resize(have + static_cast<std::size_t>(n));
            continue;
        }
        out.data.resize(have);
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

} // namespace mdevmc
