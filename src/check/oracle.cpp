#include "check/oracle.hpp"

#include "mdev/validate.hpp"
#include "util/errno_name.hpp"
#include "util/unique_fd.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mdevmc {

namespace {

bool isOracleName(std::string_view s) {
    return !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

bool printableText(std::string_view s, bool spaces) {
    return std::all_of(s.begin(), s.end(), [spaces](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        return (c > 0x20 || (spaces && c == 0x20)) && c <= 0x7e;
    });
}

// Kills the oracle's process group and reaps it without waiting on a
// process stuck in the kernel: what cannot be reaped in a moment is left
// to init.
void killAndReap(pid_t pid) {
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
    for (int i = 0; i < 50; ++i) {
        if (::waitpid(pid, nullptr, WNOHANG) != 0) {
            return;
        }
        ::usleep(2000);
    }
}

[[noreturn]] void execChild(int out_fd, const std::string& path,
                            const std::vector<std::string>& args,
                            const std::vector<std::string>& env) {
    ::setpgid(0, 0);
    const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd < 0 || ::dup2(null_fd, STDIN_FILENO) < 0 || ::dup2(out_fd, STDOUT_FILENO) < 0 ||
        ::dup2(null_fd, STDERR_FILENO) < 0) {
        ::_exit(127);
    }
    ::syscall(SYS_close_range, 3U, ~0U, 0U);
    std::vector<char*> argv;
    argv.reserve(args.size() + 2);
    argv.push_back(const_cast<char*>(path.c_str()));
    for (const auto& a : args) {
        argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    std::vector<char*> envp;
    envp.reserve(env.size() + 1);
    for (const auto& e : env) {
        envp.push_back(const_cast<char*>(e.c_str()));
    }
    envp.push_back(nullptr);
    ::execve(path.c_str(), argv.data(), envp.data());
    ::_exit(127);
}

} // namespace

const char* toString(OracleAnswer::Kind k) {
    switch (k) {
    case OracleAnswer::Kind::Token:
        return "token";
    case OracleAnswer::Kind::Unclaimed:
        return "unclaimed";
    case OracleAnswer::Kind::Compatible:
        return "compatible";
    case OracleAnswer::Kind::Incompatible:
        return "incompatible";
    case OracleAnswer::Kind::Unknown:
        return "unknown";
    }
    return "unknown";
}

OracleAnswer parseOracleAnswer(std::string_view output, bool record) {
    const std::string_view line = output.substr(0, output.find('\n'));
    const auto sp = line.find(' ');
    const std::string_view word = line.substr(0, sp);
    const std::string_view rest = sp == std::string_view::npos ? "" : line.substr(sp + 1);
    const auto bad = [&](const std::string& why) {
        return OracleAnswer{OracleAnswer::Kind::Unknown, why};
    };
    if (word == "unclaimed" && rest.empty()) {
        return {OracleAnswer::Kind::Unclaimed, {}};
    }
    if (record && word == "token") {
        if (rest.empty() || rest.size() > 4096 || !printableText(rest, false)) {
            return bad("the oracle's token is not 1 to 4096 printable ASCII characters without "
                       "spaces");
        }
        return {OracleAnswer::Kind::Token, std::string(rest)};
    }
    if (!record && word == "compatible" && rest.empty()) {
        return {OracleAnswer::Kind::Compatible, {}};
    }
    if ((!record && word == "incompatible") || word == "unknown") {
        if (rest.empty() || !printableText(rest, true)) {
            return bad("the oracle's reason is missing or not printable ASCII");
        }
        return {word == "unknown" ? OracleAnswer::Kind::Unknown : OracleAnswer::Kind::Incompatible,
                std::string(rest.substr(0, kMaxOracleReason))};
    }
    return bad("the oracle answered " + quoteValue(line) +
               ", which is not an answer of protocol 1");
}

const std::vector<std::string>& Oracles::names() {
    if (names_) {
        return *names_;
    }
    names_.emplace();
    if (!config_.oracles_auto && config_.oracles.empty()) {
        return *names_;
    }
    for (const char* dir : {kOraclesEtcDir, kOraclesLibexecDir}) {
        auto entries = io_.list(dir, lookup());
        if (!entries) {
            continue;
        }
        for (auto& n : *entries) {
            if (isOracleName(n)) {
                names_->push_back(std::move(n));
            }
        }
    }
    std::sort(names_->begin(), names_->end());
    names_->erase(std::unique(names_->begin(), names_->end()), names_->end());
    if (!config_.oracles_auto) {
        std::erase_if(*names_, [&](const std::string& n) {
            return std::find(config_.oracles.begin(), config_.oracles.end(), n) ==
                   config_.oracles.end();
        });
    }
    std::erase_if(*names_, [&](const std::string& n) {
        std::string why;
        return !executable(n, why);
    });
    return *names_;
}

std::optional<std::string> Oracles::executable(const std::string& name, std::string& why) const {
    if (!isOracleName(name)) {
        why = "the oracle name " + quoteValue(name) + " is not valid";
        return std::nullopt;
    }
    for (const char* dir : {kOraclesEtcDir, kOraclesLibexecDir}) {
        const std::string rel = joinPath(dir, name);
        auto kind = io_.stat(rel, false, lookup());
        if (!kind) {
            continue;
        }
        // A link to /dev/null in oracles.d disables the oracle.
        if (S_ISLNK(kind->mode)) {
            if (auto target = io_.readLink(rel, lookup()); target && *target == "/dev/null") {
                why = "oracle " + name + " is disabled ('" + root_.display(rel) + "')";
                return std::nullopt;
            }
        }
        auto canonical = io_.resolve(rel, lookup());
        if (!canonical) {
            why = canonical.error().message;
            return std::nullopt;
        }
        auto target = io_.stat(*canonical, true, lookup());
        if (!target || !S_ISREG(target->mode) || (target->mode & S_IXUSR) == 0) {
            why = "'" + root_.display(*canonical) + "' is not an executable file";
            return std::nullopt;
        }
        return root_.display(*canonical);
    }
    why = "oracle " + name + " is not installed on this host";
    return std::nullopt;
}

OracleAnswer Oracles::record(const std::string& name, std::string_view uuid, std::string_view type,
                             std::string_view parent, Deadline deadline) {
    return run(name, {"record", std::string(uuid), std::string(type), std::string(parent)}, true,
               deadline);
}

OracleAnswer Oracles::check(const std::string& name, std::string_view uuid, std::string_view type,
                            std::string_view parent, std::string_view token, Deadline deadline) {
    return run(
        name,
        {"check", std::string(uuid), std::string(type), std::string(parent), std::string(token)},
        false, deadline);
}

OracleAnswer Oracles::run(const std::string& name, const std::vector<std::string>& args,
                          bool record, Deadline deadline) {
    std::string why;
    const auto path = executable(name, why);
    if (!path) {
        return {OracleAnswer::Kind::Unclaimed, why};
    }
    const auto left = deadline.remaining();
    std::vector<std::string> env{"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                                 "MDEV_MIGCHECK_ROOT=" + root_.path(),
                                 "MDEV_MIGCHECK_ORACLE_PROTOCOL=1",
                                 "MDEV_MIGCHECK_DEADLINE_MS=" + std::to_string(left.count())};
    if (const char* ld = ::getenv("LD_LIBRARY_PATH"); ld != nullptr) {
        env.push_back(std::string("LD_LIBRARY_PATH=") + ld);
    }
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        const int e = errno;
        return {OracleAnswer::Kind::Unknown,
                "cannot run oracle " + name + " (" + errnoPhrase(e) + ")"};
    }
    UniqueFd rd(fds[0]);
    UniqueFd wr(fds[1]);
    const pid_t pid = ::fork();
    if (pid < 0) {
        const int e = errno;
        return {OracleAnswer::Kind::Unknown,
                "cannot run oracle " + name + " (" + errnoPhrase(e) + ")"};
    }
    if (pid == 0) {
        execChild(wr.get(), *path, args, env);
    }
    ::setpgid(pid, pid);
    wr.reset();
    std::string out;
    bool timed_out = false;
    for (;;) {
        const auto ms = deadline.remaining().count();
        if (ms <= 0) {
            timed_out = true;
            break;
        }
        pollfd p{rd.get(), POLLIN, 0};
        const int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(ms, 60000)));
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            continue;
        }
        char buf[4096];
        const ssize_t n = ::read(rd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        out.append(buf, static_cast<std::size_t>(std::min<ssize_t>(
                            n, static_cast<ssize_t>(kMaxOracleOutput -
                                                    std::min(out.size(), kMaxOracleOutput)))));
        if (out.size() >= kMaxOracleOutput) {
            break;
        }
    }
    if (timed_out) {
        killAndReap(pid);
        return {OracleAnswer::Kind::Unknown,
                "oracle " + name + " did not answer within its deadline (timed out)"};
    }
    // Output is complete (EOF) or bounded: wait for the exit briefly.
    int status = 0;
    pid_t w = 0;
    for (int i = 0; i < 100 && w == 0; ++i) {
        w = ::waitpid(pid, &status, WNOHANG);
        if (w == 0) {
            if (deadline.expired()) {
                break;
            }
            ::usleep(1000);
        }
    }
    if (w != pid) {
        killAndReap(pid);
        return {OracleAnswer::Kind::Unknown, "oracle " + name + " did not exit after answering"};
    }
    if (WIFSIGNALED(status)) {
        return {OracleAnswer::Kind::Unknown,
                "oracle " + name + " was killed by signal " + std::to_string(WTERMSIG(status))};
    }
    if (WEXITSTATUS(status) != 0) {
        return {OracleAnswer::Kind::Unknown,
                "oracle " + name + " exited with status " + std::to_string(WEXITSTATUS(status))};
    }
    OracleAnswer a = parseOracleAnswer(out, record);
    if (a.kind == OracleAnswer::Kind::Unknown && a.text.rfind("the oracle", 0) == 0) {
        a.text = "oracle " + name + ": " + a.text;
    }
    return a;
}

} // namespace mdevmc
