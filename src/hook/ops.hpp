// libvirt's qemu hook operations (argv[2], argv[3]) and what mdev-migcheck
// does for each.  No dependencies: the hook's front end links only this.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mdevmc {

enum class HookOp {
    Prepare,
    Start,
    Started,
    Stopped,
    Release,
    Migrate,
    Restore,
    Reconnect,
    Attach,
    Unknown,
};

enum class HookSubop {
    Begin,
    End,
    None, // "-"
    Unknown,
};

HookOp hookOpFromString(std::string_view s);
const char* hookOpName(HookOp op);
HookSubop hookSubopFromString(std::string_view s);
const char* hookSubopName(HookSubop subop);

enum class HookAction {
    Nothing,        // every op but the ones below: exit 0 at once
    CheckIncoming,  // migrate begin, restore begin: refuse an incompatible mdev
    RecordVersions, // started begin, reconnect begin: record this host's versions
    // prepare begin: a live migration that migrate begin let through
    // unrecorded (it could have been offline) is refused here
    ConfirmIncoming,
    CollectCreated, // release end: remove the mdevs created for a domain now gone
};

HookAction hookAction(HookOp op, HookSubop subop);
const char* hookActionName(HookAction action);

// What an incoming op brings in, as a refusal names it: "restore" for
// restore, "migration" for every other op.
const char* actionWord(HookOp op);

// "mdev-migcheck: refusing migration of DOMAIN: ", how every refusal of an
// incoming op starts (the reason follows).
std::string refusalPrefix(HookOp op, std::string_view domain);

// True for "PROGRAM --help" and "PROGRAM -h" alone: libvirt always passes
// four arguments, so a domain named "--help" is never taken for a request.
bool wantsHookHelp(int argc, const char* const* argv);

// The hook's usage text, PROGRAM named.
std::string hookUsage(std::string_view program);

// False only when libvirt's parser cannot find an mdev hostdev in XML: the
// text is ASCII-compatible (no NUL byte, no encoding declaration, starts
// with '<' after an optional UTF-8 BOM and blanks), has no document type
// declaration, no CDATA section, no reference but the five predefined
// entities, and no attribute spelled type='mdev' (any prefix, blanks
// around '=', either quote).  The front end's fast path and the engine's
// answer for XML it cannot parse both use this, so they agree.  Linear in
// the size of XML and never false for an XML that has one.
bool mayContainMdev(std::string_view xml);

// mayContainMdev for a piece of a document too large to hold (the hook
// reads such a document in pieces that overlap by kMentionOverlap bytes):
// the same rule, where a spelling cut by the start of the piece counts as
// found.
bool mentionsMdev(std::string_view piece);
inline constexpr std::size_t kMentionOverlap = 16;

// The largest domain XML the hook checks (the engine's parser refuses more).
inline constexpr std::size_t kMaxHookXml = std::size_t{16} * 1024 * 1024;

} // namespace mdevmc
