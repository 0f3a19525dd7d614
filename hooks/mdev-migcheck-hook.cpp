// mdev-migcheck-hook: the libvirt qemu hook (/etc/libvirt/hooks/qemu.d/).
//
// libvirt runs it for every operation of every VM, so this front end is
// kept to the C library: it reads the domain XML from stdin (libvirt
// writes it for every op), exits 0 at once for the ops mdev-migcheck does
// not handle and for domains that cannot have an mdev hostdev, and
// otherwise hands the XML (in a memfd on stdin) to mdev-migcheck-hook-engine,
// installed beside it, which links the XML parser.
#include "hook/ops.hpp"
#include "util/read_all.hpp"
#include "util/self_path.hpp"
#include "util/unique_fd.hpp"

#include <cerrno>
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

// Puts DATA on stdin and executes the engine; returns (an errno) only on
// failure.
int execEngine(const std::string& engine, const std::string& data, char** argv) {
    const mdevmc::UniqueFd fd(::memfd_create("domain-xml", MFD_CLOEXEC));
    if (!fd.valid()) {
        return errno;
    }
    std::size_t off = 0;
    while (off < data.size()) {
        const ssize_t n = ::write(fd.get(), data.data() + off, data.size() - off);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno;
        }
        off += static_cast<std::size_t>(n);
    }
    // The copy on stdin (without close-on-exec) is what the engine reads.
    if (::lseek(fd.get(), 0, SEEK_SET) != 0 || ::dup2(fd.get(), STDIN_FILENO) < 0) {
        return errno;
    }
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
    // All of it, however large: whether the domain can have an mdev is
    // known only at its end.  The engine bounds what it accepts.
    const std::string xml = readAllBounded(STDIN_FILENO, static_cast<std::size_t>(-1)).data;
    if (action == HookAction::Nothing || !mayContainMdev(xml)) {
        return 0;
    }
    const std::string engine = pathBesideSelf(kEngineName);
    const int err = execEngine(engine, xml, argv);
    if (action == HookAction::CheckIncoming) {
        say(refusalPrefix(hookOpFromString(argv[2]), argv[1]) + "cannot run '" + engine +
            "': " + std::strerror(err) + "\n");
        return 1;
    }
    // Recording versions is best effort: never fail a VM start for it.
    return 0;
}
