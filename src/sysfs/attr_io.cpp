#include "sysfs/attr_io.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mdevmc {

namespace {

AttrRead readDirect(const Root& root, std::string_view rel) {
    AttrRead r;
    auto fd = root.openAttribute(rel, O_RDONLY);
    if (!fd) {
        r.err = fd.error().err != 0 ? fd.error().err : EIO;
        return r;
    }
    std::string buf(kAttrMax, '\0');
    ssize_t n;
    do {
        n = ::read(fd->get(), buf.data(), buf.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        r.err = errno;
        return r;
    }
    buf.resize(static_cast<std::size_t>(n));
    r.data = std::move(buf);
    return r;
}

AttrWrite writeDirect(const Root& root, std::string_view rel, std::string_view data) {
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

// Wire format between the hook and its worker (SOCK_SEQPACKET, one message
// each way per access).
struct RequestHeader {
    char op; // 'r' or 'w'
    std::uint32_t path_len;
    std::uint32_t data_len;
};
struct ReplyHeader {
    std::int32_t err;
    std::uint64_t count;
    std::uint32_t data_len;
};
constexpr std::size_t kMaxMessage = sizeof(RequestHeader) + 4096 + 2 * kAttrMax;

[[noreturn]] void workerMain(const Root& root, int sock) {
    std::string msg(kMaxMessage, '\0');
    for (;;) {
        const ssize_t n = ::recv(sock, msg.data(), msg.size(), 0);
        if (n <= 0) {
            ::_exit(0);
        }
        RequestHeader h{};
        if (static_cast<std::size_t>(n) < sizeof h) {
            ::_exit(1);
        }
        std::memcpy(&h, msg.data(), sizeof h);
        if (sizeof h + h.path_len + h.data_len != static_cast<std::size_t>(n)) {
            ::_exit(1);
        }
        const std::string_view path(msg.data() + sizeof h, h.path_len);
        const std::string_view data(msg.data() + sizeof h + h.path_len, h.data_len);
        ReplyHeader rh{};
        std::string payload;
        if (h.op == 'r') {
            AttrRead r = readDirect(root, path);
            rh.err = r.err;
            payload = std::move(r.data);
        } else {
            const AttrWrite w = writeDirect(root, path, data);
            rh.err = w.err;
            rh.count = w.written;
        }
        rh.data_len = static_cast<std::uint32_t>(payload.size());
        std::string out(sizeof rh, '\0');
        std::memcpy(out.data(), &rh, sizeof rh);
        out += payload;
        if (::send(sock, out.data(), out.size(), MSG_NOSIGNAL) < 0) {
            ::_exit(1);
        }
    }
}

} // namespace

AttrRead DirectAttrIo::read(std::string_view rel, Deadline) {
    return readDirect(root_, rel);
}

AttrWrite DirectAttrIo::write(std::string_view rel, std::string_view data, Deadline) {
    return writeDirect(root_, rel, data);
}

WorkerAttrIo::~WorkerAttrIo() {
    dropWorker();
}

bool WorkerAttrIo::ensureWorker() {
    if (pid_ > 0) {
        return true;
    }
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
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
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) {
            ::_exit(1);
        }
        const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0) {
            ::_exit(1);
        }
        for (int fd = 0; fd <= 2; ++fd) {
            ::dup2(null, fd);
        }
        ours.reset();
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
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        // Reap it if it is gone already; a worker stuck in the kernel is
        // left to init rather than waited for.
        ::waitpid(pid_, nullptr, WNOHANG);
        pid_ = -1;
    }
}

WorkerAttrIo::Reply WorkerAttrIo::call(char op, std::string_view rel, std::string_view data,
                                       Deadline deadline) {
    Reply reply;
    if (deadline.expired()) {
        reply.timed_out = true;
        return reply;
    }
    if (rel.size() > 4096 || data.size() > 2 * kAttrMax) {
        reply.err = E2BIG;
        return reply;
    }
    if (!ensureWorker()) {
        reply.err = errno != 0 ? errno : EAGAIN;
        return reply;
    }
    RequestHeader h{op, static_cast<std::uint32_t>(rel.size()),
                    static_cast<std::uint32_t>(data.size())};
    std::string msg(sizeof h, '\0');
    std::memcpy(msg.data(), &h, sizeof h);
    msg.append(rel);
    msg.append(data);
    if (::send(sock_.get(), msg.data(), msg.size(), MSG_NOSIGNAL) < 0) {
        reply.err = errno;
        dropWorker();
        return reply;
    }
    std::string in(sizeof(ReplyHeader) + kAttrMax, '\0');
    for (;;) {
        const auto left = deadline.remaining().count();
        pollfd p{sock_.get(), POLLIN, 0};
        const int timeout = static_cast<int>(std::min<long long>(left, 1LL << 30));
        const int rc = ::poll(&p, 1, timeout);
        if (rc < 0 && errno == EINTR) {
            continue;
        }
        if (rc == 0 || deadline.expired()) {
            reply.timed_out = true;
            dropWorker();
            return reply;
        }
        break;
    }
    const ssize_t n = ::recv(sock_.get(), in.data(), in.size(), 0);
    ReplyHeader rh{};
    if (n < static_cast<ssize_t>(sizeof rh)) {
        reply.err = EIO;
        dropWorker();
        return reply;
    }
    std::memcpy(&rh, in.data(), sizeof rh);
    if (sizeof rh + rh.data_len != static_cast<std::size_t>(n)) {
        reply.err = EIO;
        dropWorker();
        return reply;
    }
    reply.err = rh.err;
    reply.count = rh.count;
    reply.data.assign(in.data() + sizeof rh, rh.data_len);
    return reply;
}

AttrRead WorkerAttrIo::read(std::string_view rel, Deadline deadline) {
    Reply r = call('r', rel, {}, deadline);
    AttrRead out;
    out.err = r.err;
    out.timed_out = r.timed_out;
    out.data = std::move(r.data);
    return out;
}

AttrWrite WorkerAttrIo::write(std::string_view rel, std::string_view data, Deadline deadline) {
    const Reply r = call('w', rel, data, deadline);
    AttrWrite out;
    out.err = r.err;
    out.timed_out = r.timed_out;
    out.written = r.count;
    return out;
}

} // namespace mdevmc
