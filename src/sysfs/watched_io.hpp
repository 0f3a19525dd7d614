// Filesystem accesses made in this process under the eye of another: the
// hook's check runs in a child process that makes every access itself (no
// exchange with a worker per access), while the hook's main process, which
// holds libvirt's pipes, watches the child's progress in shared memory.
// When an access outlives its deadline, the watcher kills the child and
// starts another, which replays the answers the first one logged, takes the
// late access as timed out, and goes on from there: each access is still
// bounded on its own, nothing already done is done twice, and the watcher
// never touches a path beneath the root.
#pragma once

#include "sysfs/attr_io.hpp"

#include <atomic>
#include <cstdint>
#include <optional>
#include <vector>

namespace mdevmc {

// A child's progress, in a MAP_SHARED page the watcher reads.  Times are
// nanoseconds of the monotonic clock, which every process shares.
struct AccessProgress {
    std::atomic<std::uint64_t> started{0};    // accesses begun
    std::atomic<std::uint64_t> done{0};       // accesses answered and logged
    std::atomic<std::int64_t> deadline_ns{0}; // the deadline of the access begun last
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free &&
              std::atomic<std::int64_t>::is_always_lock_free);

// One access of the log: its request and its reply (nullopt: timed out).
struct LoggedAccess {
    wire::Fields request;
    std::optional<wire::Fields> reply;
};

// The first COUNT accesses logged in the file FD (read from its start);
// fewer if the log holds fewer whole entries.
std::vector<LoggedAccess> readAccessLog(int fd, std::uint64_t count);

// Makes each access in this process (wire::serve), stamping PROGRESS
// before it and logging its answer to LOG_FD after it.  The accesses of
// REPLAY are answered from it instead, in order, as long as each request
// is the one logged at its place, and with LATE the access after them
// times out without being made (the one a killed child was stuck in); from
// the first that is not in the replay, every access is made.
class WatchedAttrIo : public FramedAttrIo {
public:
    WatchedAttrIo(const Root& root, AccessProgress& progress, int log_fd,
                  std::vector<LoggedAccess> replay, bool late);

    // How many accesses were answered from the replay (for tests).
    std::size_t replayed() const { return replayed_; }

protected:
    std::optional<Fields> call(const Fields& request, Deadline deadline, bool& timed_out,
                               int& err) override;

private:
    void log(const Fields& request, const std::optional<Fields>& reply);

    AccessProgress& progress_;
    int log_fd_;
    std::vector<LoggedAccess> replay_;
    bool late_;
    bool replaying_ = true;
    std::uint64_t next_ = 0;
    std::size_t replayed_ = 0;
};

} // namespace mdevmc
