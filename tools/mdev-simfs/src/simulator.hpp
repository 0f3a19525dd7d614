// The simulated host as the FUSE layer sees it: the tree (Model), faults
// injected through the control file, and the write log.  Thread-safe; a
// hung or delayed access waits without holding the lock, and ends when
// released, when its caller is interrupted, or at shutdown.
#pragma once

#include "faults.hpp"
#include "model.hpp"

#include <condition_variable>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace mdevsim {

// Writes larger than one page are cut to it, like sysfs.
inline constexpr std::size_t kPage = 4096;

class Simulator {
public:
    // WRITE_LOG: a file to append one JSON line per write to ("" for none).
    Simulator(Topology topology, const std::string& write_log);
    ~Simulator();
    Simulator(const Simulator&) = delete;
    Simulator& operator=(const Simulator&) = delete;

    struct Stat {
        NodeKind kind = NodeKind::Dir;
        unsigned mode = 0;
        std::size_t size = 0;
    };
    using Interrupted = std::function<bool()>;

    // 0 or an errno.  stat() is the lookup of PATH: lookup faults apply.
    int stat(const std::string& path, Stat& out, const Interrupted& interrupted);
    int list(const std::string& path, std::vector<std::string>& out);
    int readLink(const std::string& path, std::string& out, const Interrupted& interrupted);
    // Whether PATH may be opened with FLAGS (O_ACCMODE part), as kernfs decides.
    int open(const std::string& path, int flags);

    IoResult read(const std::string& path, const Interrupted& interrupted);
    IoResult write(const std::string& path, std::string_view data, const Interrupted& interrupted);

    // Ends every wait (hung accesses return EINTR).
    void shutdown();

private:
    int applyControl(std::string_view text);
    void applyCommand(const Command& c);
    std::string canonicalOrThrow(const std::string& path) const;
    // The entry PATH names, with the symlinks of its directory followed.
    std::string entryOrThrow(const std::string& path) const;
    // Waits with LOCK held on entry and exit; false if interrupted/shut down.
    bool wait(std::unique_lock<std::mutex>& lock, const std::string& path, Access access,
              const Interrupted& interrupted);
    // A stall on PATH: waits, deaf to interrupts, until its time is up,
    // it is released, or shutdown.
    void stall(std::unique_lock<std::mutex>& lock, const std::string& path);
    void logWrite(const std::string& path, std::string_view data, const IoResult& r);

    mutable std::mutex mu_;
    std::condition_variable cv_;
    Model model_;
    std::map<std::string, Fault> faults_;
    std::map<std::string, unsigned long> released_; // release generation per path
    std::map<std::string, int> waiting_;            // accesses delayed or hung, per path
    unsigned long release_all_ = 0;
    bool shutting_down_ = false;
    std::FILE* log_ = nullptr;
};

} // namespace mdevsim
