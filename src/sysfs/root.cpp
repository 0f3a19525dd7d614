#include "sysfs/root.hpp"

#include "util/errno_name.hpp"
#include "util/unique_c_ptr.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace mdevmc {

namespace {

constexpr int kMaxLinks = 40;
constexpr int kBeneathRetries = 64;
// The most directories a Root keeps open (keepDirectories): the bus and
// parent directories of a check and its devices (the hook checks at most
// 256), well within the 1024 descriptors a process may have by default.
constexpr std::size_t kMaxKeptDirs = 320;

std::vector<std::string> splitPath(std::string_view p) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i <= p.size()) {
        const std::size_t j = std::min(p.find('/', i), p.size());
        if (j > i) {
            out.emplace_back(p.substr(i, j - i));
        }
        i = j + 1;
    }
    return out;
}

std::string joinAll(const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& p : parts) {
        if (!out.empty()) {
            out += '/';
        }
        out += p;
    }
    return out;
}

// openat2(2) has no glibc wrapper on Debian 12.
int sysOpenat2(int dirfd, const char* path, int flags, std::uint64_t extra_resolve = 0) {
    struct open_how how {};
    how.flags = static_cast<unsigned long long>(flags);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | extra_resolve;
    return static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

// sysOpenat2, again while the kernel answers EAGAIN: RESOLVE_BENEATH fails
// so when a rename or mount anywhere on the system races with a ".." in the
// path (relative sysfs links are full of them), and asks the caller to
// retry.  The descriptor, or -1 with errno set (EAGAIN if it kept racing).
int openat2Retrying(int dirfd, const char* path, int flags, std::uint64_t extra_resolve = 0) {
    int fd = -1;
    for (int attempt = 0; attempt < kBeneathRetries; ++attempt) {
        fd = sysOpenat2(dirfd, path, flags, extra_resolve);
        if (fd >= 0 || errno != EAGAIN) {
            break;
        }
    }
    return fd;
}

// Opens REL beneath DIRFD following no symlink at all; -1 on any failure.
int openNoSymlinks(int dirfd, const char* rel) {
    return openat2Retrying(dirfd, rel, O_PATH | O_DIRECTORY | O_CLOEXEC, RESOLVE_NO_SYMLINKS);
}
int openNoSymlinks(int dirfd, const std::string& rel) {
    return openNoSymlinks(dirfd, rel.c_str());
}

// One path component as a C string, on the stack: empty if it is longer
// than a name can be (no lookup of it can succeed).
using ComponentName = std::array<char, NAME_MAX + 1>;
bool toCName(std::string_view component, ComponentName& out) {
    if (component.size() >= out.size()) {
        return false;
    }
    std::memcpy(out.data(), component.data(), component.size());
    out[component.size()] = '\0';
    return true;
}

// True if REL is a plain relative path: no empty, "." or ".." component.
bool isPlainPath(std::string_view rel) {
    if (rel.empty() || rel.front() == '/' || rel.back() == '/') {
        return false;
    }
    for (std::size_t i = 0; i <= rel.size();) {
        const std::size_t j = std::min(rel.find('/', i), rel.size());
        const std::string_view c = rel.substr(i, j - i);
        if (c.empty() || c == "." || c == "..") {
            return false;
        }
        i = j + 1;
    }
    return true;
}

// PARENT (plain) joined with relative link TARGET, "." and ".." folded;
// nullopt if TARGET is absolute or climbs above the root.
std::optional<std::string> foldLink(std::string_view parent, std::string_view target) {
    if (target.empty() || target.front() == '/') {
        return std::nullopt;
    }
    std::string out;
    out.reserve(parent.size() + 1 + target.size());
    out = parent;
    for (std::size_t i = 0; i <= target.size();) {
        const std::size_t j = std::min(target.find('/', i), target.size());
        const std::string_view c = target.substr(i, j - i);
        i = j + 1;
        if (c.empty() || c == ".") {
            continue;
        }
        if (c == "..") {
            if (out.empty()) {
                return std::nullopt;
            }
            const auto slash = out.rfind('/');
            out.resize(slash == std::string::npos ? 0 : slash);
            continue;
        }
        if (!out.empty()) {
            out += '/';
        }
        out += c;
    }
    if (out.empty()) {
        return std::nullopt;
    }
    return out;
}

bool g_openat2_missing = false;

// Where descriptor FD is, as the kernel names it (/proc/self/fd/FD); nullopt
// when that is not an absolute path (no /proc, a deleted file).
std::optional<std::string> procPath(int fd) {
    const std::string link = "/proc/self/fd/" + std::to_string(fd);
    std::string buf(4096, '\0');
    const ssize_t n = ::readlink(link.c_str(), buf.data(), buf.size());
    if (n <= 0 || static_cast<std::size_t>(n) >= buf.size() || buf[0] != '/') {
        return std::nullopt;
    }
    buf.resize(static_cast<std::size_t>(n));
    if (buf.size() > 10 && buf.compare(buf.size() - 10, 10, " (deleted)") == 0) {
        return std::nullopt;
    }
    return buf;
}

} // namespace

std::string joinPaths(std::initializer_list<std::string_view> parts) {
    std::size_t size = 0;
    for (const auto p : parts) {
        size += p.size() + 1;
    }
    std::string out;
    out.reserve(size);
    for (auto p : parts) {
        if (out.empty() || p.empty()) {
            out += p;
            continue;
        }
        if (p.front() == '/') {
            p.remove_prefix(1);
        }
        if (out.back() != '/') {
            out += '/';
        }
        out += p;
    }
    return out;
}

std::string joinPath(std::string_view a, std::string_view b) {
    return joinPaths({a, b});
}

Result<Root> Root::open(const std::string& path) {
    if (path.empty() || path.front() != '/') {
        return fail("root directory '" + path + "' is not an absolute path", EINVAL);
    }
    UniqueFd fd(::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) {
        const int e = errno;
        return fail("cannot open root directory '" + path + "' (" + errnoPhrase(e) + ")", e);
    }
    std::string p = path;
    while (p.size() > 1 && p.back() == '/') {
        p.pop_back();
    }
    return Root(std::move(p), std::move(fd));
}

Result<Root> Root::fromEnvironment() {
    const char* env = ::getenv(kRootEnv);
    if (env == nullptr || *env == '\0') {
        return open("/");
    }
    auto r = open(env);
    if (!r) {
        return fail(std::string(kRootEnv) + ": " + r.error().message, r.error().err);
    }
    return r;
}

std::string Root::display(std::string_view rel) const {
    if (path_ == "/") {
        return "/" + std::string(rel);
    }
    return joinPath(path_, rel);
}

Result<UniqueFd> Root::open(std::string_view rel, int flags) const {
    const std::string r(rel.empty() ? "." : rel);
    flags |= O_CLOEXEC;
    if (!g_openat2_missing) {
        const int fd = openat2Retrying(fd_.get(), r.c_str(), flags);
        if (fd >= 0) {
            return UniqueFd(fd);
        }
        const int e = errno;
        if (e != ENOSYS && e != EAGAIN) {
            return fail("cannot open '" + display(r) + "' (" + errnoPhrase(e) + ")", e);
        }
        if (e == ENOSYS) {
            g_openat2_missing = true;
        }
    }
    // Kernels before 5.6, or openat2 kept racing: resolve with the beneath
    // walk, then open the canonical path without following anything.
    std::string canon;
    MDEVMC_TRY_ASSIGN(canon, resolve(r));
    const int fd = ::openat(fd_.get(), canon.empty() ? "." : canon.c_str(), flags | O_NOFOLLOW);
    if (fd < 0) {
        const int e = errno;
        return fail("cannot open '" + display(r) + "' (" + errnoPhrase(e) + ")", e);
    }
    return UniqueFd(fd);
}

Result<UniqueFd> Root::openAttribute(std::string_view rel, int flags) const {
    const auto slash = rel.rfind('/');
    const std::string_view dir = slash == std::string_view::npos ? "" : rel.substr(0, slash);
    const std::string base(slash == std::string_view::npos ? rel : rel.substr(slash + 1));
    if (base.empty() || base == "." || base == "..") {
        return fail("'" + display(rel) + "' does not name an attribute file", EINVAL);
    }
    // One openat2 where there is one: O_NOFOLLOW applies to the last
    // component only (ELOOP), the others are followed beneath the root.
    UniqueFd owned;
    int e = ENOSYS;
    if (!g_openat2_missing) {
        const std::string r(rel);
        const int fd = openat2Retrying(fd_.get(), r.c_str(), flags | O_NOFOLLOW | O_CLOEXEC);
        e = fd >= 0 ? 0 : errno;
        owned.reset(fd);
    }
    if (e == ENOSYS) {
        g_openat2_missing = true;
    }
    if (e != 0 && e != ENOSYS && e != EAGAIN) {
        return fail("cannot open '" + display(rel) + "' (" + errnoPhrase(e) + ")", e);
    }
    if (!owned.valid()) {
        // No openat2, or it kept racing: the directory beneath the root,
        // then the last component without following it.
        UniqueFd dirfd;
        MDEVMC_TRY_ASSIGN(dirfd, open(dir, O_PATH | O_DIRECTORY));
        owned.reset(::openat(dirfd.get(), base.c_str(), flags | O_NOFOLLOW | O_CLOEXEC));
        if (!owned.valid()) {
            const int err = errno;
            return fail("cannot open '" + display(rel) + "' (" + errnoPhrase(err) + ")", err);
        }
    }
    struct stat st {};
    if (::fstat(owned.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
        return fail("'" + display(rel) + "' is not a regular file", EINVAL);
    }
    return owned;
}

std::optional<std::string> Root::resolveFast(std::string_view rel) const {
    if (g_openat2_missing) {
        return std::nullopt;
    }
    const std::string r(rel.empty() ? "." : rel);
    const int fd = openat2Retrying(fd_.get(), r.c_str(), O_PATH | O_CLOEXEC);
    if (fd < 0) {
        return std::nullopt; // the walk says why
    }
    const UniqueFd owned(fd);
    const auto at = procPath(owned.get());
    if (!at) {
        return std::nullopt;
    }
    if (!canonical_) {
        canonical_ = procPath(fd_.get());
        if (!canonical_) {
            return std::nullopt;
        }
    }
    const std::string& base = *canonical_;
    if (*at == base) {
        return std::string();
    }
    const std::string prefix = base == "/" ? base : base + "/";
    if (at->compare(0, prefix.size(), prefix) != 0) {
        return std::nullopt; // moved, deleted, or another namespace's view
    }
    return at->substr(prefix.size());
}

Result<std::string> Root::pathOf(int fd, std::string_view rel) const {
    if (const auto at = procPath(fd)) {
        if (!canonical_) {
            canonical_ = procPath(fd_.get());
        }
        if (canonical_) {
            const std::string& base = *canonical_;
            if (*at == base) {
                return std::string();
            }
            const std::string prefix = base == "/" ? base : base + "/";
            if (at->compare(0, prefix.size(), prefix) == 0) {
                return at->substr(prefix.size());
            }
        }
    }
    return resolve(rel);
}

int Root::plainDir(std::string_view rel, UniqueFd& owned) const {
    if (rel.empty()) {
        return fd_.get();
    }
    if (const auto it = kept_.find(rel); it != kept_.end()) {
        return it->second.get();
    }
    std::string name(rel);
    UniqueFd fd(openNoSymlinks(fd_.get(), name));
    if (!fd.valid()) {
        return -1;
    }
    if (keep_dirs_ && kept_.size() < kMaxKeptDirs) {
        const int raw = fd.get();
        kept_.emplace(std::move(name), std::move(fd));
        return raw;
    }
    owned = std::move(fd);
    return owned.get();
}

void Root::keep(const std::string& rel, UniqueFd fd) const {
    if (keep_dirs_ && fd.valid() && kept_.size() < kMaxKeptDirs) {
        kept_.emplace(rel, std::move(fd)); // one already kept under REL stays
    }
}

int Root::kept(std::string_view rel) const {
    if (kept_.empty()) {
        return -1; // a root that keeps nothing: no name is built
    }
    const auto it = kept_.find(rel);
    return it == kept_.end() ? -1 : it->second.get();
}

void Root::keepDirectories(bool keep) {
    keep_dirs_ = keep;
    if (!keep) {
        kept_.clear();
    }
}

std::optional<Root::NamedDir> Root::openNamed(std::string_view rel) const {
    if (g_openat2_missing || !isPlainPath(rel)) {
        return std::nullopt;
    }
    const auto slash = rel.rfind('/');
    const std::string_view parent = slash == std::string_view::npos ? "" : rel.substr(0, slash);
    ComponentName base; // not cleared: filled by toCName
    if (!toCName(slash == std::string_view::npos ? rel : rel.substr(slash + 1), base)) {
        return std::nullopt;
    }
    // The parent, with no symlink on its path: the link is read there and
    // its target folded onto that name.
    UniqueFd owned;
    const int dirfd = plainDir(parent, owned);
    if (dirfd < 0) {
        return std::nullopt;
    }
    std::string name;
    std::array<char, 4096> buf; // not cleared: filled by readlinkat
    const ssize_t n = ::readlinkat(dirfd, base.data(), buf.data(), buf.size());
    if (n >= 0) {
        if (static_cast<std::size_t>(n) >= buf.size()) {
            return std::nullopt;
        }
        auto folded = foldLink(parent, std::string_view(buf.data(), static_cast<std::size_t>(n)));
        if (!folded) {
            return std::nullopt;
        }
        name = std::move(*folded);
    } else if (errno != EINVAL) { // EINVAL: not a link, REL names itself
        return std::nullopt;
    } else {
        name = rel;
    }
    UniqueFd fd;
    if (keep_dirs_) {
        // The last component opened in its kept parent.
        const auto cut = name.rfind('/');
        UniqueFd owned_parent;
        const std::string_view whole(name);
        const int at = plainDir(
            cut == std::string::npos ? std::string_view() : whole.substr(0, cut), owned_parent);
        ComponentName last; // not cleared: filled by toCName
        const bool named = toCName(cut == std::string::npos ? whole : whole.substr(cut + 1), last);
        fd.reset(at < 0 || !named ? -1 : openNoSymlinks(at, last.data()));
    } else {
        fd.reset(openNoSymlinks(fd_.get(), name));
    }
    if (!fd.valid()) {
        return std::nullopt;
    }
    return NamedDir{std::move(fd), std::move(name)};
}

Result<std::string> Root::resolve(std::string_view rel) const {
    if (auto fast = resolveFast(rel)) {
        return std::move(*fast);
    }
    std::vector<std::string> done;
    std::vector<std::string> todo = splitPath(rel);
    std::reverse(todo.begin(), todo.end()); // pop from the back
    int links = 0;
    while (!todo.empty()) {
        std::string c = std::move(todo.back());
        todo.pop_back();
        if (c == ".") {
            continue;
        }
        if (c == "..") {
            if (done.empty()) {
                return fail("'" + display(rel) + "' leads outside the root '" + path_ + "'", EXDEV);
            }
            done.pop_back();
            continue;
        }
        done.push_back(c);
        const std::string cur = joinAll(done);
        struct stat st {};
        if (::fstatat(fd_.get(), cur.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            const int e = errno;
            return fail("cannot resolve '" + display(rel) + "': '" + display(cur) + "' (" +
                            errnoPhrase(e) + ")",
                        e);
        }
        if (!S_ISLNK(st.st_mode)) {
            continue;
        }
        if (++links > kMaxLinks) {
            return fail("cannot resolve '" + display(rel) + "': too many levels of symbolic links",
                        ELOOP);
        }
        std::string target;
        MDEVMC_TRY_ASSIGN(target, readLink(cur));
        if (!target.empty() && target.front() == '/') {
            return fail("'" + display(cur) + "' is an absolute symlink to '" + target +
                            "', which is not followed beneath the root '" + path_ + "'",
                        EXDEV);
        }
        done.pop_back();
        auto parts = splitPath(target);
        for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
            todo.push_back(std::move(*it));
        }
    }
    return joinAll(done);
}

Result<std::string> Root::readLink(std::string_view rel) const {
    const std::string r(rel);
    std::array<char, 4096> buf; // not cleared: filled by readlinkat
    const ssize_t n = ::readlinkat(fd_.get(), r.c_str(), buf.data(), buf.size());
    if (n < 0) {
        const int e = errno;
        return fail("cannot read link '" + display(r) + "' (" + errnoPhrase(e) + ")", e);
    }
    if (static_cast<std::size_t>(n) >= buf.size()) {
        return fail("link '" + display(r) + "' is too long", ENAMETOOLONG);
    }
    return std::string(buf.data(), static_cast<std::size_t>(n));
}

Result<std::vector<std::string>> Root::list(std::string_view rel) const {
    UniqueFd fd;
    MDEVMC_TRY_ASSIGN(fd, open(rel, O_RDONLY | O_DIRECTORY));
    return listDirectory(std::move(fd), display(rel));
}

Result<std::vector<std::string>> listDirectory(UniqueFd fd, const std::string& shown) {
    const UniqueCPtr<DIR, ::closedir> dir(::fdopendir(fd.get()));
    if (!dir) {
        const int e = errno;
        return fail("cannot list '" + shown + "' (" + errnoPhrase(e) + ")", e);
    }
    fd.release(); // the DIR owns it now
    std::vector<std::string> names;
    errno = 0;
    while (const dirent* d = ::readdir(dir.get())) {
        const std::string_view n = d->d_name;
        if (n != "." && n != "..") {
            names.emplace_back(n);
        }
        errno = 0;
    }
    const int e = errno;
    if (e != 0) {
        return fail("cannot list '" + shown + "' (" + errnoPhrase(e) + ")", e);
    }
    std::sort(names.begin(), names.end());
    return names;
}

bool Root::exists(std::string_view rel) const {
    return resolve(rel).has_value();
}

} // namespace mdevmc
