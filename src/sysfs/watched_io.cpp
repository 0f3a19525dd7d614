#include "sysfs/watched_io.hpp"

#include "util/read_all.hpp"

#include <chrono>
#include <cstring>
#include <string>

namespace mdevmc {

namespace {

// A log entry: the frame of {"ok" or "timeout", the request's field count,
// the request's fields, the reply's fields}.
std::string entryFrame(const wire::Fields& request, const std::optional<wire::Fields>& reply) {
    wire::Fields f;
    f.reserve(2 + request.size() + (reply ? reply->size() : 0));
    f.emplace_back(reply ? "ok" : "timeout");
    f.push_back(std::to_string(request.size()));
    f.insert(f.end(), request.begin(), request.end());
    if (reply) {
        f.insert(f.end(), reply->begin(), reply->end());
    }
    return wire::encode(f);
}

std::optional<LoggedAccess> parseEntry(std::string_view body) {
    auto f = wire::decode(body);
    if (!f || f->size() < 2 || ((*f)[0] != "ok" && (*f)[0] != "timeout")) {
        return std::nullopt;
    }
    std::size_t n = 0;
    for (const char c : (*f)[1]) {
        if (c < '0' || c > '9' || n > f->size()) {
            return std::nullopt;
        }
        n = n * 10 + static_cast<std::size_t>(c - '0');
    }
    if (n == 0 || n > f->size() - 2) {
        return std::nullopt;
    }
    LoggedAccess a;
    const auto first = f->begin() + 2;
    a.request.assign(first, first + static_cast<long>(n));
    if ((*f)[0] == "ok") {
        a.reply = wire::Fields(first + static_cast<long>(n), f->end());
        if (a.reply->size() < 2) {
            return std::nullopt;
        }
    } else if (f->size() != n + 2) {
        return std::nullopt;
    }
    return a;
}

std::int64_t nanos(Deadline d) {
    const auto left = d.remaining();
    if (left == std::chrono::milliseconds::max()) {
        return INT64_MAX;
    }
    const auto at = Deadline::Clock::now() + left;
    return std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count();
}

} // namespace

std::vector<LoggedAccess> readAccessLog(int fd, std::uint64_t count) {
    std::vector<LoggedAccess> out;
    const std::string data = readFromStart(fd);
    std::string_view rest = data;
    while (out.size() < count && rest.size() >= 4) {
        std::uint32_t size = 0;
        std::memcpy(&size, rest.data(), sizeof size);
        if (size < 4 || rest.size() - 4 < size) {
            break;
        }
        auto entry = parseEntry(rest.substr(4, size));
        if (!entry) {
            break;
        }
        out.push_back(std::move(*entry));
        rest.remove_prefix(4 + size);
    }
    return out;
}

WatchedAttrIo::WatchedAttrIo(const Root& root, AccessProgress& progress, int log_fd,
                             std::vector<LoggedAccess> replay, bool late)
    : FramedAttrIo(root), progress_(progress), log_fd_(log_fd), replay_(std::move(replay)),
      late_(late) {}

void WatchedAttrIo::log(const Fields& request, const std::optional<Fields>& reply) {
    // The log is in memory (a memfd): if a write fails, a later child
    // cannot replay this access, and makes it again.
    (void)writeAll(log_fd_, entryFrame(request, reply));
}

std::optional<WatchedAttrIo::Fields> WatchedAttrIo::call(const Fields& request, Deadline deadline,
                                                         bool& timed_out, int& err) {
    timed_out = false;
    err = 0;
    const std::uint64_t seq = next_;
    const bool late = replaying_ && late_ && seq == replay_.size();
    if (late || (replaying_ && seq < replay_.size() && replay_[seq].request == request)) {
        std::optional<Fields> reply = late ? std::nullopt : replay_[seq].reply;
        log(request, reply);
        progress_.started.store(seq + 1, std::memory_order_release);
        progress_.done.store(seq + 1, std::memory_order_release);
        ++next_;
        ++replayed_;
        timed_out = !reply;
        return reply;
    }
    replaying_ = false;
    if (deadline.expired()) {
        // Nothing is touched past the deadline; the access is not made, so
        // not logged: a later child's replay ends here.
        timed_out = true;
        return std::nullopt;
    }
    ++next_;
    progress_.deadline_ns.store(nanos(deadline), std::memory_order_relaxed);
    progress_.started.store(seq + 1, std::memory_order_release);
    Fields reply = wire::serve(root_, request);
    log(request, reply);
    progress_.done.store(seq + 1, std::memory_order_release);
    return reply;
}

} // namespace mdevmc
