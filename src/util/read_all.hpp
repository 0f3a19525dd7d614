// Reading a descriptor to its end within a bound, and writing all of a
// buffer.  Only the C library: the hook's front
// end uses them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mdevmc {

struct BoundedRead {
    std::string data;       // what was read: at most limit + 1 bytes
    int err = 0;            // the errno of a failed read(2) (data: what came before it)
    bool too_large = false; // there was more than LIMIT bytes; reading stopped there
};

// Reads FD until end of file, retrying on EINTR, but never more than
// LIMIT + 1 bytes: when the input is larger than LIMIT, returns with
// too_large set (and data holding limit + 1 bytes) instead of reading on.
BoundedRead readAllBounded(int fd, std::size_t limit);

// Writes all of DATA to FD, retrying on EINTR and after short writes; false
// if a write failed.
bool writeAll(int fd, std::string_view data);

} // namespace mdevmc
