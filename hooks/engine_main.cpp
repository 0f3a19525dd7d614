// The engine's entry.  This process, which holds libvirt's pipes, watches;
// a child process makes the check (the configuration, the hook's context,
// runHook) and every filesystem access itself (sysfs/watched_io.hpp).  The
// child's standard streams are /dev/null: what it prints, its exit code and
// the log of its accesses are in memory this process maps shared with it,
// and this process hands the first two to libvirt.  When one of the child's accesses outlives its
// deadline, the child is killed and a new one replays what the first
// logged, takes that access as timed out and goes on; when the whole check
// outlives its own bound, the watcher refuses (a start is never failed).
//
// The first child shares this process's memory (clone with CLONE_VM, a
// stack of its own): no page table is copied and no page is copied on
// write, which was most of a check's cost beyond the process start.  The
// watcher is idle while it runs: it only polls the child's pidfd and reads
// the clock, calls that set no errno (the two share the C library's
// thread-local state) and allocate nothing.  Once such a child was killed
// or died without an answer, the heap may hold what it left half-done: the
// watcher then allocates nothing and leaves with _exit, and a replacement
// child is a fork, with memory of its own.  Builds with AddressSanitizer
// fork every child (its allocator and shadow stack know nothing of a
// CLONE_VM child).
#include "engine_main.hpp"

#include "check/config.hpp"
#include "hook/engine.hpp"
#include "hook/ops.hpp"
#include "hook/recorder_spawn.hpp"
#include "sysfs/root.hpp"
#include "sysfs/watched_io.hpp"
#include "util/errno_name.hpp"
#include "util/escape.hpp"
#include "util/host_name.hpp"
#include "util/read_all.hpp"
#include "util/run_dir.hpp"
#include "util/std_fds.hpp"
#include "util/unique_fd.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <malloc.h>
#include <optional>
#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mdevmc {

namespace {

using Clock = Deadline::Clock;

// What the watcher and the check's child share: this header, then the
// log of the child's accesses, what it prints on standard output, and on
// standard error, each in a region of its own of the one mapping.
struct Shared {
    AccessProgress progress;
    // When the watcher gives up on the whole check (monotonic ns): from the
    // defaults at first, from the configuration once the child read it.
    std::atomic<std::int64_t> backstop_ns{0};
    std::atomic<int> exit_code{0};
    // 1 once the child wrote its output and exit code (it exits at once).
    std::atomic<std::uint32_t> finished{0};
    std::atomic<std::uint64_t> log_size{0};
    std::atomic<std::uint64_t> out_size{0};
    std::atomic<std::uint64_t> err_size{0};
};

constexpr std::size_t kHeaderSize = 4096;
static_assert(sizeof(Shared) <= kHeaderSize);
constexpr std::size_t kMiB = std::size_t{1} << 20;
// A full log only makes a replacement child make again what it lacks.
constexpr std::size_t kLogMax = 8 * kMiB;
// The domain XML handed back: at most what libvirt gave, changed.
constexpr std::size_t kOutMax = kMaxHookXml + 4 * kMiB;
// A refusal is at most 32 lines, plus what the configuration's errors say.
constexpr std::size_t kErrMax = kMiB;
#ifdef MADV_POPULATE_WRITE
constexpr int kPopulateWrite = MADV_POPULATE_WRITE;
#else
constexpr int kPopulateWrite = 23; // Linux 5.14; older kernels refuse it
#endif
constexpr std::size_t kMappingSize = kHeaderSize + kLogMax + kOutMax + kErrMax;

// The one mapping, laid out as Shared says.  Pages cost only once touched
// (with strict overcommit, vm.overcommit_memory = 2, the whole size is
// committed).
struct Mapping {
    Shared* shared;
    char* log;
    char* out;
    char* err;
};

std::optional<Mapping> mapShared() {
    void* page = ::mmap(nullptr, kMappingSize, PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (page == MAP_FAILED) {
        return std::nullopt;
    }
    char* base = static_cast<char*>(page);
    return Mapping{new (page) Shared, base + kHeaderSize, base + kHeaderSize + kLogMax,
                   base + kHeaderSize + kLogMax + kOutMax};
}

// Copies TEXT into the region AT of CAPACITY bytes; false if it does not fit.
bool putText(char* at, std::size_t capacity, std::atomic<std::uint64_t>& size,
             std::string_view text) {
    if (text.size() > capacity) {
        return false;
    }
    std::memcpy(at, text.data(), text.size());
    size.store(text.size(), std::memory_order_release);
    return true;
}

std::string_view textOf(const char* at, std::size_t capacity,
                        const std::atomic<std::uint64_t>& size) {
    return {at, static_cast<std::size_t>(
                    std::min<std::uint64_t>(size.load(std::memory_order_acquire), capacity))};
}

std::int64_t toNs(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// What a child after a killed one replays of the log.
struct Replay {
    std::uint64_t count = 0; // how many of the accesses logged
    bool late = false;       // the access after them timed out
};

// Hands the check's answer to the watcher through the shared mapping and
// exits at once, which wakes the watcher: what the check built is left to
// the kernel (or to the watcher's exit) to free.
[[noreturn]] void publish(const Mapping& m, bool checking, const std::string& refusing,
                          const std::string& out, std::string& err, int rc) {
    Shared& shared = *m.shared;
    if (!putText(m.out, kOutMax, shared.out_size, out)) {
        // Nothing is handed back rather than a cut document.
        shared.out_size.store(0);
        err += escapeLine(refusing + "the domain XML to hand back to libvirt is larger than " +
                          std::to_string(kOutMax) + " bytes") +
               '\n';
        rc = checking ? 1 : rc;
    }
    if (!putText(m.err, kErrMax, shared.err_size, err)) {
        (void)putText(m.err, kErrMax, shared.err_size, err.substr(0, kErrMax - 4) + "...\n");
    }
    shared.exit_code.store(rc);
    shared.finished.store(1, std::memory_order_release);
    ::_exit(0);
}

// The check, in the child.  Returns the hook's exit code; OUT and ERR
// take what it prints.
int check(const std::vector<std::string>& args, const std::string& xml, bool checking,
          const std::string& refusing, Clock::time_point started, const Mapping& m,
          const Replay& replay, std::string& out, std::string& err) {
    const auto say = [&err](const std::string& line) { err += escapeLine(line) + '\n'; };
    auto root = Root::fromEnvironment();
    if (!root) {
        if (checking) {
            say(refusing + root.error().message);
            return 1;
        }
        return 0;
    }
    // This process lives as long as the check: the directories its
    // lookups prove are kept for the next device.
    root->keepDirectories(true);
    Shared& shared = *m.shared;
    AccessLog log(m.log, kLogMax, shared.log_size);
    WatchedAttrIo io(*root, shared.progress, log, replay.count, replay.late);
    const Config defaults;
    Config config;
    std::optional<Error> config_error;
    if (auto c = loadConfig(configPath(*root), io, Deadline::after(defaults.attr_timeout))) {
        config = *c;
    } else {
        config_error = c.error();
    }
    shared.backstop_ns.store(toNs(started + config.timeout + std::chrono::milliseconds(1000)));

    const SysLog syslog(config.syslog);
    HookContext ctx{*root,
                    io,
                    config,
                    config_error,
                    syslog,
                    hostName(),
                    out,
                    err,
                    nullptr,
                    nullptr,
                    runDirectory(root->path())};
    ctx.started = started;
    // The command line is looked for only when one is started.
    ctx.spawn_recorder = [](const std::string& dom, const std::string& name) {
        return spawnRecorder(installedCliPath(), dom, name);
    };
    ctx.spawn_gc = [](const std::string& dom) { return spawnGc(installedCliPath(), dom); };
    ctx.answered = [&m, checking, &refusing, &out, &err](int rc) {
        publish(m, checking, refusing, out, err, rc);
    };
    return runHook(args, xml, ctx);
}

// Makes the start of the heap the check is about to fill in one call: a
// page the child first writes costs a page fault each, while
// MADV_POPULATE_WRITE (Linux 5.14) maps them all at once.  glibc's
// allocator is told to take blocks up to that size from the heap, not from
// mappings of their own, and not to give the populated top back when it is
// freed.  64 KiB plus 4 times the XML (at most 32 MiB, glibc's largest mmap
// threshold): a check of 64 mdevs, its domain read without libxml2
// (plain_xml.hpp), fills about 11 times the XML, but a page populated and
// not written costs more than the fault it saves where one is.  Measured
// with hookbench, three alternated runs of 600 (README, Benchmarks): 0.19
// to 0.22 ms less than 24 times the XML at 64 mdevs, 0.04 to 0.07 ms less
// at one; 64 KiB plus 0, 2 or 6 times were within the spread of 4 at 64.
void reserveHeap(std::size_t xml_size) {
    constexpr std::size_t kPage = 4096;
    constexpr std::size_t kMax = 32 * kMiB - kPage;
    const std::size_t want = std::min(64 * std::size_t{1024} + 4 * xml_size, kMax);
    (void)::mallopt(M_MMAP_THRESHOLD, static_cast<int>(want + kPage));
    (void)::mallopt(M_TRIM_THRESHOLD, static_cast<int>(2 * kMax));
    void* block = std::malloc(want); // NOLINT(cppcoreguidelines-no-malloc)
    if (block == nullptr) {
        return;
    }
    const std::size_t lead = (kPage - reinterpret_cast<std::uintptr_t>(block) % kPage) % kPage;
    if (want >= lead + kPage) {
        (void)::madvise(static_cast<char*>(block) + lead, (want - lead) & ~(kPage - 1),
                        kPopulateWrite);
    }
    std::free(block); // NOLINT(cppcoreguidelines-no-malloc)
}

[[noreturn]] void childMain(const std::vector<std::string>& args, const std::string& xml,
                            bool checking, const std::string& refusing, Clock::time_point started,
                            const Mapping& m, const Replay& replay, pid_t watcher) {
    // Nothing of libvirt's: the standard streams on /dev/null, every other
    // descriptor closed.
    if (!detachFromParent(watcher, {})) {
        ::_exit(1);
    }
    reserveHeap(xml.size());

    std::string out;
    std::string err;
    int rc = 0;
    try {
        // A check that knows its answer publishes it from within (see
        // HookContext::answered); the other operations return here.
        rc = check(args, xml, checking, refusing, started, m, replay, out, err);
    } catch (const std::exception& e) {
        if (checking) {
            err += escapeLine(refusing + e.what()) + '\n';
            rc = 1;
        }
    }
    publish(m, checking, refusing, out, err, rc);
}

// What the watcher needs of a child: its pid, a pidfd when the kernel gives
// one (-1 otherwise), and whether it shares this process's memory.
struct Child {
    pid_t pid = -1;
    int pidfd = -1;
    bool shares_memory = false;
};

// What childMain is called with, for a child started with clone.
struct ChildStart {
    const std::vector<std::string>& args;
    const std::string& xml;
    bool checking;
    const std::string& refusing;
    Clock::time_point started;
    const Mapping& m;
    const Replay& replay;
    pid_t watcher;
};

int sharedChildMain(void* arg) {
    const auto& s = *static_cast<const ChildStart*>(arg);
    childMain(s.args, s.xml, s.checking, s.refusing, s.started, s.m, s.replay, s.watcher);
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCanShareMemory = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kCanShareMemory = false;
#else
constexpr bool kCanShareMemory = true;
#endif
#else
constexpr bool kCanShareMemory = true;
#endif

// The stack of a child that shares this process's memory: as large as the
// usual limit of a main thread's, with an inaccessible page below it.
// Pages cost only once touched; it is never unmapped, since a killed child
// may still be in the kernel.
constexpr std::size_t kChildStack = 8 * kMiB;
constexpr std::size_t kGuard = 4096;

// Starts the check's child: sharing this process's memory when SHARE and
// the kernel allows (clone with CLONE_VM and CLONE_PIDFD, Linux 5.2),
// otherwise a fork.  pid -1 if neither could start.
Child startChild(bool share, const ChildStart& start) {
    if (share && kCanShareMemory) {
        void* area = ::mmap(nullptr, kChildStack + kGuard, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
        if (area != MAP_FAILED) {
            char* base = static_cast<char*>(area);
            int pidfd = -1;
            const pid_t pid =
                ::mprotect(base, kGuard, PROT_NONE) == 0
                    ? ::clone(sharedChildMain, base + kGuard + kChildStack,
                              CLONE_VM | CLONE_PIDFD | SIGCHLD,
                              const_cast<ChildStart*>(
                                  &start), // NOLINT(cppcoreguidelines-pro-type-const-cast)
                              &pidfd)
                    : -1;
            if (pid > 0) {
                return Child{pid, pidfd, true};
            }
            (void)::munmap(area, kChildStack + kGuard); // no child was started on it
        }
    }
    const pid_t pid = ::fork();
    if (pid == 0) {
        childMain(start.args, start.xml, start.checking, start.refusing, start.started, start.m,
                  start.replay, start.watcher);
    }
    if (pid < 0) {
        return Child{};
    }
    return Child{pid, static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)), false};
}

// Kills CHILD and reaps it if it dies within 20 ms; one stuck in the kernel
// (an uninterruptible store) is left to init.
void killChild(const Child& child) {
    ::kill(child.pid, SIGKILL);
    if (child.pidfd >= 0) {
        pollfd p{child.pidfd, POLLIN, 0};
        while (::poll(&p, 1, 20) < 0 && errno == EINTR) {
        }
    } else {
        ::usleep(1000);
    }
    ::waitpid(child.pid, nullptr, WNOHANG);
}

enum class Outcome { Finished, Exited, Late, Backstop };

// Watches CHILD until it has finished (its output and exit code are in
// SHARED; it exits on its own), it exits without having finished
// (STATUS), one of its accesses outlives its deadline (the child is
// killed; ANSWERED: how many accesses it had answered then), or the
// backstop passes.  Until the child is gone, nothing here allocates or
// sets errno: a child may share this process's memory.
Outcome watch(const Child& child, Shared& shared, int& status, std::uint64_t& answered) {
    for (;;) {
        if (shared.finished.load(std::memory_order_acquire) != 0) {
            return Outcome::Finished;
        }
        const std::uint64_t started = shared.progress.started.load(std::memory_order_acquire);
        const std::int64_t access_ns = shared.progress.deadline_ns.load(std::memory_order_relaxed);
        const std::uint64_t done = shared.progress.done.load(std::memory_order_acquire);
        const std::int64_t backstop_ns = shared.backstop_ns.load();
        const bool busy = started > done;
        const std::int64_t wake_ns = busy ? std::min(access_ns, backstop_ns) : backstop_ns;
        const std::int64_t now_ns = toNs(Clock::now());
        if (::waitpid(child.pid, &status, WNOHANG) == child.pid) {
            return shared.finished.load(std::memory_order_acquire) != 0 ? Outcome::Finished
                                                                        : Outcome::Exited;
        }
        if (now_ns >= backstop_ns) {
            killChild(child);
            return Outcome::Backstop;
        }
        if (busy && now_ns >= access_ns &&
            shared.progress.done.load(std::memory_order_acquire) == done) {
            answered = done;
            killChild(child);
            return Outcome::Late;
        }
        // Rounded up to the next millisecond, and at most kLookEveryMs:
        // the child's next access may have an earlier deadline.  The pidfd
        // wakes this process when the child exits, which it does as soon
        // as it has published its answer; poll's timeout sets no errno.
        constexpr std::int64_t kLookEveryMs = 5;
        const std::int64_t left_ms = (wake_ns - now_ns + 999999) / 1000000;
        pollfd p{child.pidfd, POLLIN, 0};
        (void)::poll(&p, child.pidfd >= 0 ? 1 : 0,
                     static_cast<int>(std::clamp<std::int64_t>(left_ms, 1, kLookEveryMs)));
    }
}

// The watcher's refusal, written without allocating: after a child that
// shared its memory was killed, the heap is not to be trusted.
class Refusal {
public:
    Refusal(bool checking, const std::string& refusing)
        : checking_(checking), head_(escapeLine(refusing)) {}

    // Writes the refusal WHY (plain ASCII) and DETAIL, and returns the
    // hook's exit code: 1 for a check, 0 otherwise (a start is never
    // failed).
    int operator()(std::string_view why, std::string_view detail = {}) const {
        if (!checking_) {
            return 0;
        }
        (void)writeAll(STDERR_FILENO, head_);
        (void)writeAll(STDERR_FILENO, why);
        (void)writeAll(STDERR_FILENO, detail);
        (void)writeAll(STDERR_FILENO, "\n");
        return 1;
    }

private:
    bool checking_;
    std::string head_;
};

// " (ENOMEM: Cannot allocate memory)" for ERR, in BUF.
std::string_view errnoDetail(int err, std::array<char, 160>& buf) {
    const char* name = ::strerrorname_np(err);
    const char* text = ::strerrordesc_np(err);
    const int n = std::snprintf(buf.data(), buf.size(), " (%s: %s)", name ? name : "E?",
                                text ? text : "unknown error");
    return {buf.data(), n < 0 ? 0 : std::min(static_cast<std::size_t>(n), buf.size() - 1)};
}

} // namespace

int engineMain(const std::vector<std::string>& args, std::string xml) {
    const auto arg = [&args](std::size_t i) { return i < args.size() ? args[i].c_str() : ""; };
    const bool checking =
        args.size() >= 3 && hookAction(hookOpFromString(arg(1)), hookSubopFromString(arg(2))) ==
                                HookAction::CheckIncoming;
    const std::string refusing = refusalPrefix(
        args.size() >= 2 ? hookOpFromString(arg(1)) : HookOp::Unknown, args.empty() ? "-" : arg(0));
    const Refusal give_up(checking, refusing);
    std::array<char, 160> detail{};
    const Clock::time_point started = Clock::now();
    // libvirt reads what a hook prints as a C string: a NUL byte ends the
    // document for it, and so for the check.
    if (const auto nul = xml.find('\0'); nul != std::string::npos) {
        xml.resize(nul);
    }
    const auto mapping = mapShared();
    if (!mapping) {
        return give_up("cannot map memory to share with the check", errnoDetail(errno, detail));
    }
    Shared* shared = mapping->shared;
    const Config defaults;
    shared->backstop_ns.store(
        toNs(started + defaults.timeout + defaults.attr_timeout + std::chrono::milliseconds(1000)));
    Replay replay;
    const ChildStart start{args, xml, checking, refusing, started, *mapping, replay, ::getpid()};
    // From here on the process leaves with _exit: a child that shares its
    // memory may have left the heap (and what exit would run) half-done.
    bool trusted = true;
    for (;;) {
        shared->progress.started.store(0);
        shared->progress.done.store(0);
        shared->progress.deadline_ns.store(0);
        shared->finished.store(0);
        shared->out_size.store(0);
        shared->err_size.store(0);
        const Child child = startChild(trusted, start);
        if (child.pid < 0) {
            ::_exit(give_up("cannot start the check", errnoDetail(errno, detail)));
        }
        const UniqueFd pidfd(child.pidfd);
        int status = 0;
        std::uint64_t answered = 0;
        const Outcome outcome = watch(child, *shared, status, answered);
        if (outcome != Outcome::Finished && child.shares_memory) {
            trusted = false;
        }
        switch (outcome) {
        case Outcome::Exited:
            if (WIFSIGNALED(status)) {
                const int n = std::snprintf(detail.data(), detail.size(), " (killed by signal %d)",
                                            WTERMSIG(status));
                ::_exit(give_up("the check ended without an answer",
                                {detail.data(), static_cast<std::size_t>(std::max(n, 0))}));
            }
            ::_exit(give_up("the check ended without an answer"));
        case Outcome::Finished:
            if (!writeAll(STDOUT_FILENO, textOf(mapping->out, kOutMax, shared->out_size)) &&
                checking && shared->exit_code.load() == 0) {
                // libvirt would take a cut document for the domain's definition.
                ::_exit(give_up("cannot hand the domain XML back to libvirt (writing it failed)"));
            }
            (void)writeAll(STDERR_FILENO, textOf(mapping->err, kErrMax, shared->err_size));
            ::_exit(shared->exit_code.load());
        case Outcome::Backstop:
            ::_exit(give_up("the check did not finish in time (timed out)"));
        case Outcome::Late: {
            // A new child replays this one's answers; the access it was
            // stuck in times out, unless it was answered before the kill.
            const std::uint64_t done = shared->progress.done.load(std::memory_order_acquire);
            replay.late = done == answered;
            replay.count = done;
            break;
        }
        }
    }
}

} // namespace mdevmc
