#include "cli/mdevctl.hpp"

#include "util/errno_name.hpp"
#include "util/escape.hpp"
#include "util/unique_fd.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ; // NOLINT(readability-redundant-declaration)

namespace mdevmc::cli {

namespace {

// The most of mdevctl's stderr kept for a message.
constexpr std::size_t kMaxStderr = 4096;

std::string firstLine(const std::string& s) {
    const auto nl = s.find('\n');
    return nl == std::string::npos ? s : s.substr(0, nl);
}

// Reads FD until EOF or DEADLINE (at most kMaxStderr bytes kept).
std::string drain(int fd, Deadline deadline) {
    std::string out;
    char buf[512];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        const auto left = deadline.remaining().count();
        const int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            if (deadline.expired() || n < 0) {
                return out;
            }
            continue;
        }
        const ssize_t r = ::read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return out;
        }
        if (out.size() < kMaxStderr) {
            out.append(buf, static_cast<std::size_t>(r));
        }
    }
}

} // namespace

std::optional<std::string> findMdevctl() {
    const char* path = ::getenv("PATH");
    std::string_view rest = path != nullptr ? path : "/usr/sbin:/usr/bin:/sbin:/bin";
    while (!rest.empty()) {
        const auto colon = rest.find(':');
        const std::string dir(rest.substr(0, colon));
        rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
        if (dir.empty() || dir[0] != '/') {
            continue; // never a relative directory for a program run as root
        }
        const std::string candidate = dir + "/mdevctl";
        if (::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
    }
    return std::nullopt;
}

Result<void> runMdevctl(const std::string& mdevctl, const std::vector<std::string>& args,
                        const Root& root, Deadline deadline) {
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0) {
        return fail("cannot run mdevctl (" + errnoPhrase(errno) + ")", errno);
    }
    UniqueFd rd(pipefd[0]);
    UniqueFd wr(pipefd[1]);
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
        if (std::string_view(*e).rfind("MDEVCTL_ENV_ROOT=", 0) != 0) {
            env_strings.emplace_back(*e);
        }
    }
    if (root.path() != "/") {
        env_strings.push_back("MDEVCTL_ENV_ROOT=" + root.path());
    }
    std::vector<char*> envp;
    envp.reserve(env_strings.size() + 1);
    for (auto& s : env_strings) {
        envp.push_back(s.data());
    }
    envp.push_back(nullptr);
    std::vector<std::string> argv_strings{mdevctl};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    argv.reserve(argv_strings.size() + 1);
    for (auto& s : argv_strings) {
        argv.push_back(s.data());
    }
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, wr.get(), 2);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, mdevctl.c_str(), &fa, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    wr.reset();
    if (rc != 0) {
        return fail("cannot run '" + mdevctl + "' (" + errnoPhrase(rc) + ")", rc);
    }
    const std::string said = drain(rd.get(), deadline);
    int status = 0;
    if (deadline.expired() && ::waitpid(pid, &status, WNOHANG) == 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        return fail("'" + mdevctl + "' did not finish in time (timed out)", ETIMEDOUT);
    }
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        return {};
    }
    const std::string why = said.empty() ? std::string("no message") : firstLine(said);
    return fail("'mdevctl " + args.front() + "' failed (" +
                    (WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                       : std::string("killed by a signal")) +
                    "): " + escapeLine(why),
                EIO);
}

} // namespace mdevmc::cli
