// A simulated host for tests: mdev-simfs mounted on ROOT/sys of a temporary
// root, unmounted (and the simulator gone) when the object is destroyed,
// also when the test fails.
#pragma once

#include "subprocess.hpp"
#include "temp_files.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/mount.h>
#include <thread>
#include <unistd.h>

namespace mdevsim::test {

// Why FUSE cannot be used here, or "" if it can.
inline std::string fuseUnavailable() {
    if (::access("/dev/fuse", R_OK | W_OK) != 0) {
        return "/dev/fuse is not available";
    }
    return "";
}

// True while PID runs; a zombie (exited, not yet reaped by its new
// parent) does not count.
inline bool processRunning(pid_t pid) {
    if (pid <= 0) {
        return false;
    }
    const std::string stat = readFile("/proc/" + std::to_string(pid) + "/stat");
    const auto paren = stat.rfind(") ");
    if (paren == std::string::npos || paren + 2 >= stat.size()) {
        return false;
    }
    const char state = stat[paren + 2];
    return state != 'Z' && state != 'X';
}

class SimHost {
public:
    // Mounts TOPOLOGY_JSON (text) with the simulator binary SIMFS.
    SimHost(const std::string& simfs, const std::string& topology_json) {
        std::filesystem::create_directories(dir_.path() / "sys");
        writeFile(dir_.path() / "topology.json", topology_json);
        const RunResult r =
            runProgram({simfs, "--write-log", writeLog().string(), "--pidfile", pidFile().string(),
                        (dir_.path() / "topology.json").string(), sys().string()},
                       {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, "");
        if (r.exit_code != 0) {
            throw std::runtime_error("mdev-simfs failed: " + r.err);
        }
        mounted_ = true;
        std::ifstream(pidFile()) >> pid_;
    }
    ~SimHost() {
        if (mounted_) {
            // Release hung requests first, so that the unmount is not blocked.
            std::ofstream(control()) << "clear all\n";
            if (::umount2(sys().c_str(), 0) != 0) {
                ::umount2(sys().c_str(), MNT_DETACH);
            }
            for (int i = 0; i < 1000 && processRunning(pid_); ++i) {
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
            if (processRunning(pid_)) {
                ::kill(pid_, SIGKILL);
            }
        }
    }
    SimHost(const SimHost&) = delete;
    SimHost& operator=(const SimHost&) = delete;

    std::filesystem::path root() const { return dir_.path(); }
    std::filesystem::path sys() const { return dir_.path() / "sys"; }
    std::filesystem::path control() const { return sys() / ".simfs-control"; }
    std::filesystem::path writeLog() const { return dir_.path() / "writes.jsonl"; }
    std::filesystem::path pidFile() const { return dir_.path() / "simfs.pid"; }
    pid_t pid() const { return pid_; }

    // Sends one control command; returns 0 or the errno of the write.
    int command(const std::string& line) const {
        const int fd = ::open(control().c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0) {
            return errno;
        }
        const std::string data = line + "\n";
        const ssize_t n = ::write(fd, data.data(), data.size());
        const int e = n < 0 ? errno : 0;
        ::close(fd);
        return e;
    }
    std::string writes() const { return readFile(writeLog()); }

private:
    TempDir dir_;
    bool mounted_ = false;
    pid_t pid_ = -1;
};

} // namespace mdevsim::test
