// Runs a program with argv, an explicit environment and data on stdin;
// stdout and stderr are captured through pipes.  Reports when the program
// exited and when its pipes reached EOF.
#pragma once

#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace mdevsim::test {

struct RunResult {
    int exit_code = -1; // -1: killed by a signal or not finished
    std::string out;
    std::string err;
    std::chrono::milliseconds exited_after{0};
    std::chrono::milliseconds eof_after{0}; // both pipes closed
    bool finished = false;                  // exited and pipes closed within the limit
};

inline RunResult runProgram(const std::vector<std::string>& argv,
                            const std::vector<std::string>& env, const std::string& input,
                            std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC)) {
        throw std::runtime_error("pipe2 failed");
    }
    const auto start = std::chrono::steady_clock::now();
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(in[0], 0);
        ::dup2(out[1], 1);
        ::dup2(err[1], 2);
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
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    // Feed stdin from the parent; the child may exit without reading it all.
    ::signal(SIGPIPE, SIG_IGN);
    std::size_t off = 0;
    ::fcntl(in[1], F_SETFL, O_NONBLOCK);
    RunResult r;
    bool out_open = true, err_open = true, in_open = true, exited = false;
    auto elapsed = [&] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - start);
    };
    while ((out_open || err_open || !exited) && elapsed() < limit) {
        std::vector<pollfd> fds;
        if (out_open) {
            fds.push_back({out[0], POLLIN, 0});
        }
        if (err_open) {
            fds.push_back({err[0], POLLIN, 0});
        }
        if (in_open) {
            fds.push_back({in[1], POLLOUT, 0});
        }
        ::poll(fds.data(), fds.size(), 10);
        for (const auto& p : fds) {
            if (p.revents == 0) {
                continue;
            }
            if (p.fd == in[1]) {
                const ssize_t n = ::write(in[1], input.data() + off, input.size() - off);
                if (n > 0) {
                    off += static_cast<std::size_t>(n);
                }
                if (n < 0 || off == input.size()) {
                    ::close(in[1]);
                    in_open = false;
                }
                continue;
            }
            char buf[65536];
            const ssize_t n = ::read(p.fd, buf, sizeof buf);
            if (n > 0) {
                (p.fd == out[0] ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
            } else {
                (p.fd == out[0] ? out_open : err_open) = false;
                if (!out_open && !err_open) {
                    r.eof_after = elapsed();
                }
            }
        }
        if (in_open && input.empty()) {
            ::close(in[1]);
            in_open = false;
        }
        int status = 0;
        if (!exited && ::waitpid(pid, &status, WNOHANG) == pid) {
            exited = true;
            r.exited_after = elapsed();
            r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
    }
    r.finished = exited && !out_open && !err_open;
    if (!exited) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
    }
    if (in_open) {
        ::close(in[1]);
    }
    ::close(out[0]);
    ::close(err[0]);
    return r;
}

} // namespace mdevsim::test
