// The engine's entry.  This process, which holds libvirt's pipes, watches;
// a child process makes the check (the configuration, the hook's context,
// runHook) and every filesystem access itself (sysfs/watched_io.hpp).  The
// child's standard streams are /dev/null: what it prints, its exit code and
// the log of its accesses are in memory this process maps shared with it,
// and this process hands the first two to libvirt.  When one of the child's accesses outlives its
// deadline, the child is killed and a new one replays what the first
// logged, takes that access as timed out and goes on; when the whole check
// outlives its own bound, the watcher refuses (a start is never failed).
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
#include <atomic>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <linux/futex.h>
#include <optional>
#include <poll.h>
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
    // 1 once the child wrote its output and exit code; a futex word the
    // watcher sleeps on, so that it answers libvirt without waiting for
    // the child's exit.
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

// The futex calls on the shared WORD (not private: two processes map it).
// std::atomic<std::uint32_t> is the 32-bit word itself.
static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
std::uint32_t* futexWord(std::atomic<std::uint32_t>& word) {
    return reinterpret_cast<std::uint32_t*>(
        &word); // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
}

void wakeWatcher(std::atomic<std::uint32_t>& word) {
    (void)::syscall(SYS_futex, futexWord(word), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

// Sleeps until WORD is no longer 0, or for at most MS milliseconds.
void sleepWhileZero(std::atomic<std::uint32_t>& word, int ms) {
    const timespec t{ms / 1000, static_cast<long>(ms % 1000) * 1000000L};
    (void)::syscall(SYS_futex, futexWord(word), FUTEX_WAIT, 0U, &t, nullptr, 0);
}

// Hands the check's answer to the watcher through the shared mapping and
// exits at once: what the check built is left to the kernel to free.
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
    wakeWatcher(shared.finished);
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

[[noreturn]] void childMain(const std::vector<std::string>& args, const std::string& xml,
                            bool checking, const std::string& refusing, Clock::time_point started,
                            const Mapping& m, const Replay& replay, pid_t watcher) {
    // Nothing of libvirt's: the standard streams on /dev/null, every other
    // descriptor closed.
    if (!detachFromParent(watcher, {})) {
        ::_exit(1);
    }

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

// Kills PID and reaps it if it dies within 20 ms; one stuck in the kernel
// (an uninterruptible store) is left to init.
void killChild(pid_t pid, int pidfd) {
    ::kill(pid, SIGKILL);
    if (pidfd >= 0) {
        pollfd p{pidfd, POLLIN, 0};
        while (::poll(&p, 1, 20) < 0 && errno == EINTR) {
        }
    } else {
        ::usleep(1000);
    }
    ::waitpid(pid, nullptr, WNOHANG);
}

enum class Outcome { Finished, Exited, Late, Backstop };

// Watches the child PID until it has finished (its output and exit code
// are in SHARED; it is left to exit on its own), it exits without having
// finished (STATUS), one of its accesses outlives its deadline (the child
// is killed; ANSWERED: how many accesses it had answered then), or the
// backstop passes.
Outcome watch(pid_t pid, Shared& shared, int& status, std::uint64_t& answered) {
    const UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
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
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            return shared.finished.load(std::memory_order_acquire) != 0 ? Outcome::Finished
                                                                        : Outcome::Exited;
        }
        if (now_ns >= backstop_ns) {
            killChild(pid, pidfd.get());
            return Outcome::Backstop;
        }
        if (busy && now_ns >= access_ns &&
            shared.progress.done.load(std::memory_order_acquire) == done) {
            answered = done;
            killChild(pid, pidfd.get());
            return Outcome::Late;
        }
        // Rounded up to the next millisecond, and at most kLookEveryMs:
        // the child's next access may have an earlier deadline, and a child
        // that dies without finishing is seen at the next look.
        constexpr std::int64_t kLookEveryMs = 5;
        const std::int64_t left_ms = (wake_ns - now_ns + 999999) / 1000000;
        sleepWhileZero(shared.finished,
                       static_cast<int>(std::clamp<std::int64_t>(left_ms, 1, kLookEveryMs)));
    }
}

} // namespace

int engineMain(const std::vector<std::string>& args, std::string xml) {
    const auto arg = [&args](std::size_t i) { return i < args.size() ? args[i].c_str() : ""; };
    const bool checking =
        args.size() >= 3 && hookAction(hookOpFromString(arg(1)), hookSubopFromString(arg(2))) ==
                                HookAction::CheckIncoming;
    const std::string refusing = refusalPrefix(
        args.size() >= 2 ? hookOpFromString(arg(1)) : HookOp::Unknown, args.empty() ? "-" : arg(0));
    const auto give_up = [&](const std::string& why) {
        if (!checking) {
            return 0; // a start is never failed
        }
        (void)writeAll(STDERR_FILENO, escapeLine(refusing + why) + "\n");
        return 1;
    };
    const Clock::time_point started = Clock::now();
    // libvirt reads what a hook prints as a C string: a NUL byte ends the
    // document for it, and so for the check.
    if (const auto nul = xml.find('\0'); nul != std::string::npos) {
        xml.resize(nul);
    }
    const auto mapping = mapShared();
    if (!mapping) {
        return give_up("cannot map memory to share with the check (" + errnoPhrase(errno) + ")");
    }
    Shared* shared = mapping->shared;
    const Config defaults;
    shared->backstop_ns.store(
        toNs(started + defaults.timeout + defaults.attr_timeout + std::chrono::milliseconds(1000)));
    const pid_t self = ::getpid();
    Replay replay;
    for (;;) {
        shared->progress.started.store(0);
        shared->progress.done.store(0);
        shared->progress.deadline_ns.store(0);
        shared->finished.store(0);
        shared->out_size.store(0);
        shared->err_size.store(0);
        const pid_t pid = ::fork();
        if (pid < 0) {
            return give_up("cannot start the check (" + errnoPhrase(errno) + ")");
        }
        if (pid == 0) {
            childMain(args, xml, checking, refusing, started, *mapping, replay, self);
        }
        int status = 0;
        std::uint64_t answered = 0;
        switch (watch(pid, *shared, status, answered)) {
        case Outcome::Exited:
            return give_up(WIFSIGNALED(status)
                               ? "the check ended without an answer (killed by signal " +
                                     std::to_string(WTERMSIG(status)) + ")"
                               : "the check ended without an answer");
        case Outcome::Finished:
            if (!writeAll(STDOUT_FILENO, textOf(mapping->out, kOutMax, shared->out_size)) &&
                checking && shared->exit_code.load() == 0) {
                // libvirt would take a cut document for the domain's definition.
                return give_up("cannot hand the domain XML back to libvirt (writing it failed)");
            }
            (void)writeAll(STDERR_FILENO, textOf(mapping->err, kErrMax, shared->err_size));
            return shared->exit_code.load();
        case Outcome::Backstop:
            return give_up("the check did not finish in time (timed out)");
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
