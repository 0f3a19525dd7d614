// libvirt's qemu hook operations (argv[2], argv[3]) and what mdev-migcheck
// does for each.  No dependencies: the hook's front end links only this.
#pragma once

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
};

HookAction hookAction(HookOp op, HookSubop subop);
const char* hookActionName(HookAction action);

// What an incoming op brings in, as a refusal names it: "restore" for
// restore, "migration" for every other op.
const char* actionWord(HookOp op);

// "mdev-migcheck: refusing migration of DOMAIN: ", how every refusal of an
// incoming op starts (the reason follows).
std::string refusalPrefix(HookOp op, std::string_view domain);

// False only when the domain XML cannot have an mdev hostdev: it contains
// neither "mdev" nor a character reference that could spell it.  Cheap, and
// never false for an XML that has one.
bool mayContainMdev(std::string_view xml);

} // namespace mdevmc
