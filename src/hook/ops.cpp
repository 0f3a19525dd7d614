#include "hook/ops.hpp"

#include <array>
#include <utility>

namespace mdevmc {

namespace {

constexpr std::array<std::pair<HookOp, const char*>, 9> kOps{{
    {HookOp::Prepare, "prepare"},
    {HookOp::Start, "start"},
    {HookOp::Started, "started"},
    {HookOp::Stopped, "stopped"},
    {HookOp::Release, "release"},
    {HookOp::Migrate, "migrate"},
    {HookOp::Restore, "restore"},
    {HookOp::Reconnect, "reconnect"},
    {HookOp::Attach, "attach"},
}};

constexpr std::array<std::pair<HookSubop, const char*>, 3> kSubops{{
    {HookSubop::Begin, "begin"},
    {HookSubop::End, "end"},
    {HookSubop::None, "-"},
}};

} // namespace

HookOp hookOpFromString(std::string_view s) {
    for (const auto& [op, name] : kOps) {
        if (s == name) {
            return op;
        }
    }
    return HookOp::Unknown;
}

const char* hookOpName(HookOp op) {
    for (const auto& [o, name] : kOps) {
        if (o == op) {
            return name;
        }
    }
    return "unknown";
}

HookSubop hookSubopFromString(std::string_view s) {
    for (const auto& [subop, name] : kSubops) {
        if (s == name) {
            return subop;
        }
    }
    return HookSubop::Unknown;
}

const char* hookSubopName(HookSubop subop) {
    for (const auto& [s, name] : kSubops) {
        if (s == subop) {
            return name;
        }
    }
    return "unknown";
}

HookAction hookAction(HookOp op, HookSubop subop) {
    if (subop != HookSubop::Begin) {
        return HookAction::Nothing;
    }
    switch (op) {
    case HookOp::Migrate:
    case HookOp::Restore:
        return HookAction::CheckIncoming;
    case HookOp::Started:
    case HookOp::Reconnect:
        return HookAction::RecordVersions;
    default:
        return HookAction::Nothing;
    }
}

const char* hookActionName(HookAction action) {
    switch (action) {
    case HookAction::Nothing:
        return "nothing";
    case HookAction::CheckIncoming:
        return "check-incoming";
    case HookAction::RecordVersions:
        return "record-versions";
    }
    return "unknown";
}

const char* actionWord(HookOp op) {
    return op == HookOp::Restore ? "restore" : "migration";
}

std::string refusalPrefix(HookOp op, std::string_view domain) {
    std::string out = "mdev-migcheck: refusing ";
    out += actionWord(op);
    out += " of ";
    out += domain;
    out += ": ";
    return out;
}

bool mayContainMdev(std::string_view xml) {
    return xml.find("mdev") != std::string_view::npos || xml.find("&#") != std::string_view::npos;
}

} // namespace mdevmc
