// Runs an oracle as mdev-migcheck does (doc/oracle-protocol.md): argv, an
// environment of the protocol's variables only, standard input and error on
// /dev/null, standard output a pipe, its own process group, killed at a limit.
#pragma once

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace mdevmc::test {

struct OracleRun {
    int exitCode = -1; // -1: killed by a signal
    std::string out;
    std::string err; // only when asked for
    std::chrono::milliseconds elapsed{0};
    bool killed = false; // still running at the limit
};

inline std::vector<std::string> oracleEnvironment(const std::string& root,
                                                  const std::string& libraryPath,
                                                  unsigned deadlineMs = 2000) {
    return {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "MDEV_MIGCHECK_ROOT=" + root,
            "MDEV_MIGCHECK_ORACLE_PROTOCOL=1",
            "MDEV_MIGCHECK_DEADLINE_MS=" + std::to_string(deadlineMs),
            "LD_LIBRARY_PATH=" + libraryPath};
}

inline OracleRun runOracle(const std::vector<std::string>& argv,
                           const std::vector<std::string>& env, bool captureStderr = false,
                           std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
        throw std::runtime_error("pipe2 failed");
    }
    const auto start = std::chrono::steady_clock::now();
    const pid_t pid = ::fork();
    if (pid < 0) {
        throw std::runtime_error("fork failed");
    }
    if (pid == 0) {
        ::setpgid(0, 0);
        const int null = ::open("/dev/null", O_RDWR);
        ::dup2(null, 0);
        ::dup2(out[1], 1);
        ::dup2(captureStderr ? err[1] : null, 2);
        std::vector<char*> a, e;
        for (const auto& s : argv) {
            a.push_back(const_cast<char*>(s.c_str()));
        }
        a.push_back(nullptr);
        for (const auto& s : env) {
            e.push_back(const_cast<char*>(s.c_str()));
        }
        e.push_back(nullptr);
        ::execve(a[0], a.data(), e.data());
        ::_exit(127);
    }
    ::setpgid(pid, pid);
    ::close(out[1]);
    ::close(err[1]);
    OracleRun r;
    auto elapsed = [&] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - start);
    };
    bool outOpen = true, errOpen = true;
    while ((outOpen || errOpen) && elapsed() < limit) {
        pollfd fds[2] = {{outOpen ? out[0] : -1, POLLIN, 0}, {errOpen ? err[0] : -1, POLLIN, 0}};
        ::poll(fds, 2, 50);
        char buf[4096];
        for (int i = 0; i < 2; ++i) {
            if (fds[i].revents == 0) {
                continue;
            }
            const ssize_t n = ::read(fds[i].fd, buf, sizeof(buf));
            if (n <= 0) {
                (i == 0 ? outOpen : errOpen) = false;
            } else if (i == 0 && r.out.size() < 8192) {
                r.out.append(buf, static_cast<std::size_t>(n));
            } else if (i == 1) {
                r.err.append(buf, static_cast<std::size_t>(n));
            }
        }
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == 0) {
        while (elapsed() < limit && ::waitpid(pid, &status, WNOHANG) == 0) {
            ::usleep(10'000);
        }
        if (elapsed() >= limit) {
            r.killed = true;
            ::kill(-pid, SIGKILL);
            ::waitpid(pid, &status, 0);
        }
    }
    r.elapsed = elapsed();
    ::close(out[0]);
    ::close(err[0]);
    r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

} // namespace mdevmc::test
