#include "sysfs/attr_io.hpp"

#include "util/errno_name.hpp"
#include "util/std_fds.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <poll.h>
#include <span>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mdevmc {

namespace {

// "dir/base" split at its last slash.
std::pair<std::string, std::string> splitLast(std::string_view rel) {
    const auto slash = rel.rfind('/');
    if (slash == std::string_view::npos) {
        return {std::string(), std::string(rel)};
    }
    return {std::string(rel.substr(0, slash)), std::string(rel.substr(slash + 1))};
}

std::string displayPath(const Root& root, std::string_view path) {
    return !path.empty() && path.front() == '/' ? std::string(path) : root.display(path);
}

// Opens PATH: absolute as it is, else beneath the root.
Result<UniqueFd> openPath(const Root& root, std::string_view path, int flags) {
    if (!path.empty() && path.front() == '/') {
        const std::string p(path);
        UniqueFd fd(::open(p.c_str(), flags | O_CLOEXEC));
        if (!fd.valid()) {
            const int e = errno;
            return fail("cannot open '" + p + "' (" + errnoPhrase(e) + ")", e);
        }
        return fd;
    }
    return root.open(path, flags);
}

} // namespace

namespace direct {

AttrRead read(const Root& root, std::string_view rel) {
    AttrRead r;
    auto fd = root.openAttribute(rel, O_RDONLY);
    if (!fd) {
        r.err = fd.error().err != 0 ? fd.error().err : EIO;
        return r;
    }
    // Read on the stack: the value keeps its own size, not a page.
    std::array<char, kAttrMax> buf; // not cleared: filled by read
    ssize_t n;
    do {
        n = ::read(fd->get(), buf.data(), buf.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        r.err = errno;
        return r;
    }
    r.data.assign(buf.data(), static_cast<std::size_t>(n));
    return r;
}

AttrWrite write(const Root& root, std::string_view rel, std::string_view data) {
    AttrWrite w;
    auto fd = root.openAttribute(rel, O_WRONLY);
    if (!fd) {
        w.err = fd.error().err != 0 ? fd.error().err : EIO;
        return w;
    }
    // One write(2): sysfs hands the buffer to one store call.  No retry on
    // EINTR or a short count: either is the driver's answer.
    const ssize_t n = ::write(fd->get(), data.data(), data.size());
    if (n < 0) {
        w.err = errno;
        return w;
    }
    w.written = static_cast<std::size_t>(n);
    return w;
}

Result<std::vector<std::string>> list(const Root& root, std::string_view path) {
    if (path.empty() || path.front() != '/') {
        return root.list(path);
    }
    UniqueFd fd;
    MDEVMC_TRY_ASSIGN(fd, openPath(root, path, O_RDONLY | O_DIRECTORY | O_NONBLOCK));
    return listDirectory(std::move(fd), std::string(path));
}

Result<FileKind> stat(const Root& root, std::string_view rel, bool follow) {
    struct stat st {};
    if (follow) {
        UniqueFd fd;
        MDEVMC_TRY_ASSIGN(fd, root.open(rel, O_PATH));
        if (::fstat(fd.get(), &st) != 0) {
            const int e = errno;
            return fail("cannot stat '" + root.display(rel) + "' (" + errnoPhrase(e) + ")", e);
        }
        return FileKind{st.st_mode};
    }
    const auto [dir, base] = splitLast(rel);
    UniqueFd dirfd;
    MDEVMC_TRY_ASSIGN(dirfd, root.open(dir, O_PATH | O_DIRECTORY));
    if (::fstatat(dirfd.get(), base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        const int e = errno;
        return fail("cannot stat '" + root.display(rel) + "' (" + errnoPhrase(e) + ")", e);
    }
    return FileKind{st.st_mode};
}

namespace {

// Opens directory REL beneath the root; the walk says why it cannot.
Result<UniqueFd> openDir(const Root& root, std::string_view rel) {
    auto fd = root.open(rel, O_PATH | O_DIRECTORY);
    if (!fd) {
        MDEVMC_TRY(root.resolve(rel));
    }
    return fd;
}

// The targets of LINKS in directory DIRFD, named in messages as in SHOWN_DIR.
std::vector<Result<std::string>> readLinks(const Root& root, int dirfd, std::string_view shown_dir,
                                           std::span<const std::string> links) {
    std::vector<Result<std::string>> out;
    out.reserve(links.size());
    for (const auto& name : links) {
        std::array<char, 4096> buf; // not cleared: filled by readlinkat
        const ssize_t n = ::readlinkat(dirfd, name.c_str(), buf.data(), buf.size());
        if (n < 0) {
            const int e = errno;
            out.emplace_back(fail("cannot read link '" + root.display(joinPath(shown_dir, name)) +
                                      "' (" + errnoPhrase(e) + ")",
                                  e));
        } else if (static_cast<std::size_t>(n) >= buf.size()) {
            out.emplace_back(
                fail("link '" + root.display(joinPath(shown_dir, name)) + "' is too long",
                     ENAMETOOLONG));
        } else {
            out.emplace_back(std::string(buf.data(), static_cast<std::size_t>(n)));
        }
    }
    return out;
}

} // namespace

Result<DirProbe> probeDir(const Root& root, std::string_view rel,
                          std::span<const std::string> links, std::span<const std::string> files) {
    DirProbe p;
    p.files.reserve(files.size());
    UniqueFd dirfd;
    if (auto named = root.openNamed(rel)) {
        dirfd = std::move(named->fd);
        p.dir = std::move(named->path);
    } else {
        MDEVMC_TRY_ASSIGN(dirfd, openDir(root, rel));
        MDEVMC_TRY_ASSIGN(p.dir, root.pathOf(dirfd.get(), rel));
    }
    p.links = readLinks(root, dirfd.get(), p.dir, links);
    for (const auto& name : files) {
        struct stat st {};
        if (::fstatat(dirfd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            p.files.push_back(errno);
        } else {
            p.files.push_back(S_ISREG(st.st_mode) ? 0 : EINVAL);
        }
    }
    root.keep(p.dir, std::move(dirfd));
    return p;
}

Result<DirProbe> readLinksIn(const Root& root, std::string_view rel,
                             std::span<const std::string> links) {
    DirProbe p;
    if (const int at = root.kept(rel); at >= 0) {
        p.links = readLinks(root, at, rel, links);
        return p;
    }
    UniqueFd dirfd;
    MDEVMC_TRY_ASSIGN(dirfd, openDir(root, rel));
    p.links = readLinks(root, dirfd.get(), rel, links);
    return p;
}

Result<std::optional<std::string>> readFile(const Root& root, std::string_view path,
                                            std::size_t max) {
    const std::string shown = displayPath(root, path);
    auto fd = openPath(root, path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    if (!fd) {
        if (fd.error().err == ENOENT) {
            return std::optional<std::string>();
        }
        return Unexpected<Error>(fd.error());
    }
    struct stat st {};
    if (::fstat(fd->get(), &st) != 0 || !S_ISREG(st.st_mode)) {
        return fail("'" + shown + "' is not a regular file", EINVAL);
    }
    std::string data;
    std::string buf(8192, '\0');
    for (;;) {
        const ssize_t n = ::read(fd->get(), buf.data(), buf.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            const int e = errno;
            return fail("cannot read '" + shown + "' (" + errnoPhrase(e) + ")", e);
        }
        if (n == 0) {
            break;
        }
        data.append(buf.data(), static_cast<std::size_t>(n));
        if (data.size() > max) {
            return fail("'" + shown + "' is larger than " + std::to_string(max) + " bytes", EFBIG);
        }
    }
    return std::optional<std::string>(std::move(data));
}

namespace {

// The directory REL beneath the root, made (mode 0700) where it is missing.
Result<UniqueFd> openOrMakeDir(const Root& root, const std::string& rel) {
    auto fd = root.open(rel, O_RDONLY | O_DIRECTORY);
    if (fd || fd.error().err != ENOENT || rel.empty()) {
        return fd;
    }
    const auto [parent, name] = splitLast(rel);
    if (name.empty() || name == "." || name == "..") {
        return fd;
    }
    UniqueFd up;
    MDEVMC_TRY_ASSIGN(up, openOrMakeDir(root, parent));
    if (::mkdirat(up.get(), name.c_str(), 0700) != 0 && errno != EEXIST) {
        const int e = errno;
        return fail("cannot make '" + root.display(rel) + "' (" + errnoPhrase(e) + ")", e);
    }
    return root.open(rel, O_RDONLY | O_DIRECTORY);
}

// REL's directory, opened, and its last component, which must be a name.
Result<std::pair<UniqueFd, std::string>> stateEntry(const Root& root, std::string_view rel,
                                                    bool make) {
    auto [parent, name] = splitLast(rel);
    if (name.empty() || name == "." || name == ".." || (!rel.empty() && rel.front() == '/')) {
        return fail("'" + std::string(rel) + "' is not a file name beneath the root", EINVAL);
    }
    UniqueFd dir;
    if (make) {
        MDEVMC_TRY_ASSIGN(dir, openOrMakeDir(root, parent));
    } else {
        MDEVMC_TRY_ASSIGN(dir, root.open(parent, O_RDONLY | O_DIRECTORY));
    }
    return std::pair<UniqueFd, std::string>(std::move(dir), std::move(name));
}

} // namespace

Result<void> replaceFile(const Root& root, std::string_view rel, std::string_view data) {
    std::pair<UniqueFd, std::string> entry;
    MDEVMC_TRY_ASSIGN(entry, stateEntry(root, rel, true));
    const auto& [dir, name] = entry;
    const std::string shown = root.display(rel);
    const std::string tmp = "." + name + ".new." + std::to_string(::getpid());
    ::unlinkat(dir.get(), tmp.c_str(), 0);
    const UniqueFd fd(::openat(dir.get(), tmp.c_str(),
                               O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid()) {
        const int e = errno;
        return fail("cannot write '" + shown + "' (" + errnoPhrase(e) + ")", e);
    }
    std::size_t off = 0;
    while (off < data.size()) {
        const ssize_t n = ::write(fd.get(), data.data() + off, data.size() - off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            const int e = n < 0 ? errno : EIO;
            ::unlinkat(dir.get(), tmp.c_str(), 0);
            return fail("cannot write '" + shown + "' (" + errnoPhrase(e) + ")", e);
        }
        off += static_cast<std::size_t>(n);
    }
    if (::renameat(dir.get(), tmp.c_str(), dir.get(), name.c_str()) != 0) {
        const int e = errno;
        ::unlinkat(dir.get(), tmp.c_str(), 0);
        return fail("cannot write '" + shown + "' (" + errnoPhrase(e) + ")", e);
    }
    return {};
}

Result<void> removeFile(const Root& root, std::string_view rel) {
    std::pair<UniqueFd, std::string> entry;
    MDEVMC_TRY_ASSIGN(entry, stateEntry(root, rel, false));
    if (::unlinkat(entry.first.get(), entry.second.c_str(), 0) != 0) {
        const int e = errno;
        return fail("cannot remove '" + root.display(rel) + "' (" + errnoPhrase(e) + ")", e);
    }
    return {};
}

} // namespace direct

AttrRead DirectAttrIo::read(std::string_view rel, Deadline) {
    return direct::read(root_, rel);
}

AttrWrite DirectAttrIo::write(std::string_view rel, std::string_view data, Deadline) {
    return direct::write(root_, rel, data);
}

Result<std::string> DirectAttrIo::resolve(std::string_view rel, Deadline) {
    return root_.resolve(rel);
}

Result<std::string> DirectAttrIo::readLink(std::string_view rel, Deadline) {
    return root_.readLink(rel);
}

Result<std::vector<std::string>> DirectAttrIo::list(std::string_view path, Deadline) {
    return direct::list(root_, path);
}

Result<FileKind> DirectAttrIo::stat(std::string_view rel, bool follow, Deadline) {
    return direct::stat(root_, rel, follow);
}

Result<DirProbe> DirectAttrIo::probeDir(std::string_view rel, const std::vector<std::string>& links,
                                        const std::vector<std::string>& files, Deadline) {
    return direct::probeDir(root_, rel, links, files);
}

Result<DirProbe> DirectAttrIo::readLinksIn(std::string_view rel,
                                           const std::vector<std::string>& links, Deadline) {
    return direct::readLinksIn(root_, rel, links);
}

Result<std::optional<std::string>> DirectAttrIo::readFile(std::string_view path, std::size_t max,
                                                          Deadline) {
    return direct::readFile(root_, path, max);
}

Result<void> DirectAttrIo::replaceFile(std::string_view rel, std::string_view data, Deadline) {
    return direct::replaceFile(root_, rel, data);
}

Result<void> DirectAttrIo::removeFile(std::string_view rel, Deadline) {
    return direct::removeFile(root_, rel);
}

Result<DirProbe> AttrIo::readLinksIn(std::string_view rel, const std::vector<std::string>& links,
                                     Deadline deadline) {
    auto p = probeDir(rel, links, {}, deadline);
    if (p) {
        p->dir.clear();
    }
    return p;
}

std::vector<IoReply> AttrIo::batch(const std::vector<IoRequest>& requests, Deadline overall,
                                   std::chrono::milliseconds each) {
    std::vector<IoReply> out;
    out.reserve(requests.size());
    for (const auto& r : requests) {
        IoReply reply;
        const auto now = Deadline::Clock::now();
        if (now >= overall.when()) {
            // Past the deadline nothing is touched.
            reply.read.timed_out = true;
            reply.write.timed_out = true;
            reply.probe = fail("resolve '" + r.path + "' timed out", ETIMEDOUT);
            out.push_back(std::move(reply));
            continue;
        }
        const Deadline d = overall.capped(each, now);
        switch (r.op) {
        case IoRequest::Op::Read:
            reply.read = read(r.path, d);
            break;
        case IoRequest::Op::Write:
            reply.write = write(r.path, r.data, d);
            break;
        case IoRequest::Op::Probe:
            reply.probe = probeDir(r.path, r.links, r.files, d);
            break;
        case IoRequest::Op::Links:
            reply.probe = readLinksIn(r.path, r.links, d);
            break;
        }
        out.push_back(std::move(reply));
    }
    return out;
}

namespace {

// The key of a request in PrefetchedIo: its kind and every argument, each
// string after its length (so that no two requests share a key), built in
// K (cleared first, grown at most once).
void requestKey(std::string& k, IoRequest::Op op, std::string_view path, std::string_view data,
                std::span<const std::string> links, std::span<const std::string> files) {
    const auto length = [&k](std::size_t n) {
        std::array<char, sizeof n> b{};
        std::memcpy(b.data(), &n, sizeof n);
        k.append(b.data(), b.size());
    };
    std::size_t size = 1 + 4 * sizeof(std::size_t) + path.size() + data.size();
    for (const auto names : {links, files}) {
        for (const auto& n : names) {
            size += sizeof(std::size_t) + n.size();
        }
    }
    k.clear();
    k.reserve(size);
    k += static_cast<char>('0' + static_cast<int>(op));
    for (const std::string_view part : {path, data}) {
        length(part.size());
        k += part;
    }
    for (const auto names : {links, files}) {
        length(names.size());
        for (const auto& n : names) {
            length(n.size());
            k += n;
        }
    }
}

std::string requestKey(const IoRequest& r) {
    std::string k;
    requestKey(k, r.op, r.path, r.data, r.links, r.files);
    return k;
}

} // namespace

void PrefetchedIo::prefetch(const std::vector<IoRequest>& requests, Deadline overall,
                            std::chrono::milliseconds each) {
    if (requests.empty()) {
        return;
    }
    auto replies = inner_.batch(requests, overall, each);
    for (std::size_t i = 0; i < requests.size() && i < replies.size(); ++i) {
        add(requests[i], std::move(replies[i]));
    }
}

void PrefetchedIo::add(const IoRequest& request, IoReply reply, std::size_t uses) {
    if (uses > 0) {
        ready_[requestKey(request)].replies.push_back(Use{std::move(reply), uses});
    }
}

std::optional<IoReply> PrefetchedIo::take(IoRequest::Op op, std::string_view path,
                                          std::string_view data, std::span<const std::string> links,
                                          std::span<const std::string> files) {
    if (ready_.empty()) {
        return std::nullopt;
    }
    requestKey(key_, op, path, data, links, files);
    const auto it = ready_.find(key_);
    if (it == ready_.end()) {
        return std::nullopt;
    }
    Ready& ready = it->second;
    Use& use = ready.replies[ready.next];
    ++hits_;
    if (--use.uses > 0) {
        return use.reply; // a copy: more calls take it
    }
    IoReply r = std::move(use.reply);
    if (++ready.next == ready.replies.size()) {
        ready_.erase(it);
    }
    return r;
}

AttrRead PrefetchedIo::read(std::string_view rel, Deadline deadline) {
    if (auto r = take(IoRequest::Op::Read, rel, {}, {}, {})) {
        return std::move(r->read);
    }
    return inner_.read(rel, deadline);
}

AttrWrite PrefetchedIo::write(std::string_view rel, std::string_view data, Deadline deadline) {
    if (auto r = take(IoRequest::Op::Write, rel, data, {}, {})) {
        return r->write;
    }
    return inner_.write(rel, data, deadline);
}

Result<DirProbe> PrefetchedIo::probeDir(std::string_view rel, const std::vector<std::string>& links,
                                        const std::vector<std::string>& files, Deadline deadline) {
    if (auto r = take(IoRequest::Op::Probe, rel, {}, links, files)) {
        return std::move(r->probe);
    }
    return inner_.probeDir(rel, links, files, deadline);
}

Result<DirProbe> PrefetchedIo::readLinksIn(std::string_view rel,
                                           const std::vector<std::string>& links,
                                           Deadline deadline) {
    if (auto r = take(IoRequest::Op::Links, rel, {}, links, {})) {
        return std::move(r->probe);
    }
    return inner_.readLinksIn(rel, links, deadline);
}

// ---------------------------------------------------------------------------
// The worker.  Requests and replies are frames on a stream socket: a 32-bit
// length, then fields, each a 32-bit length and its bytes.  A request's
// first field is its operation; numbers travel as decimal text.

namespace {

using Fields = wire::Fields;

// The largest frame either side accepts: a listing or a file at their
// bound, with room for the framing.
constexpr std::size_t kMaxFrame = 2 * kListMax + 65536;

} // namespace

std::string wire::encode(const Fields& fields) {
    std::size_t size = 4;
    for (const auto& f : fields) {
        size += 4 + f.size();
    }
    std::string out;
    out.reserve(size + 4);
    const auto put32 = [&out](std::size_t v) {
        const auto u = static_cast<std::uint32_t>(v);
        out.append(reinterpret_cast<const char*>(&u), sizeof u);
    };
    put32(size);
    put32(fields.size());
    for (const auto& f : fields) {
        put32(f.size());
        out += f;
    }
    return out;
}

std::optional<Fields> wire::decode(std::string_view body) {
    const auto get32 = [&body](std::uint32_t& v) {
        if (body.size() < sizeof v) {
            return false;
        }
        std::memcpy(&v, body.data(), sizeof v);
        body.remove_prefix(sizeof v);
        return true;
    };
    std::uint32_t n = 0;
    if (!get32(n) || n > body.size() / 4 + 1) {
        return std::nullopt;
    }
    Fields out;
    out.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) {
        std::uint32_t len = 0;
        if (!get32(len) || len > body.size()) {
            return std::nullopt;
        }
        out.emplace_back(body.substr(0, len));
        body.remove_prefix(len);
    }
    if (!body.empty()) {
        return std::nullopt;
    }
    return out;
}

namespace {

using wire::decode;
using wire::encode;

std::string num(long long v) {
    return std::to_string(v);
}

long long toNum(std::string_view s) {
    long long v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
}

bool writeAll(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
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

} // namespace

// Frames taken from a byte stream: what one recv(2) brings may hold several
// frames, or part of one.
class FrameBuffer {
public:
    void append(const char* p, std::size_t n) { data_.append(p, n); }
    void clear() {
        data_.clear();
        at_ = 0;
    }
    // The next whole frame's body; nullopt if it is not all in yet.  BAD is
    // set for a frame larger than kMaxFrame.
    std::optional<std::string> next(bool& bad) {
        bad = false;
        std::uint32_t size = 0;
        if (data_.size() - at_ < sizeof size) {
            compact();
            return std::nullopt;
        }
        std::memcpy(&size, data_.data() + at_, sizeof size);
        if (size > kMaxFrame) {
            bad = true;
            return std::nullopt;
        }
        if (data_.size() - at_ - sizeof size < size) {
            compact();
            return std::nullopt;
        }
        std::string body = data_.substr(at_ + sizeof size, size);
        at_ += sizeof size + size;
        return body;
    }

private:
    void compact() {
        data_.erase(0, at_);
        at_ = 0;
    }
    std::string data_;
    std::size_t at_ = 0;
};

namespace {

// Reads the next frame's body from FD (blocking: the worker's side).
std::optional<std::string> readFrame(int fd, FrameBuffer& in) {
    for (;;) {
        bool bad = false;
        if (auto body = in.next(bad)) {
            return body;
        }
        if (bad) {
            return std::nullopt;
        }
        char buf[65536];
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return std::nullopt;
        }
        in.append(buf, static_cast<std::size_t>(n));
    }
}

// A failed Result as fields: errno, message.
template <typename T>
void putError(Fields& out, const Result<T>& r) {
    out.push_back(num(r ? 0 : (r.error().err != 0 ? r.error().err : EIO)));
    out.push_back(r ? std::string() : r.error().message);
}

Fields malformed() {
    return {num(EINVAL), "malformed request"};
}

Fields serveList(const Root& root, std::string_view path) {
    Fields out;
    const auto r = direct::list(root, path);
    putError(out, r);
    std::size_t total = 0;
    for (const auto& n : r ? *r : std::vector<std::string>{}) {
        total += n.size() + 4;
        if (total > kListMax) {
            return {num(E2BIG), "'" + displayPath(root, path) + "' has too many entries"};
        }
        out.push_back(n);
    }
    return out;
}

Fields serveProbe(const Root& root, const Fields& req) {
    const auto nlinks = static_cast<std::size_t>(toNum(req[2]));
    if (nlinks > req.size() - 3) {
        return malformed();
    }
    const std::span<const std::string> all(req);
    const auto links = all.subspan(3, nlinks);
    const auto files = all.subspan(3 + nlinks);
    auto r = req[0] == "p" ? direct::readLinksIn(root, req[1], links)
                           : direct::probeDir(root, req[1], links, files);
    Fields out;
    out.reserve(r ? 3 + 3 * r->links.size() + r->files.size() : 2);
    putError(out, r);
    if (!r) {
        return out;
    }
    out.push_back(std::move(r->dir));
    for (auto& l : r->links) {
        putError(out, l);
        out.push_back(l ? std::move(*l) : std::string());
    }
    for (const int e : r->files) {
        out.push_back(num(e));
    }
    return out;
}

} // namespace

// One request, by its operation (see FramedAttrIo's methods for the fields).
Fields wire::serve(const Root& root, const Fields& req) {
    const std::string& op = req[0];
    const std::string_view path = req.size() > 1 ? std::string_view(req[1]) : std::string_view();
    Fields out;
    if (op == "r") {
        AttrRead r = direct::read(root, path);
        out = {num(r.err), std::move(r.data)};
    } else if (op == "w" && req.size() == 3) {
        const AttrWrite w = direct::write(root, path, req[2]);
        out = {num(w.err), num(static_cast<long long>(w.written))};
    } else if (op == "R" || op == "L") {
        const auto r = op == "R" ? root.resolve(path) : root.readLink(path);
        putError(out, r);
        out.push_back(r ? *r : std::string());
    } else if (op == "D") {
        out = serveList(root, path);
    } else if (op == "S" && req.size() == 3) {
        const auto r = direct::stat(root, path, req[2] == "1");
        putError(out, r);
        out.push_back(num(r ? r->mode : 0));
    } else if ((op == "P" || op == "p") && req.size() >= 3) {
        out = serveProbe(root, req);
    } else if (op == "F" && req.size() == 3) {
        const auto r = direct::readFile(root, path, static_cast<std::size_t>(toNum(req[2])));
        putError(out, r);
        out.push_back(r && *r ? "1" : "0");
        out.push_back(r && *r ? **r : std::string());
    } else if ((op == "N" && req.size() == 3) || (op == "U" && req.size() == 2)) {
        putError(out, op == "N" ? direct::replaceFile(root, path, req[2])
                                : direct::removeFile(root, path));
    } else {
        out = malformed();
    }
    return out;
}

namespace {

[[noreturn]] void workerMain(const Root& root, int sock) {
    FrameBuffer in;
    for (;;) {
        const auto frame = readFrame(sock, in);
        if (!frame) {
            ::_exit(0);
        }
        const auto req = decode(*frame);
        if (!req || req->empty()) {
            ::_exit(1);
        }
        if (!writeAll(sock, encode(wire::serve(root, *req)))) {
            ::_exit(1);
        }
    }
}

// An error from a reply's errno and message fields.
Error replyError(const Fields& r, std::size_t at) {
    const int e = static_cast<int>(toNum(r[at]));
    return Error{r[at + 1], e != 0 ? e : EIO, 0};
}

// A lookup the worker did not answer: timed out, or ERR.
Unexpected<Error> lookupFailed(const Root& root, std::string_view what, std::string_view path,
                               bool timed_out, int err) {
    const std::string shown = displayPath(root, path);
    if (timed_out) {
        return fail(std::string(what) + " '" + shown + "' timed out", ETIMEDOUT);
    }
    return fail("cannot " + std::string(what) + " '" + shown + "' (" + errnoPhrase(err) + ")", err);
}

// The fields of a probe (OP "P") or a link read ("p") of PATH.
Fields probeFields(const char* op, std::string_view path, std::span<const std::string> links,
                   std::span<const std::string> files) {
    Fields req;
    req.reserve(3 + links.size() + files.size());
    req.emplace_back(op);
    req.emplace_back(path);
    req.push_back(num(static_cast<long long>(links.size())));
    req.insert(req.end(), links.begin(), links.end());
    req.insert(req.end(), files.begin(), files.end());
    return req;
}

Fields requestFields(const IoRequest& r) {
    switch (r.op) {
    case IoRequest::Op::Read:
        return {"r", r.path};
    case IoRequest::Op::Write:
        return {"w", r.path, r.data};
    case IoRequest::Op::Probe:
    case IoRequest::Op::Links:
        break;
    }
    return probeFields(r.op == IoRequest::Op::Probe ? "P" : "p", r.path, r.links, r.files);
}

AttrRead readReply(std::optional<Fields> r, bool timed_out, int err) {
    AttrRead out;
    out.err = err;
    out.timed_out = timed_out;
    out.not_made = !r && !timed_out;
    if (r) {
        out.err = static_cast<int>(toNum((*r)[0]));
        out.data = std::move((*r)[1]);
    }
    return out;
}

AttrWrite writeReply(const std::optional<Fields>& r, bool timed_out, int err) {
    AttrWrite out;
    out.err = err;
    out.timed_out = timed_out;
    out.not_made = !r && !timed_out;
    if (r) {
        out.err = static_cast<int>(toNum((*r)[0]));
        out.written = static_cast<std::size_t>(toNum((*r)[1]));
    }
    return out;
}

// A probe's reply, to a probe of PATH for NLINKS links and NFILES files.
Result<DirProbe> probeReply(const Root& root, std::optional<Fields> r, bool timed_out, int err,
                            std::string_view path, std::size_t nlinks, std::size_t nfiles) {
    if (!r) {
        return lookupFailed(root, "resolve", path, timed_out, err);
    }
    if (toNum((*r)[0]) != 0) {
        return Unexpected<Error>(replyError(*r, 0));
    }
    if (r->size() != 3 + 3 * nlinks + nfiles) {
        return lookupFailed(root, "resolve", path, false, EIO);
    }
    DirProbe p;
    p.dir = std::move((*r)[2]);
    p.links.reserve(nlinks);
    p.files.reserve(nfiles);
    std::size_t at = 3;
    for (std::size_t i = 0; i < nlinks; ++i, at += 3) {
        if (toNum((*r)[at]) != 0) {
            p.links.emplace_back(Unexpected<Error>(replyError(*r, at)));
        } else {
            p.links.emplace_back(std::move((*r)[at + 2]));
        }
    }
    for (std::size_t i = 0; i < nfiles; ++i, ++at) {
        p.files.push_back(static_cast<int>(toNum((*r)[at])));
    }
    return p;
}

IoReply toReply(const Root& root, const IoRequest& req, std::optional<Fields> r, bool timed_out,
                int err) {
    IoReply out;
    switch (req.op) {
    case IoRequest::Op::Read:
        out.read = readReply(std::move(r), timed_out, err);
        break;
    case IoRequest::Op::Write:
        out.write = writeReply(r, timed_out, err);
        break;
    case IoRequest::Op::Probe:
    case IoRequest::Op::Links:
        out.probe = probeReply(root, std::move(r), timed_out, err, req.path, req.links.size(),
                               req.files.size());
        break;
    }
    return out;
}

// Reaps the killed worker PID if it dies within kReapWait; one stuck in the
// kernel (an uninterruptible store) is left to init rather than waited for.
// A pidfd wakes this process when the worker is gone; without one (before
// Linux 5.3), it looks a few times.
void reapBriefly(pid_t pid) {
    constexpr int kReapWaitMs = 20;
    const UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (pidfd.valid()) {
        pollfd p{pidfd.get(), POLLIN, 0};
        while (::poll(&p, 1, kReapWaitMs) < 0 && errno == EINTR) {
        }
        ::waitpid(pid, nullptr, WNOHANG);
        return;
    }
    for (int i = 0; i < 20 && ::waitpid(pid, nullptr, WNOHANG) == 0; ++i) {
        ::usleep(kReapWaitMs * 1000 / 20);
    }
}

} // namespace

WorkerAttrIo::WorkerAttrIo(const Root& root)
    : FramedAttrIo(root), in_(std::make_unique<FrameBuffer>()) {}

WorkerAttrIo::~WorkerAttrIo() {
    dropWorker();
}

bool WorkerAttrIo::ensureWorker() {
    if (pid_ > 0) {
        return true;
    }
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        return false;
    }
    UniqueFd ours(sv[0]);
    UniqueFd theirs(sv[1]);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        const int e = errno;
        ours.reset();
        theirs.reset();
        errno = e; // for the caller's report
        return false;
    }
    if (pid == 0) {
        // The worker: nothing of the caller's but the root and its socket.
        // A worker left behind at a deadline must hold nothing of the
        // caller's (a lock, a pipe of libvirt's).
        ours.reset();
        if (!detachFromParent(parent, {theirs.get(), root_.fd()})) {
            ::_exit(1);
        }
        workerMain(root_, theirs.get());
    }
    theirs.reset();
    sock_ = std::move(ours);
    pid_ = pid;
    ++started_;
    return true;
}

void WorkerAttrIo::dropWorker() {
    sock_.reset();
    in_->clear();
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        reapBriefly(pid_);
        pid_ = -1;
    }
}

void WorkerAttrIo::leave() {
    sock_.reset();
    in_->clear();
    pid_ = -1;
}

std::optional<Fields> WorkerAttrIo::call(const Fields& request, Deadline deadline, bool& timed_out,
                                         int& err) {
    timed_out = false;
    err = 0;
    if (deadline.expired()) {
        timed_out = true;
        return std::nullopt;
    }
    if (!ensureWorker()) {
        err = errno != 0 ? errno : EAGAIN;
        return std::nullopt;
    }
    if (!writeAll(sock_.get(), encode(request))) {
        err = errno != 0 ? errno : EPIPE;
        dropWorker();
        return std::nullopt;
    }
    return receive(deadline, timed_out, err);
}

std::optional<Fields> WorkerAttrIo::receive(Deadline deadline, bool& timed_out, int& err) {
    timed_out = false;
    err = 0;
    for (;;) {
        bool bad = false;
        if (auto body = in_->next(bad)) {
            auto reply = decode(*body);
            if (!reply || reply->size() < 2) {
                err = EIO;
                dropWorker();
                return std::nullopt;
            }
            return reply;
        }
        if (bad) {
            err = EIO;
            dropWorker();
            return std::nullopt;
        }
        // Whatever has come (often several answers of a batch at once).
        char buf[65536];
        const ssize_t n = ::recv(sock_.get(), buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
            in_->append(buf, static_cast<std::size_t>(n));
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            err = EIO;
            dropWorker();
            return std::nullopt;
        }
        const auto left = deadline.remaining().count();
        pollfd p{sock_.get(), POLLIN, 0};
        const int rc = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1LL << 30)));
        if (rc < 0 && errno == EINTR) {
            continue;
        }
        if (rc == 0 || deadline.expired()) {
            timed_out = true;
            dropWorker();
            return std::nullopt;
        }
    }
}

AttrRead FramedAttrIo::read(std::string_view rel, Deadline deadline) {
    bool timed_out = false;
    int err = 0;
    auto r = call({"r", std::string(rel)}, deadline, timed_out, err);
    return readReply(std::move(r), timed_out, err);
}

AttrWrite FramedAttrIo::write(std::string_view rel, std::string_view data, Deadline deadline) {
    if (data.size() > 2 * kAttrMax) {
        AttrWrite out;
        out.err = E2BIG;
        return out;
    }
    bool timed_out = false;
    int err = 0;
    const auto r = call({"w", std::string(rel), std::string(data)}, deadline, timed_out, err);
    return writeReply(r, timed_out, err);
}

Result<std::string> FramedAttrIo::resolve(std::string_view rel, Deadline deadline) {
    bool timed_out = false;
    int err = 0;
    auto r = call({"R", std::string(rel)}, deadline, timed_out, err);
    if (!r || r->size() != 3) {
        return lookupFailed(root_, "resolve", rel, timed_out, err != 0 ? err : EIO);
    }
    if (toNum((*r)[0]) != 0) {
        return Unexpected<Error>(replyError(*r, 0));
    }
    return std::move((*r)[2]);
}

Result<std::string> FramedAttrIo::readLink(std::string_view rel, Deadline deadline) {
    bool timed_out = false;
    int err = 0;
    auto r = call({"L", std::string(rel)}, deadline, timed_out, err);
    if (!r || r->size() != 3) {
        return lookupFailed(root_, "read link", rel, timed_out, err != 0 ? err : EIO);
    }
    if (toNum((*r)[0]) != 0) {
        return Unexpected<Error>(replyError(*r, 0));
    }
    return std::move((*r)[2]);
}

Result<std::vector<std::string>> FramedAttrIo::list(std::string_view path, Deadline deadline) {
    bool timed_out = false;
    int err = 0;
    auto r = call({"D", std::string(path)}, deadline, timed_out, err);
    if (!r) {
        return lookupFailed(root_, "list", path, timed_out, err);
    }
    if (toNum((*r)[0]) != 0) {
        return Unexpected<Error>(replyError(*r, 0));
    }
    return std::vector<std::string>(std::make_move_iterator(r->begin() + 2),
                                    std::make_move_iterator(r->end()));
}

Result<FileKind> FramedAttrIo::stat(std::string_view rel, bool follow, Deadline deadline) {
    bool timed_out = false;
    int err = 0;
    auto r = call({"S", std::string(rel), follow ? "1" : "0"}, deadline, timed_out, err);
    if (!r || r->size() != 3) {
        return lookupFailed(root_, "stat", rel, timed_out, err != 0 ? err : EIO);
    }
    if (toNum((*r)[0]) != 0) {
        return Unexpected<Error>(replyError(*r, 0));
    }
    return FileKind{static_cast<mode_t>(toNum((*r)[2]))};
}

Result<DirProbe> FramedAttrIo::probeDir(std::string_view rel, const std::vector<std::string>& links,
                                        const std::vector<std::string>& files, Deadline deadline) {
    bool timed_out = false;
    int err = 0;
    auto r = call(probeFields("P", rel, links, files), deadline, timed_out, err);
    return probeReply(root_, std::move(r), timed_out, err, rel, links.size(), files.size());
}

Result<DirProbe> FramedAttrIo::readLinksIn(std::string_view rel,
                                           const std::vector<std::string>& links,
                                           Deadline deadline) {
    bool timed_out = false;
    int err = 0;
    auto r = call(probeFields("p", rel, links, {}), deadline, timed_out, err);
    return probeReply(root_, std::move(r), timed_out, err, rel, links.size(), 0);
}

std::vector<IoReply> WorkerAttrIo::batch(const std::vector<IoRequest>& requests, Deadline overall,
                                         std::chrono::milliseconds each) {
    std::vector<IoReply> out;
    out.reserve(requests.size());
    // Requests go ahead of the answers, at most kWindow bytes unanswered, so
    // that a worker stuck in one never blocks this process on a full socket.
    constexpr std::size_t kWindow = 32768;
    while (out.size() < requests.size()) {
        const std::size_t first = out.size();
        if (overall.expired() || !ensureWorker()) {
            const bool late = overall.expired();
            const int e = late ? 0 : (errno != 0 ? errno : EAGAIN);
            for (std::size_t i = first; i < requests.size(); ++i) {
                out.push_back(toReply(root_, requests[i], std::nullopt, late, e));
            }
            break;
        }
        std::size_t sent = first;
        std::deque<std::size_t> sizes;
        std::size_t in_flight = 0;
        bool broken = false;
        while (out.size() < requests.size() && !broken) {
            std::string frames;
            while (sent < requests.size() && (sent == out.size() || in_flight < kWindow)) {
                const std::string frame = encode(requestFields(requests[sent]));
                frames += frame;
                sizes.push_back(frame.size());
                in_flight += frame.size();
                ++sent;
            }
            if (!frames.empty() && !writeAll(sock_.get(), frames)) {
                broken = true;
                break;
            }
            if (broken) {
                break;
            }
            // The next request starts when the previous answer is in: its
            // bound counts from now.
            bool timed_out = false;
            int err = 0;
            auto r = receive(overall.capped(each), timed_out, err);
            const bool lost = !r;
            out.push_back(toReply(root_, requests[out.size()], std::move(r), timed_out, err));
            in_flight -= sizes.front();
            sizes.pop_front();
            if (lost) {
                break; // the worker is gone: a new one takes the rest
            }
        }
        if (broken) {
            const int e = errno != 0 ? errno : EPIPE;
            dropWorker();
            out.push_back(toReply(root_, requests[out.size()], std::nullopt, false, e));
        }
    }
    return out;
}

Result<std::optional<std::string>> FramedAttrIo::readFile(std::string_view path, std::size_t max,
                                                          Deadline deadline) {
    bool timed_out = false;
    int err = 0;
    auto r =
        call({"F", std::string(path), num(static_cast<long long>(max))}, deadline, timed_out, err);
    if (!r || r->size() != 4) {
        return lookupFailed(root_, "read", path, timed_out, err != 0 ? err : EIO);
    }
    if (toNum((*r)[0]) != 0) {
        return Unexpected<Error>(replyError(*r, 0));
    }
    if ((*r)[2] != "1") {
        return std::optional<std::string>();
    }
    return std::optional<std::string>(std::move((*r)[3]));
}

// A change of mdev-migcheck's own state: "N" replaces, "U" removes.
Result<void> FramedAttrIo::changeState(const Fields& request, Deadline deadline) {
    const std::string& path = request[1];
    bool timed_out = false;
    int err = 0;
    auto r = call(request, deadline, timed_out, err);
    if (!r || r->size() != 2) {
        return lookupFailed(root_, request[0] == "N" ? "write" : "remove", path, timed_out,
                            err != 0 ? err : EIO);
    }
    if (toNum((*r)[0]) != 0) {
        return Unexpected<Error>(replyError(*r, 0));
    }
    return {};
}

Result<void> FramedAttrIo::replaceFile(std::string_view rel, std::string_view data,
                                       Deadline deadline) {
    return changeState({"N", std::string(rel), std::string(data)}, deadline);
}

Result<void> FramedAttrIo::removeFile(std::string_view rel, Deadline deadline) {
    return changeState({"U", std::string(rel)}, deadline);
}

} // namespace mdevmc
