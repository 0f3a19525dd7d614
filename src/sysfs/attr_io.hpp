// Reads and writes of sysfs attributes.  Every attribute access calls into a
// vendor driver (its show/store callback) and may fail with any errno, write
// short, or never return; this seam lets the protocol code be tested against
// all of that, and lets the hook bound every access.
#pragma once

#include "sysfs/root.hpp"
#include "util/deadline.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace mdevmc {

// The most an attribute read returns: one sysfs page.
inline constexpr std::size_t kAttrMax = 4096;

struct AttrRead {
    int err = 0;            // 0 on success, else the errno of open or read
    bool timed_out = false; // the read did not complete before the deadline
    std::string data;       // the bytes read (on success)
    bool ok() const { return err == 0 && !timed_out; }
};

struct AttrWrite {
    int err = 0;             // 0 if write(2) returned a count, else its errno
    bool timed_out = false;  // the write did not complete before the deadline
    std::size_t written = 0; // what write(2) returned
};

class AttrIo {
public:
    virtual ~AttrIo() = default;
    // Reads attribute REL (relative to the root) in one read of kAttrMax.
    virtual AttrRead read(std::string_view rel, Deadline deadline) = 0;
    // Writes DATA to attribute REL with a single write(2).
    virtual AttrWrite write(std::string_view rel, std::string_view data, Deadline deadline) = 0;
};

// Accesses the attributes from this process.  No bound on time: for the
// CLI and tests.
class DirectAttrIo : public AttrIo {
public:
    explicit DirectAttrIo(const Root& root) : root_(root) {}
    AttrRead read(std::string_view rel, Deadline deadline) override;
    AttrWrite write(std::string_view rel, std::string_view data, Deadline deadline) override;

private:
    const Root& root_;
};

// Accesses the attributes from a worker process, so that an access that
// never returns (a store callback stuck in the driver) costs only the
// worker: on a deadline the worker is killed and left behind with its
// standard streams on /dev/null, holding none of the caller's pipes, and a
// new worker serves the next access.
class WorkerAttrIo : public AttrIo {
public:
    explicit WorkerAttrIo(const Root& root) : root_(root) {}
    ~WorkerAttrIo() override;
    WorkerAttrIo(const WorkerAttrIo&) = delete;
    WorkerAttrIo& operator=(const WorkerAttrIo&) = delete;

    AttrRead read(std::string_view rel, Deadline deadline) override;
    AttrWrite write(std::string_view rel, std::string_view data, Deadline deadline) override;

    // How many workers were started (for tests).
    int workersStarted() const { return started_; }

private:
    struct Reply {
        bool timed_out = false;
        int err = 0;
        std::size_t count = 0;
        std::string data;
    };
    Reply call(char op, std::string_view rel, std::string_view data, Deadline deadline);
    bool ensureWorker();
    void dropWorker();

    const Root& root_;
    pid_t pid_ = -1;
    UniqueFd sock_;
    int started_ = 0;
};

} // namespace mdevmc
