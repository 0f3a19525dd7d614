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
#include <span>
#include <string_view>
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

// The log of a check's accesses, in memory the watcher maps shared with
// every child it starts: CAPACITY bytes at DATA, of which SIZE are entries.
// One child appends; after it was killed, the next keeps the entries the
// watcher counted and appends after them.  Once an entry does not fit,
// nothing more is appended: the log stays a prefix of the accesses, and a
// later child makes again what it lacks.
class AccessLog {
public:
    AccessLog(char* data, std::size_t capacity, std::atomic<std::uint64_t>& size)
        : data_(data), capacity_(capacity), size_(size) {}

    void append(const wire::Fields& request, const std::optional<wire::Fields>& reply);
    // The same entry from views of the fields (REPLY null: timed out).
    void append(std::span<const std::string_view> request,
                const std::span<const std::string_view>* reply);
    std::string_view contents() const;
    // The first COUNT entries (fewer if the log holds fewer whole ones);
    // the log is cut after them.
    std::vector<LoggedAccess> keepFirst(std::uint64_t count);

private:
    char* data_;
    std::size_t capacity_;
    std::atomic<std::uint64_t>& size_;
    bool closed_ = false;
};

// The first COUNT entries of LOG; fewer if it holds fewer whole entries.
// END, if given, is where the last of them ends.
std::vector<LoggedAccess> readAccessLog(std::string_view log, std::uint64_t count,
                                        std::size_t* end = nullptr);

// Makes each access in this process (wire::serve), stamping PROGRESS
// before it and appending its answer to LOG after it.  The first REPLAY
// accesses of LOG (as a killed child left it) are answered from it
// instead, in order, as long as each request is the one logged at its
// place, and with LATE the access after them times out without being made
// (the one the killed child was stuck in) if the log holds all REPLAY;
// from the first that is not in the replay, every access is made.
class WatchedAttrIo : public FramedAttrIo {
public:
    WatchedAttrIo(const Root& root, AccessProgress& progress, AccessLog& log, std::uint64_t replay,
                  bool late);

    // How many accesses were answered from the replay (for tests).
    std::size_t replayed() const { return replayed_; }

    // A device's lookup and the re-check of its links, the accesses a
    // check makes for each device, are made without their fields: the
    // answer as FramedAttrIo reads it back, the log entry as call() writes
    // it.  While the replay answers, through call().
    Result<DirProbe> probeDir(std::string_view rel, const std::vector<std::string>& links,
                              const std::vector<std::string>& files, Deadline deadline) override;
    Result<DirProbe> readLinksIn(std::string_view rel, const std::vector<std::string>& links,
                                 Deadline deadline) override;

protected:
    std::optional<Fields> call(const Fields& request, Deadline deadline, bool& timed_out,
                               int& err) override;

private:
    // Whether call() would answer the next access from the replay (or
    // take it as the late one).
    bool replayAnswersNext() const;
    // probeDir() (OP 'P') or readLinksIn() ('p', no FILES) made here.
    Result<DirProbe> probe(char op, std::string_view rel, const std::vector<std::string>& links,
                           const std::vector<std::string>& files, Deadline deadline);

    AccessProgress& progress_;
    AccessLog& log_;
    std::vector<LoggedAccess> replay_;
    bool late_;
    bool replaying_ = true;
    std::uint64_t next_ = 0;
    std::size_t replayed_ = 0;
};

} // namespace mdevmc
