// One read(2) or write(2) of a mounted attribute, as a driver client makes
// it: the count or the errno, for the mounted-tree tests.
#pragma once

#include <cerrno>
#include <fcntl.h>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace mdevsim::test {

struct Io {
    int err = 0;
    ssize_t n = 0;
    std::string data;
};

inline Io readAttr(const std::filesystem::path& p) {
    Io r;
    const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        r.err = errno;
        return r;
    }
    char buf[8192];
    r.n = ::read(fd, buf, sizeof buf);
    if (r.n < 0) {
        r.err = errno;
    } else {
        r.data.assign(buf, static_cast<std::size_t>(r.n));
    }
    ::close(fd);
    return r;
}

inline Io writeAttr(const std::filesystem::path& p, const std::string& data) {
    Io r;
    const int fd = ::open(p.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        r.err = errno;
        return r;
    }
    r.n = ::write(fd, data.data(), data.size());
    if (r.n < 0) {
        r.err = errno;
    }
    ::close(fd);
    return r;
}

} // namespace mdevsim::test
