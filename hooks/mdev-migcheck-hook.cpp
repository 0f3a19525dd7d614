// mdev-migcheck-hook: the libvirt qemu hook (/etc/libvirt/hooks/qemu.d/).
//
// libvirt runs it for every operation of every VM, so this front end uses
// the C library only: it reads the domain XML from stdin (libvirt writes it
// for every op) and exits 0 at once for the ops mdev-migcheck does not
// handle and for domains that cannot have an mdev hostdev.  Only then does
// it enter the engine (engine_main.cpp), linked into the same executable:
// nothing of the engine (the XML parser, the worker, the configuration)
// runs before that, and a check costs one process start, not two.
#include "engine_main.hpp"
#include "hook/ops.hpp"
#include "util/escape.hpp"
#include "util/read_all.hpp"
#include "util/run_dir.hpp"
#include "util/std_fds.hpp"

#include <cerrno>
#include <cstdio>
#include <string>
#include <unistd.h>
#include <utility>
#include <vector>

namespace {

using namespace mdevmc;

// Writes LINE, escaped, and a newline to stderr.
void say(const std::string& line) {
    writeAll(STDERR_FILENO, escapeLine(line) + "\n");
}

// Reads the rest of a document larger than kMaxHookXml in pieces (HEAD:
// what was read so far); true if a piece may hold an mdev hostdev.
bool restMentionsMdev(const std::string& head) {
    if (mentionsMdev(head)) {
        return true;
    }
    std::string piece = head.substr(head.size() - kMentionOverlap);
    std::string buf(std::size_t{1} << 20, '\0');
    for (;;) {
        const ssize_t n = ::read(STDIN_FILENO, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return n < 0; // a read error: the rest is unknown
        }
        piece.append(buf.data(), static_cast<std::size_t>(n));
        if (mentionsMdev(piece)) {
            return true;
        }
        piece.erase(0, piece.size() - kMentionOverlap);
    }
}

} // namespace

int main(int argc, char** argv) {
    using namespace mdevmc;
    if (!ensureStdFds()) {
        return 1; // not even /dev/null: nothing can be reported
    }
    if (wantsHookHelp(argc, argv)) { // never libvirt's call: it passes four arguments
        const std::string usage = hookUsage("mdev-migcheck-hook");
        return writeAll(STDOUT_FILENO, usage) ? 0 : 1;
    }
    const HookAction action =
        argc >= 4 ? hookAction(hookOpFromString(argv[2]), hookSubopFromString(argv[3]))
                  : HookAction::Nothing;
    const HookOp op = argc >= 3 ? hookOpFromString(argv[2]) : HookOp::Unknown;
    const char* domain = argc >= 2 ? argv[1] : "-";
    // Whether the domain can have an mdev is known only at its end.  Up to
    // kMaxHookXml is kept for the engine; past that, the rest is only
    // scanned, in pieces.
    BoundedRead in = readAllBounded(STDIN_FILENO, kMaxHookXml);
    if (action == HookAction::Nothing) {
        return 0;
    }
    if (in.too_large) {
        if (!restMentionsMdev(in.data)) {
            return 0;
        }
        if (action == HookAction::CheckIncoming) {
            say(refusalPrefix(op, domain) + "domain XML is larger than the " +
                std::to_string(kMaxHookXml) + " bytes mdev-migcheck checks and may hold an mdev");
            return 1;
        }
        return 0;
    }
    if (!mayContainMdev(in.data)) {
        return 0;
    }
    // release end: only when this host journalled an mdev it created.
    if (action == HookAction::CollectCreated &&
        !hasVisibleEntries(createdDirectory(runDirectoryFromEnvironment()))) {
        return 0;
    }
    return engineMain(std::vector<std::string>(argv + 1, argv + argc), std::move(in.data));
}
