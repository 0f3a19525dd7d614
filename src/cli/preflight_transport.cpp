#include "cli/preflight_transport.hpp"

#include "util/deadline.hpp"
#include "util/errno_name.hpp"
#include "util/unique_fd.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <map>
#include <memory>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mdevmc::cli {

namespace {

// A started job: its pipes (invalid once at their end) and its deadline.
struct Running {
    std::size_t job = 0;
    pid_t pid = -1;
    UniqueFd in;
    UniqueFd out;
    UniqueFd err;
    std::size_t written = 0;
    Deadline deadline = Deadline::never();
    bool reaped = false;
    int status = 0;
};

// In the child, after fork: its standard descriptors, a process group of
// its own, SIGPIPE's default action, then ARGV.  Exec's errno goes to
// REPORT (close-on-exec: the parent reads end of file on success).
[[noreturn]] void execChild(int in, int out, int err, int report,
                            const std::vector<std::string>& args) {
    ::setpgid(0, 0);
    ::signal(SIGPIPE, SIG_DFL);
    if (::dup2(in, STDIN_FILENO) < 0 || ::dup2(out, STDOUT_FILENO) < 0 ||
        ::dup2(err, STDERR_FILENO) < 0) {
        const int e = errno;
        (void)!::write(report, &e, sizeof e);
        ::_exit(127);
    }
    // Every descriptor above 2 except REPORT (close-on-exec itself).
    if (report > 3) {
        ::syscall(SYS_close_range, 3U, static_cast<unsigned>(report - 1), 0U);
    }
    ::syscall(SYS_close_range, static_cast<unsigned>(report + 1), ~0U, 0U);
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (const auto& a : args) {
        argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    const int e = errno;
    (void)!::write(report, &e, sizeof e);
    ::_exit(127);
}

bool makePipe(UniqueFd& rd, UniqueFd& wr) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        return false;
    }
    rd.reset(fds[0]);
    wr.reset(fds[1]);
    return true;
}

// Starts JOB; on failure returns the errno (and R is not started).
int start(const ChildJob& job, Running& r) {
    if (job.argv.empty()) {
        return EINVAL;
    }
    UniqueFd in_rd, in_wr, out_rd, out_wr, err_rd, err_wr, rep_rd, rep_wr;
    if (!makePipe(in_rd, in_wr) || !makePipe(out_rd, out_wr) || !makePipe(err_rd, err_wr) ||
        !makePipe(rep_rd, rep_wr)) {
        return errno;
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
        return errno;
    }
    if (pid == 0) {
        execChild(in_rd.get(), out_wr.get(), err_wr.get(), rep_wr.get(), job.argv);
    }
    ::setpgid(pid, pid);
    rep_wr.reset();
    int e = 0;
    ssize_t n = 0;
    do {
        n = ::read(rep_rd.get(), &e, sizeof e);
    } while (n < 0 && errno == EINTR);
    if (n == static_cast<ssize_t>(sizeof e)) {
        ::waitpid(pid, nullptr, 0); // it exits at once (127)
        return e != 0 ? e : EIO;
    }
    r.pid = pid;
    r.in = std::move(in_wr);
    r.out = std::move(out_rd);
    r.err = std::move(err_rd);
    for (const int fd : {r.in.get(), r.out.get(), r.err.get()}) {
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
    if (job.input.empty()) {
        r.in.reset();
    }
    return 0;
}

// Kills R's process group and reaps it (a few tries: a process that does
// not go is left, never waited for without bound).
void killGroup(Running& r) {
    ::kill(-r.pid, SIGKILL);
    ::kill(r.pid, SIGKILL);
    for (int i = 0; i < 200 && !r.reaped; ++i) {
        if (::waitpid(r.pid, &r.status, WNOHANG) == r.pid) {
            r.reaped = true;
        } else {
            ::usleep(1000);
        }
    }
}

// Appends what FD holds to TO, keeping at most LIMIT bytes (KEPT_ALL:
// cleared when more came); resets FD at its end.
void drain(UniqueFd& fd, std::string& to, std::size_t limit, bool& kept_all) {
    char buf[16384];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        }
        if (n <= 0) {
            fd.reset();
            return;
        }
        const std::size_t room = limit - std::min(limit, to.size());
        to.append(buf, std::min(room, static_cast<std::size_t>(n)));
        if (static_cast<std::size_t>(n) > room) {
            kept_all = false;
        }
    }
}

void feed(Running& r, const std::string& input) {
    while (r.in.valid() && r.written < input.size()) {
        const ssize_t n = ::write(r.in.get(), input.data() + r.written, input.size() - r.written);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        }
        if (n < 0) {
            r.in.reset(); // EPIPE: it does not read its input
            return;
        }
        r.written += static_cast<std::size_t>(n);
    }
    r.in.reset();
}

// SIGPIPE ignored while the loop writes to children that may be gone
// (restored on destruction).
class IgnoreSigpipe {
public:
    IgnoreSigpipe() {
        struct sigaction ign {};
        ign.sa_handler = SIG_IGN;
        ::sigaction(SIGPIPE, &ign, &old_);
    }
    ~IgnoreSigpipe() { ::sigaction(SIGPIPE, &old_, nullptr); }
    IgnoreSigpipe(const IgnoreSigpipe&) = delete;
    IgnoreSigpipe& operator=(const IgnoreSigpipe&) = delete;

private:
    struct sigaction old_ {};
};

class Runner {
public:
    Runner(const std::vector<ChildJob>& jobs, const ChildLimits& limits)
        : jobs_(jobs), limits_(limits), outcomes_(jobs.size()), started_(jobs.size(), false) {}

    std::vector<ChildOutcome> run() {
        const IgnoreSigpipe ignore;
        for (;;) {
            startWhatFits();
            if (running_.empty()) {
                break;
            }
            pollOnce();
            finishWhatEnded();
        }
        return std::move(outcomes_);
    }

private:
    void startWhatFits() {
        for (std::size_t j = 0; j < jobs_.size() && running_.size() < limits_.parallel; ++j) {
            if (started_[j] || per_group_[jobs_[j].group] >= limits_.per_group) {
                continue;
            }
            started_[j] = true;
            auto r = std::make_unique<Running>();
            r->job = j;
            r->deadline = Deadline::after(limits_.timeout);
            if (const int e = start(jobs_[j], *r); e != 0) {
                outcomes_[j].status = ChildOutcome::Status::SpawnFailed;
                outcomes_[j].err = e;
                continue;
            }
            ++per_group_[jobs_[j].group];
            feed(*r, jobs_[j].input);
            running_.push_back(std::move(r));
        }
    }

    void pollOnce() {
        std::vector<pollfd> fds;
        auto wait = std::chrono::milliseconds::max();
        for (const auto& r : running_) {
            wait = std::min(wait, r->deadline.remaining());
            if (!r->out.valid() && !r->err.valid()) {
                // Its pipes are closed but it has not exited: look again soon.
                wait = std::min(wait, std::chrono::milliseconds(10));
            }
            for (const auto& [fd, ev] :
                 {std::pair{r->in.get(), POLLOUT}, std::pair{r->out.get(), POLLIN},
                  std::pair{r->err.get(), POLLIN}}) {
                if (fd >= 0) {
                    fds.push_back({fd, static_cast<short>(ev), 0});
                }
            }
        }
        const auto ms = std::min<long long>(wait.count(), 60000);
        if (::poll(fds.data(), fds.size(), static_cast<int>(ms)) < 0 && errno != EINTR) {
            ::usleep(1000); // ENOMEM: try again, still bounded by the deadlines
        }
    }

    void finishWhatEnded() {
        for (auto it = running_.begin(); it != running_.end();) {
            Running& r = **it;
            ChildOutcome& o = outcomes_[r.job];
            feed(r, jobs_[r.job].input);
            bool out_whole = true;
            bool err_whole = true; // stderr beyond its bound is dropped
            if (r.out.valid()) {
                drain(r.out, o.out, limits_.max_out, out_whole);
            }
            if (r.err.valid()) {
                drain(r.err, o.err_text, limits_.max_err, err_whole);
            }
            if (!r.reaped && ::waitpid(r.pid, &r.status, WNOHANG) == r.pid) {
                r.reaped = true;
            }
            const bool ended = r.reaped && !r.out.valid() && !r.err.valid();
            if (!ended && out_whole && !r.deadline.expired()) {
                ++it;
                continue;
            }
            if (!out_whole) {
                o.status = ChildOutcome::Status::TooLarge;
                killGroup(r);
            } else if (!ended) {
                o.status = ChildOutcome::Status::TimedOut;
                killGroup(r);
            } else if (WIFSIGNALED(r.status)) {
                o.status = ChildOutcome::Status::Signaled;
                o.signal = WTERMSIG(r.status);
            } else {
                o.status = ChildOutcome::Status::Exited;
                o.exit_code = WEXITSTATUS(r.status);
            }
            if (r.reaped || o.status == ChildOutcome::Status::TimedOut ||
                o.status == ChildOutcome::Status::TooLarge) {
                // What is left of its group goes too (a child that kept
                // our pipes open after its parent exited).
                ::kill(-r.pid, SIGKILL);
            }
            --per_group_[jobs_[r.job].group];
            it = running_.erase(it);
        }
    }

    const std::vector<ChildJob>& jobs_;
    const ChildLimits& limits_;
    std::vector<ChildOutcome> outcomes_;
    std::vector<bool> started_;
    std::map<std::string, std::size_t> per_group_;
    std::vector<std::unique_ptr<Running>> running_;
};

} // namespace

std::vector<ChildOutcome> runChildren(const std::vector<ChildJob>& jobs,
                                      const ChildLimits& limits) {
    return Runner(jobs, limits).run();
}

std::string describeOutcome(const ChildOutcome& o, const ChildLimits& limits) {
    switch (o.status) {
    case ChildOutcome::Status::Exited:
        return "exited with status " + std::to_string(o.exit_code);
    case ChildOutcome::Status::Signaled:
        return "was killed by signal " + std::to_string(o.signal);
    case ChildOutcome::Status::TimedOut:
        return "did not finish within " + std::to_string(limits.timeout.count() / 1000) +
               " s (timed out)";
    case ChildOutcome::Status::TooLarge:
        return "wrote more than " + std::to_string(limits.max_out) + " bytes";
    case ChildOutcome::Status::SpawnFailed:
        return "could not be started: " + errnoName(o.err) + ": " + errnoText(o.err);
    }
    return "unknown";
}

} // namespace mdevmc::cli
