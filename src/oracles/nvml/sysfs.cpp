#include "sysfs.hpp"

#include "args.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

namespace mdevmc::oracle::nvml {

namespace {

constexpr int kMaxSymlinks = 40;

class Fd {
public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    int get() const { return fd_; }

private:
    int fd_;
};

std::optional<std::string> readLink(int dirfd, const std::string& path) {
    char buf[4096];
    const ssize_t n = ::readlinkat(dirfd, path.c_str(), buf, sizeof(buf));
    if (n < 0 || static_cast<std::size_t>(n) >= sizeof(buf)) {
        return std::nullopt;
    }
    return std::string(buf, static_cast<std::size_t>(n));
}

std::string baseName(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string join(const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& p : parts) {
        out += out.empty() ? "" : "/";
        out += p;
    }
    return out.empty() ? "." : out;
}

// For kernels (or seccomp filters) without openat2: resolve `path` one
// component at a time, splicing in relative symlink targets and refusing
// absolute ones and any ".." above the root.
int openBeneathLexically(int rootfd, const std::string& path) {
    std::deque<std::string> todo;
    auto push = [&todo](const std::string& p, bool front) {
        std::vector<std::string> parts;
        std::size_t start = 0;
        while (start <= p.size()) {
            const auto end = std::min(p.find('/', start), p.size());
            parts.push_back(p.substr(start, end - start));
            start = end + 1;
        }
        if (front) {
            todo.insert(todo.begin(), parts.begin(), parts.end());
        } else {
            todo.insert(todo.end(), parts.begin(), parts.end());
        }
    };
    push(path, false);
    std::vector<std::string> done;
    int links = 0;
    while (!todo.empty()) {
        const std::string c = todo.front();
        todo.pop_front();
        if (c.empty() || c == ".") {
            continue;
        }
        if (c == "..") {
            if (done.empty()) {
                errno = EXDEV;
                return -1;
            }
            done.pop_back();
            continue;
        }
        done.push_back(c);
        char buf[4096];
        const ssize_t n = ::readlinkat(rootfd, join(done).c_str(), buf, sizeof(buf));
        if (n < 0) {
            if (errno == EINVAL) {
                continue; // not a symlink
            }
            return -1;
        }
        if (static_cast<std::size_t>(n) >= sizeof(buf) || ++links > kMaxSymlinks) {
            errno = ELOOP;
            return -1;
        }
        if (buf[0] == '/') {
            errno = EXDEV;
            return -1;
        }
        done.pop_back();
        push(std::string(buf, static_cast<std::size_t>(n)), true);
    }
    return ::openat(rootfd, join(done).c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

int openBeneath(int rootfd, const std::string& path) {
    open_how how{};
    how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    long fd = -1;
    // EAGAIN: the lookup raced with a rename; the kernel asks for a retry.
    for (int attempt = 0; attempt < 3; ++attempt) {
        fd = ::syscall(SYS_openat2, rootfd, path.c_str(), &how, sizeof(how));
        if (fd >= 0) {
            return static_cast<int>(fd);
        }
        if (errno != EAGAIN) {
            break;
        }
    }
    if (errno == ENOSYS || errno == EPERM) {
        return openBeneathLexically(rootfd, path);
    }
    return -1;
}

} // namespace

std::optional<ParentDevice> inspectParent(const std::string& root, const std::string& parent,
                                          std::string* error) {
    const Fd rootfd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (rootfd.get() < 0) {
        *error = "cannot open root '" + root + "': " + std::strerror(errno);
        return std::nullopt;
    }
    const std::string path = "sys/class/mdev_bus/" + parent;
    const Fd dev(openBeneath(rootfd.get(), path));
    if (dev.get() < 0) {
        const int err = errno;
        *error = "cannot resolve '" + path + "' beneath '" + root +
                 "': " + (err == EXDEV ? "it leads out of the root" : std::strerror(err));
        return std::nullopt;
    }
    ParentDevice p;
    if (auto driver = readLink(dev.get(), "driver")) {
        p.driver = baseName(*driver);
    }
    if (auto physfn = readLink(dev.get(), "physfn")) {
        const std::string name = baseName(*physfn);
        if (isValidName(name)) {
            p.physfn = name;
        }
    }
    return p;
}

} // namespace mdevmc::oracle::nvml
