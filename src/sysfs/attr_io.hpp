// Every filesystem access beneath the root: lookups (resolving a path,
// reading a link, listing a directory, the kind of a file), reads of whole
// files (the configuration) and reads and writes of sysfs attributes.  An
// attribute access calls into a vendor driver (its show/store callback) and
// may fail with any errno, write short, or never return; a lookup on a hung
// mount may never return either.  This seam lets the code above be tested
// against all of that, and lets the hook bound every access by running it in
// a worker process it can abandon.
#pragma once

#include "sysfs/root.hpp"
#include "util/deadline.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <unordered_map>
#include <vector>

namespace mdevmc {

// The most an attribute read returns: one sysfs page.
inline constexpr std::size_t kAttrMax = 4096;

struct AttrRead {
    int err = 0;            // 0 on success, else the errno of open or read
    bool timed_out = false; // the read did not complete before the deadline
    std::string data;       // the bytes read (on success)
    bool not_made = false;  // no read was made (err: why, e.g. no worker)
    bool ok() const { return err == 0 && !timed_out; }
};

struct AttrWrite {
    int err = 0;             // 0 if write(2) returned a count, else its errno
    bool timed_out = false;  // the write did not complete before the deadline
    std::size_t written = 0; // what write(2) returned
    bool not_made = false;   // no write was made (err: why, e.g. no worker)
};

// A directory found by probeDir(): its canonical path and, for each name
// asked about, what is there.
struct DirProbe {
    std::string dir;                        // canonical, relative to the root
    std::vector<Result<std::string>> links; // the target of each link asked for
    std::vector<int> files; // per file asked for: 0 if a regular file, else an errno
};

// The kind of a file, as stat(2) tells it.
struct FileKind {
    mode_t mode = 0;
};

// The most a listing or a whole-file read returns.
inline constexpr std::size_t kListMax = std::size_t{1} << 20;

// One access of a batch (see AttrIo::batch): a read, a write, a probeDir
// or a readLinksIn.
struct IoRequest {
    enum class Op { Read, Write, Probe, Links };
    Op op = Op::Read;
    std::string path;
    std::string data;               // Write
    std::vector<std::string> links; // Probe, Links
    std::vector<std::string> files; // Probe

    static IoRequest read(std::string path) { return {Op::Read, std::move(path), {}, {}, {}}; }
    static IoRequest write(std::string path, std::string data) {
        return {Op::Write, std::move(path), std::move(data), {}, {}};
    }
    static IoRequest probe(std::string path, std::vector<std::string> links,
                           std::vector<std::string> files) {
        return {Op::Probe, std::move(path), {}, std::move(links), std::move(files)};
    }
    static IoRequest linksIn(std::string path, std::vector<std::string> links) {
        return {Op::Links, std::move(path), {}, std::move(links), {}};
    }
};

// Its answer: the member of its kind (probe for Probe and Links).
struct IoReply {
    AttrRead read;
    AttrWrite write;
    Result<DirProbe> probe = DirProbe{};
};

// A lookup that did not finish before its deadline fails with ETIMEDOUT and
// a message naming the path.
class AttrIo {
public:
    virtual ~AttrIo() = default;
    // Reads attribute REL (relative to the root) in one read of kAttrMax.
    virtual AttrRead read(std::string_view rel, Deadline deadline) = 0;
    // Writes DATA to attribute REL with a single write(2).
    virtual AttrWrite write(std::string_view rel, std::string_view data, Deadline deadline) = 0;

    // Root::resolve, Root::readLink and Root::list, bounded by DEADLINE.
    virtual Result<std::string> resolve(std::string_view rel, Deadline deadline) = 0;
    virtual Result<std::string> readLink(std::string_view rel, Deadline deadline) = 0;
    virtual Result<std::vector<std::string>> list(std::string_view path, Deadline deadline) = 0;
    // The kind of REL; FOLLOW: of what its last component links to
    // (beneath the root).
    virtual Result<FileKind> stat(std::string_view rel, bool follow, Deadline deadline) = 0;
    // Resolves directory REL and, in the same access, reads the links LINKS
    // and checks that FILES are regular files inside it (names, no '/').
    virtual Result<DirProbe> probeDir(std::string_view rel, const std::vector<std::string>& links,
                                      const std::vector<std::string>& files, Deadline deadline) = 0;
    // What probeDir answers for LINKS alone, without the directory's
    // canonical path (DirProbe::dir is left empty): the least a lookup of
    // a directory can cost.  This default makes a whole probeDir.  Where a
    // probeDir kept the directory open (Root::keepDirectories), a directory
    // it named is read there again: one readlinkat per link.
    virtual Result<DirProbe> readLinksIn(std::string_view rel,
                                         const std::vector<std::string>& links, Deadline deadline);
    // The whole of the regular file PATH, of at most MAX bytes, opened without
    // blocking (a FIFO is never waited on): nullopt if it does not exist;
    // EINVAL if it is not a regular file, EFBIG if it is larger.  PATH is
    // relative to the root, or absolute (a file named by the administrator,
    // never by a domain).  list() takes an absolute path too.
    virtual Result<std::optional<std::string>> readFile(std::string_view path, std::size_t max,
                                                        Deadline deadline) = 0;
    // mdev-migcheck's own state beneath the root (run/mdev-migcheck/...):
    // replaces the regular file REL by one holding DATA (mode 0600, written
    // beside it and renamed over it, so a reader sees the old or the new
    // whole), making its missing parent directories (mode 0700) first;
    // removes it (ENOENT if it was not there).  Never follows a symlink in
    // the last component.
    virtual Result<void> replaceFile(std::string_view rel, std::string_view data,
                                     Deadline deadline) = 0;
    virtual Result<void> removeFile(std::string_view rel, Deadline deadline) = 0;

    // Makes REQUESTS in order, each bounded by EACH from when it starts and
    // all by OVERALL, and answers them in order.  The worker takes them in
    // one exchange; this default makes them one by one.
    virtual std::vector<IoReply> batch(const std::vector<IoRequest>& requests, Deadline overall,
                                       std::chrono::milliseconds each);
};

// An AttrIo whose reads, writes and probes may have been made ahead, in one
// batch, by prefetch(): a call that matches a prefetched request (same
// kind, path and data) takes its reply, once; every other call goes to the
// AttrIo it wraps.  Prefetch only what the caller will ask for anyway.
class PrefetchedIo : public AttrIo {
public:
    explicit PrefetchedIo(AttrIo& inner) : inner_(inner) {}

    void prefetch(const std::vector<IoRequest>& requests, Deadline overall,
                  std::chrono::milliseconds each);
    // Keeps REPLY for the next USES calls matching REQUEST (made by the
    // caller, e.g. with batch(), to look at the answer first).
    void add(const IoRequest& request, IoReply reply, std::size_t uses = 1);
    // How many prefetched replies were taken (for tests).
    int hits() const { return hits_; }

    AttrRead read(std::string_view rel, Deadline deadline) override;
    AttrWrite write(std::string_view rel, std::string_view data, Deadline deadline) override;
    Result<DirProbe> probeDir(std::string_view rel, const std::vector<std::string>& links,
                              const std::vector<std::string>& files, Deadline deadline) override;
    Result<DirProbe> readLinksIn(std::string_view rel, const std::vector<std::string>& links,
                                 Deadline deadline) override;
    Result<std::string> resolve(std::string_view rel, Deadline deadline) override {
        return inner_.resolve(rel, deadline);
    }
    Result<std::string> readLink(std::string_view rel, Deadline deadline) override {
        return inner_.readLink(rel, deadline);
    }
    Result<std::vector<std::string>> list(std::string_view path, Deadline deadline) override {
        return inner_.list(path, deadline);
    }
    Result<FileKind> stat(std::string_view rel, bool follow, Deadline deadline) override {
        return inner_.stat(rel, follow, deadline);
    }
    Result<std::optional<std::string>> readFile(std::string_view path, std::size_t max,
                                                Deadline deadline) override {
        return inner_.readFile(path, max, deadline);
    }
    Result<void> replaceFile(std::string_view rel, std::string_view data,
                             Deadline deadline) override {
        return inner_.replaceFile(rel, data, deadline);
    }
    Result<void> removeFile(std::string_view rel, Deadline deadline) override {
        return inner_.removeFile(rel, deadline);
    }
    std::vector<IoReply> batch(const std::vector<IoRequest>& requests, Deadline overall,
                               std::chrono::milliseconds each) override {
        return inner_.batch(requests, overall, each);
    }

private:
    // One use of the reply kept for the request of these parts, if any.
    std::optional<IoReply> take(IoRequest::Op op, std::string_view path, std::string_view data,
                                std::span<const std::string> links,
                                std::span<const std::string> files);

    AttrIo& inner_;
    // The replies kept for one request, taken in the order they were added,
    // each by as many calls as it has USES left: those before NEXT were
    // taken.
    struct Use {
        IoReply reply;
        std::size_t uses;
    };
    struct Ready {
        std::vector<Use> replies;
        std::size_t next = 0;
    };
    std::unordered_map<std::string, Ready> ready_; // by requestKey
    std::string key_;                              // the key take() looks for, its capacity kept
    int hits_ = 0;
};

// The filesystem operations behind AttrIo, done in this process without a
// bound on time: what DirectAttrIo does and what the worker does for
// WorkerAttrIo.
namespace direct {
AttrRead read(const Root& root, std::string_view rel);
AttrWrite write(const Root& root, std::string_view rel, std::string_view data);
Result<std::vector<std::string>> list(const Root& root, std::string_view path);
Result<FileKind> stat(const Root& root, std::string_view rel, bool follow);
Result<DirProbe> probeDir(const Root& root, std::string_view rel,
                          std::span<const std::string> links, std::span<const std::string> files);
Result<DirProbe> readLinksIn(const Root& root, std::string_view rel,
                             std::span<const std::string> links);
Result<std::optional<std::string>> readFile(const Root& root, std::string_view path,
                                            std::size_t max);
Result<void> replaceFile(const Root& root, std::string_view rel, std::string_view data);
Result<void> removeFile(const Root& root, std::string_view rel);
} // namespace direct

// Accesses the filesystem from this process.  No bound on time: for the
// CLI and tests.
class DirectAttrIo : public AttrIo {
public:
    explicit DirectAttrIo(const Root& root) : root_(root) {}
    AttrRead read(std::string_view rel, Deadline deadline) override;
    AttrWrite write(std::string_view rel, std::string_view data, Deadline deadline) override;
    Result<std::string> resolve(std::string_view rel, Deadline deadline) override;
    Result<std::string> readLink(std::string_view rel, Deadline deadline) override;
    Result<std::vector<std::string>> list(std::string_view path, Deadline deadline) override;
    Result<FileKind> stat(std::string_view rel, bool follow, Deadline deadline) override;
    Result<DirProbe> probeDir(std::string_view rel, const std::vector<std::string>& links,
                              const std::vector<std::string>& files, Deadline deadline) override;
    Result<DirProbe> readLinksIn(std::string_view rel, const std::vector<std::string>& links,
                                 Deadline deadline) override;
    Result<std::optional<std::string>> readFile(std::string_view path, std::size_t max,
                                                Deadline deadline) override;
    Result<void> replaceFile(std::string_view rel, std::string_view data,
                             Deadline deadline) override;
    Result<void> removeFile(std::string_view rel, Deadline deadline) override;

private:
    const Root& root_;
};

// The wire format of a request and its reply: a list of fields, the
// request's first field its operation.  What the worker exchanges over its
// socket and WatchedAttrIo logs (sysfs/watched_io.hpp).
namespace wire {
using Fields = std::vector<std::string>;
// A frame: a 32-bit length, then the fields, each a 32-bit length and its bytes.
std::string encode(const Fields& fields);
// The fields of a frame's body (after its length); nullopt if malformed.
std::optional<Fields> decode(std::string_view body);
// Makes the request in this process and answers it.
Fields serve(const Root& root, const Fields& request);
} // namespace wire

// An AttrIo whose every access is one request in the wire format, made by
// call(): each method builds its request and reads its answer from the
// reply.  batch() makes the requests one by one.
class FramedAttrIo : public AttrIo {
public:
    using Fields = wire::Fields;

    explicit FramedAttrIo(const Root& root) : root_(root) {}

    AttrRead read(std::string_view rel, Deadline deadline) override;
    AttrWrite write(std::string_view rel, std::string_view data, Deadline deadline) override;
    Result<std::string> resolve(std::string_view rel, Deadline deadline) override;
    Result<std::string> readLink(std::string_view rel, Deadline deadline) override;
    Result<std::vector<std::string>> list(std::string_view path, Deadline deadline) override;
    Result<FileKind> stat(std::string_view rel, bool follow, Deadline deadline) override;
    Result<DirProbe> probeDir(std::string_view rel, const std::vector<std::string>& links,
                              const std::vector<std::string>& files, Deadline deadline) override;
    Result<DirProbe> readLinksIn(std::string_view rel, const std::vector<std::string>& links,
                                 Deadline deadline) override;
    Result<std::optional<std::string>> readFile(std::string_view path, std::size_t max,
                                                Deadline deadline) override;
    Result<void> replaceFile(std::string_view rel, std::string_view data,
                             Deadline deadline) override;
    Result<void> removeFile(std::string_view rel, Deadline deadline) override;

protected:
    // Makes REQUEST and returns its reply (at least two fields) by DEADLINE;
    // nullopt with TIMED_OUT set, or with ERR set when it could not be made.
    virtual std::optional<Fields> call(const Fields& request, Deadline deadline, bool& timed_out,
                                       int& err) = 0;

    const Root& root_;

private:
    Result<void> changeState(const Fields& request, Deadline deadline);
};

class FrameBuffer;

// Accesses the filesystem from a worker process, so that an access that
// never returns (a store callback stuck in the driver, a lookup on a hung
// mount) costs only the worker: on a deadline the worker is killed and left
// behind with its standard streams on /dev/null, holding none of the
// caller's pipes, and a new worker serves the next access.  The caller's
// process itself touches no path beneath the root.
class WorkerAttrIo : public FramedAttrIo {
public:
    explicit WorkerAttrIo(const Root& root);
    ~WorkerAttrIo() override;
    WorkerAttrIo(const WorkerAttrIo&) = delete;
    WorkerAttrIo& operator=(const WorkerAttrIo&) = delete;

    // Sends the requests ahead and reads each answer in turn; one that does
    // not come in time costs its worker, and a new one takes the rest.
    std::vector<IoReply> batch(const std::vector<IoRequest>& requests, Deadline overall,
                               std::chrono::milliseconds each) override;

    // For a process about to exit: closes the worker's socket without
    // killing or waiting for it.  An idle worker exits on the closed socket;
    // one stuck in the kernel is killed when this process exits
    // (PR_SET_PDEATHSIG).  A later access starts a new worker.
    void leave();

    // How many workers were started (for tests).
    int workersStarted() const { return started_; }
    // The worker's pid, -1 if there is none (for tests).
    pid_t workerPid() const { return pid_; }

protected:
    // Sends REQUEST to the worker and waits for its reply until DEADLINE.
    std::optional<Fields> call(const Fields& request, Deadline deadline, bool& timed_out,
                               int& err) override;

private:
    // Reads the worker's next reply until DEADLINE (the worker is dropped if
    // none comes); TIMED_OUT and ERR as for call().
    std::optional<Fields> receive(Deadline deadline, bool& timed_out, int& err);
    bool ensureWorker();
    void dropWorker();

    pid_t pid_ = -1;
    UniqueFd sock_;
    std::unique_ptr<FrameBuffer> in_; // what came from the worker, not yet taken
    int started_ = 0;
};

} // namespace mdevmc
