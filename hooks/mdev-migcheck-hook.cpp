// mdev-migcheck-hook: the libvirt qemu hook (/etc/libvirt/hooks/qemu.d/).
//
// libvirt runs it for every operation of every VM, so this front end is
// kept to the C library: it reads the domain XML from stdin (libvirt
// writes it for every op), exits 0 at once for the ops mdev-migcheck does
// not handle and for domains that cannot have an mdev hostdev, and
// otherwise hands the XML (in a memfd on stdin) to mdev-migcheck-hook-engine,
// installed beside it, which links the XML parser.
#include "hook/ops.hpp"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

namespace {

constexpr const char* kEngineName = "mdev-migcheck-hook-engine";

void say(const std::string& s) {
    const char* p = s.data();
    std::size_t left = s.size();
    while (left > 0) {
        const ssize_t n = ::write(STDERR_FILENO, p, left);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) {
                continue;
            }
            return;
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

std::string readAllStdin() {
    std::string data;
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
        if (n > 0) {
            data.append(buf, static_cast<std::size_t>(n));
        } else if (n == 0 || errno != EINTR) {
            return data;
        }
    }
}

std::string enginePath() {
    char self[PATH_MAX];
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        return {};
    }
    std::string p(self, static_cast<std::size_t>(n));
    const auto slash = p.rfind('/');
    return p.substr(0, slash + 1) + kEngineName;
}

// Puts DATA on stdin and executes the engine; returns only on failure.
int execEngine(const std::string& engine, const std::string& data, char** argv) {
    const int fd = ::memfd_create("domain-xml", MFD_CLOEXEC);
    if (fd < 0) {
        return errno;
    }
    std::size_t off = 0;
    while (off < data.size()) {
        const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno;
        }
        off += static_cast<std::size_t>(n);
    }
    if (::lseek(fd, 0, SEEK_SET) != 0 || ::dup2(fd, STDIN_FILENO) < 0) {
        return errno;
    }
    ::close(fd);
    argv[0] = const_cast<char*>(engine.c_str());
    ::execv(engine.c_str(), argv);
    return errno;
}

} // namespace

int main(int argc, char** argv) {
    using namespace mdevmc;
    const HookAction action =
        argc >= 4 ? hookAction(hookOpFromString(argv[2]), hookSubopFromString(argv[3]))
                  : HookAction::Nothing;
    const std::string xml = readAllStdin();
    if (action == HookAction::Nothing || !mayContainMdev(xml)) {
        return 0;
    }
    const std::string engine = enginePath();
    const int err = execEngine(engine, xml, argv);
    if (action == HookAction::CheckIncoming) {
        say(std::string("mdev-migcheck: refusing ") +
            (hookOpFromString(argv[2]) == HookOp::Restore ? "restore" : "migration") + " of " +
            argv[1] + ": cannot run '" + engine + "': " + std::strerror(err) + "\n");
        return 1;
    }
    // Recording versions is best effort: never fail a VM start for it.
    return 0;
}
