#include "sysfs/watched_io.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <limits>
#include <string>

namespace mdevmc {

namespace {

// A log entry is the frame (wire::encode) of {"ok" or "timeout", the
// request's field count, the request's fields, the reply's fields}.
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

// DEADLINE in nanoseconds of the monotonic clock, without reading it.
std::int64_t nanos(Deadline d) {
    if (d.when() == Deadline::Clock::time_point::max()) {
        return INT64_MAX;
    }
    return std::chrono::duration_cast<std::chrono::nanoseconds>(d.when().time_since_epoch())
        .count();
}

// A number as the wire writes it (decimal), kept beside the views of an
// entry's fields.
class NumText {
public:
    std::string_view set(long long v) {
        const auto [end, ec] = std::to_chars(buf_.data(), buf_.data() + buf_.size(), v);
        size_ = ec == std::errc() ? static_cast<std::size_t>(end - buf_.data()) : 0;
        return {buf_.data(), size_};
    }

private:
    std::array<char, 24> buf_{};
    std::size_t size_ = 0;
};

// The errno a failed reply carries: EIO for an error without one.
int replyErrno(const Error& e) {
    return e.err != 0 ? e.err : EIO;
}

} // namespace

std::vector<LoggedAccess> readAccessLog(std::string_view log, std::uint64_t count,
                                        std::size_t* end) {
    std::vector<LoggedAccess> out;
    std::string_view rest = log;
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
    if (end != nullptr) {
        *end = log.size() - rest.size();
    }
    return out;
}

void AccessLog::append(const wire::Fields& request, const std::optional<wire::Fields>& reply) {
    const std::vector<std::string_view> req(request.begin(), request.end());
    if (!reply) {
        append(req, nullptr);
        return;
    }
    const std::vector<std::string_view> rep(reply->begin(), reply->end());
    const std::span<const std::string_view> r(rep);
    append(req, &r);
}

void AccessLog::append(std::span<const std::string_view> request,
                       const std::span<const std::string_view>* reply) {
    NumText count_text;
    const std::string_view count = count_text.set(static_cast<long long>(request.size()));
    const std::string_view status = reply != nullptr ? "ok" : "timeout";
    std::size_t body = 4 + (4 + status.size()) + (4 + count.size());
    for (const auto f : request) {
        body += 4 + f.size();
    }
    if (reply != nullptr) {
        for (const auto f : *reply) {
            body += 4 + f.size();
        }
    }
    const std::uint64_t at = size_.load(std::memory_order_relaxed);
    if (closed_ || body > std::numeric_limits<std::uint32_t>::max() || at > capacity_ ||
        capacity_ - at < 4 + body) {
        closed_ = true; // the log stays a prefix of the accesses
        return;
    }
    char* p = data_ + at;
    const auto put32 = [&p](std::size_t v) {
        const auto u = static_cast<std::uint32_t>(v);
        std::memcpy(p, &u, sizeof u);
        p += sizeof u;
    };
    const auto put = [&p, &put32](std::string_view f) {
        put32(f.size());
        if (!f.empty()) { // an empty view may have no data at all
            std::memcpy(p, f.data(), f.size());
            p += f.size();
        }
    };
    put32(body);
    put32(2 + request.size() + (reply != nullptr ? reply->size() : 0));
    put(status);
    put(count);
    for (const auto f : request) {
        put(f);
    }
    if (reply != nullptr) {
        for (const auto f : *reply) {
            put(f);
        }
    }
    size_.store(at + 4 + body, std::memory_order_release);
}

std::string_view AccessLog::contents() const {
    const std::uint64_t size = size_.load(std::memory_order_acquire);
    return {data_, static_cast<std::size_t>(std::min<std::uint64_t>(size, capacity_))};
}

std::vector<LoggedAccess> AccessLog::keepFirst(std::uint64_t count) {
    std::size_t end = 0;
    auto kept = readAccessLog(contents(), count, &end);
    size_.store(end, std::memory_order_release);
    closed_ = false;
    return kept;
}

WatchedAttrIo::WatchedAttrIo(const Root& root, AccessProgress& progress, AccessLog& log,
                             std::uint64_t replay, bool late)
    : FramedAttrIo(root), progress_(progress), log_(log), replay_(log.keepFirst(replay)),
      // The late access is the one after all REPLAY: if the log lacks some,
      // which one it was is not known, and every access after the log is made.
      late_(late && replay_.size() == replay) {}

std::optional<WatchedAttrIo::Fields> WatchedAttrIo::call(const Fields& request, Deadline deadline,
                                                         bool& timed_out, int& err) {
    timed_out = false;
    err = 0;
    const std::uint64_t seq = next_;
    const bool late = replaying_ && late_ && seq == replay_.size();
    if (late || (replaying_ && seq < replay_.size() && replay_[seq].request == request)) {
        std::optional<Fields> reply = late ? std::nullopt : replay_[seq].reply;
        if (late) {
            log_.append(request, reply);
        }
        progress_.started.store(seq + 1, std::memory_order_release);
        progress_.done.store(seq + 1, std::memory_order_release);
        ++next_;
        ++replayed_;
        timed_out = !reply;
        return reply;
    }
    if (replaying_ && seq < replay_.size()) {
        // This check went another way: its log keeps only what it did.
        (void)log_.keepFirst(seq);
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
    log_.append(request, reply);
    progress_.done.store(seq + 1, std::memory_order_release);
    return reply;
}

bool WatchedAttrIo::replayAnswersNext() const {
    return replaying_ && (next_ < replay_.size() || (late_ && next_ == replay_.size()));
}

Result<DirProbe> WatchedAttrIo::probeDir(std::string_view rel,
                                         const std::vector<std::string>& links,
                                         const std::vector<std::string>& files, Deadline deadline) {
    return probe('P', rel, links, files, deadline);
}

Result<DirProbe> WatchedAttrIo::readLinksIn(std::string_view rel,
                                            const std::vector<std::string>& links,
                                            Deadline deadline) {
    static const std::vector<std::string> none;
    return probe('p', rel, links, none, deadline);
}

Result<DirProbe> WatchedAttrIo::probe(char op, std::string_view rel,
                                      const std::vector<std::string>& links,
                                      const std::vector<std::string>& files, Deadline deadline) {
    constexpr std::size_t kMaxNames = 8;
    const bool whole = op == 'P';
    if (replayAnswersNext() || deadline.expired() || links.size() > kMaxNames ||
        files.size() > kMaxNames) {
        // call() replays it, takes it as timed out (not made past the
        // deadline), or makes it.
        return whole ? FramedAttrIo::probeDir(rel, links, files, deadline)
                     : FramedAttrIo::readLinksIn(rel, links, deadline);
    }
    replaying_ = false;
    const std::uint64_t seq = next_++;
    progress_.deadline_ns.store(nanos(deadline), std::memory_order_relaxed);
    progress_.started.store(seq + 1, std::memory_order_release);
    Result<DirProbe> r =
        whole ? direct::probeDir(root_, rel, links, files) : direct::readLinksIn(root_, rel, links);

    // The fields of request and reply (wire::serve's), as views.
    std::array<NumText, 2 + 2 * kMaxNames> nums;
    std::size_t used = 0;
    const std::string_view op_text = whole ? "P" : "p";
    std::array<std::string_view, 3 + 2 * kMaxNames> request{};
    std::size_t nreq = 0;
    request[nreq++] = op_text;
    request[nreq++] = rel;
    request[nreq++] = nums[used++].set(static_cast<long long>(links.size()));
    for (const auto& l : links) {
        request[nreq++] = l;
    }
    for (const auto& f : files) {
        request[nreq++] = f;
    }
    std::array<std::string_view, 3 + 4 * kMaxNames> reply{};
    std::size_t nrep = 0;
    if (!r) {
        reply[nrep++] = nums[used++].set(replyErrno(r.error()));
        reply[nrep++] = r.error().message;
    } else {
        reply[nrep++] = nums[used++].set(0);
        reply[nrep++] = {};
        reply[nrep++] = r->dir;
        for (const auto& l : r->links) {
            reply[nrep++] = nums[used++].set(l ? 0 : replyErrno(l.error()));
            reply[nrep++] = l ? std::string_view() : std::string_view(l.error().message);
            reply[nrep++] = l ? std::string_view(*l) : std::string_view();
        }
        for (const int e : r->files) {
            reply[nrep++] = nums[used++].set(e);
        }
    }
    const std::span<const std::string_view> answered(reply.data(), nrep);
    log_.append(std::span<const std::string_view>(request.data(), nreq), &answered);
    progress_.done.store(seq + 1, std::memory_order_release);

    // As FramedAttrIo reads the reply back: an error is its message and errno.
    if (!r) {
        return Unexpected<Error>(Error{r.error().message, replyErrno(r.error()), 0});
    }
    for (auto& l : r->links) {
        if (!l) {
            l = Unexpected<Error>(Error{l.error().message, replyErrno(l.error()), 0});
        }
    }
    return r;
}

} // namespace mdevmc
