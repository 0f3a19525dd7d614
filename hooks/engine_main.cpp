// The engine's entry.  This process, which holds libvirt's pipes, watches;
// a child process makes the check (the configuration, the hook's context,
// runHook) and every filesystem access itself (sysfs/watched_io.hpp).  The
// child's standard streams are /dev/null: what it prints, and its exit
// code, come back through memory files and a shared page, and this process
// hands them to libvirt.  When one of the child's accesses outlives its
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
#include <csignal>
#include <poll.h>
#include <sstream>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mdevmc {

namespace {

using Clock = Deadline::Clock;

// The page the watcher and the check's child share.
struct Shared {
    AccessProgress progress;
    // When the watcher gives up on the whole check (monotonic ns): from the
    // defaults at first, from the configuration once the child read it.
    std::atomic<std::int64_t> backstop_ns{0};
    std::atomic<int> exit_code{0};
    std::atomic<bool> finished{false}; // the child wrote its output and exit code
};

std::int64_t toNs(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// What one run of the child is given: where it writes, and what it replays.
struct ChildFiles {
    UniqueFd out;
    UniqueFd err;
    UniqueFd log;
};

Result<UniqueFd> memoryFile(const char* name) {
    UniqueFd fd(::memfd_create(name, MFD_CLOEXEC));
    if (!fd.valid()) {
        const int e = errno;
        return fail("cannot create a memory file (" + errnoPhrase(e) + ")", e);
    }
    return fd;
}

struct Replay {
    UniqueFd log;            // the log of the child before (invalid: none)
    std::uint64_t count = 0; // how many of its accesses to replay
    bool late = false;       // the access after them timed out
};

// The check, in the child.  Returns the hook's exit code; OUT and ERR
// take what it prints.
int check(const std::vector<std::string>& args, const std::string& xml, bool checking,
          const std::string& refusing, Clock::time_point started, Shared& shared,
          const ChildFiles& files, const Replay& replay, std::ostream& out, std::ostream& err) {
    const auto say = [&err](const std::string& line) { err << escapeLine(line) << '\n'; };
    auto root = Root::fromEnvironment();
    if (!root) {
        if (checking) {
            say(refusing + root.error().message);
            return 1;
        }
        return 0;
    }
    std::vector<LoggedAccess> logged;
    if (replay.log.valid()) {
        logged = readAccessLog(replay.log.get(), replay.count);
    }
    WatchedAttrIo io(*root, shared.progress, files.log.get(), std::move(logged), replay.late);
    const Config defaults;
    Config config;
    std::optional<Error> config_error;
    if (auto c = loadConfig(configPath(*root), io, Deadline::after(defaults.attr_timeout))) {
        config = *c;
    } else {
        config_error = c.error();
    }
    shared.backstop_ns.store(toNs(started + config.timeout + std::chrono::milliseconds(1000)));

    const SysLog log(config.syslog);
    const std::string cli = installedCliPath();
    HookContext ctx{*root,
                    io,
                    config,
                    config_error,
                    log,
                    hostName(),
                    out,
                    err,
                    nullptr,
                    nullptr,
                    runDirectory(root->path())};
    ctx.started = started;
    ctx.spawn_recorder = [&cli](const std::string& dom, const std::string& name) {
        return spawnRecorder(cli, dom, name);
    };
    ctx.spawn_gc = [&cli](const std::string& dom) { return spawnGc(cli, dom); };
    return runHook(args, xml, ctx);
}

[[noreturn]] void childMain(const std::vector<std::string>& args, const std::string& xml,
                            bool checking, const std::string& refusing, Clock::time_point started,
                            Shared& shared, const ChildFiles& files, const Replay& replay,
                            pid_t watcher) {
    // Nothing of libvirt's: the standard streams on /dev/null, every other
    // descriptor closed but the memory files.
    if (!detachFromParent(watcher,
                          {files.out.get(), files.err.get(), files.log.get(), replay.log.get()})) {
        ::_exit(1);
    }

    std::ostringstream out;
    std::ostringstream err;
    int rc = 0;
    try {
        rc = check(args, xml, checking, refusing, started, shared, files, replay, out, err);
    } catch (const std::exception& e) {
        if (checking) {
            err << escapeLine(refusing + e.what()) << '\n';
            rc = 1;
        }
    }
    if (!writeAll(files.out.get(), out.str()) || !writeAll(files.err.get(), err.str())) {
        ::_exit(1);
    }
    shared.exit_code.store(rc);
    shared.finished.store(true, std::memory_order_release);
    ::_exit(0);
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

enum class Outcome { Exited, Late, Backstop };

// Watches the child PID until it exits (STATUS), one of its accesses
// outlives its deadline (the child is killed; ANSWERED: how many accesses it
// had answered then), or the backstop passes.
Outcome watch(pid_t pid, Shared& shared, int& status, std::uint64_t& answered) {
    const UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    for (;;) {
        const std::uint64_t started = shared.progress.started.load(std::memory_order_acquire);
        const std::int64_t access_ns = shared.progress.deadline_ns.load(std::memory_order_relaxed);
        const std::uint64_t done = shared.progress.done.load(std::memory_order_acquire);
        const std::int64_t backstop_ns = shared.backstop_ns.load();
        const bool busy = started > done;
        const std::int64_t wake_ns = busy ? std::min(access_ns, backstop_ns) : backstop_ns;
        const std::int64_t now_ns = toNs(Clock::now());
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            return Outcome::Exited;
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
        // the child's next access may have an earlier deadline.  Without a
        // pidfd (before Linux 5.3) the child is looked at every millisecond.
        constexpr std::int64_t kLookEveryMs = 5;
        const std::int64_t left_ms = (wake_ns - now_ns + 999999) / 1000000;
        const int wait_ms =
            pidfd.valid() ? static_cast<int>(std::min<std::int64_t>(left_ms, kLookEveryMs)) : 1;
        pollfd p{pidfd.get(), POLLIN, 0};
        if (pidfd.valid()) {
            (void)::poll(&p, 1, wait_ms);
        } else {
            ::usleep(static_cast<useconds_t>(wait_ms) * 1000);
        }
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
    void* page =
        ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
        return give_up("cannot map memory to share with the check (" + errnoPhrase(errno) + ")");
    }
    auto* shared = new (page) Shared;
    const Config defaults;
    shared->backstop_ns.store(
        toNs(started + defaults.timeout + defaults.attr_timeout + std::chrono::milliseconds(1000)));
    const pid_t self = ::getpid();
    Replay replay;
    for (;;) {
        ChildFiles files;
        for (auto [fd, name] :
             {std::pair{&files.out, "hook-out"}, std::pair{&files.err, "hook-err"},
              std::pair{&files.log, "hook-log"}}) {
            auto made = memoryFile(name);
            if (!made) {
                return give_up(made.error().message);
            }
            *fd = std::move(*made);
        }
        shared->progress.started.store(0);
        shared->progress.done.store(0);
        shared->progress.deadline_ns.store(0);
        shared->finished.store(false);
        const pid_t pid = ::fork();
        if (pid < 0) {
            return give_up("cannot start the check (" + errnoPhrase(errno) + ")");
        }
        if (pid == 0) {
            childMain(args, xml, checking, refusing, started, *shared, files, replay, self);
        }
        int status = 0;
        std::uint64_t answered = 0;
        switch (watch(pid, *shared, status, answered)) {
        case Outcome::Exited:
            if (!shared->finished.load(std::memory_order_acquire)) {
                return give_up(WIFSIGNALED(status)
                                   ? "the check ended without an answer (killed by signal " +
                                         std::to_string(WTERMSIG(status)) + ")"
                                   : "the check ended without an answer");
            }
            if (!writeAll(STDOUT_FILENO, readFromStart(files.out.get())) && checking &&
                shared->exit_code.load() == 0) {
                // libvirt would take a cut document for the domain's definition.
                return give_up("cannot hand the domain XML back to libvirt (writing it failed)");
            }
            (void)writeAll(STDERR_FILENO, readFromStart(files.err.get()));
            return shared->exit_code.load();
        case Outcome::Backstop:
            return give_up("the check did not finish in time (timed out)");
        case Outcome::Late: {
            // A new child replays this one's answers; the access it was
            // stuck in times out, unless it was answered before the kill.
            const std::uint64_t done = shared->progress.done.load(std::memory_order_acquire);
            replay.late = done == answered;
            replay.count = done;
            replay.log = std::move(files.log);
            break;
        }
        }
    }
}

} // namespace mdevmc
