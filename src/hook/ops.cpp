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
    if (op == HookOp::Release && subop == HookSubop::End) {
        return HookAction::CollectCreated;
    }
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
    case HookOp::Prepare:
        return HookAction::ConfirmIncoming;
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
    case HookAction::ConfirmIncoming:
        return "confirm-incoming";
    case HookAction::CollectCreated:
        return "collect-created";
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

bool wantsHookHelp(int argc, const char* const* argv) {
    if (argc != 2) {
        return false;
    }
    const std::string_view a = argv[1];
    return a == "--help" || a == "-h";
}

std::string hookUsage(std::string_view program) {
    std::string out = "Usage: ";
    out += program;
    out += " DOMAIN OPERATION SUB-OPERATION EXTRA\n"
           "\n"
           "The libvirt qemu hook of mdev-migcheck, installed as\n"
           "/etc/libvirt/hooks/qemu.d/90-mdev-migcheck.  libvirt runs it for every\n"
           "operation of every QEMU domain, with the domain XML on standard input.  At\n"
           "'migrate begin' and 'restore begin' it creates a missing mdev where a parent\n"
           "fits (provision), and refuses (exit 1, the reason on standard error) a domain\n"
           "whose mediated devices this host cannot import; at 'started begin' and\n"
           "'reconnect begin' it starts the recorder of this host's versions; at 'release\n"
           "end', when it has created mdevs, it starts 'mdev-migcheck gc'; every other\n"
           "operation exits 0 at once.  It is not meant to be run by hand:\n"
           "'mdev-migcheck check' shows what it would decide.\n"
           "\n"
           "See mdev-migcheck-hook(8) and mdev-migcheck(8).\n";
    return out;
}

namespace {

bool isBlank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// True if the text at XML[at] is a reference other than &amp; &lt; &gt;
// &quot; &apos;.
bool isOtherReference(std::string_view xml, std::size_t at) {
    for (const std::string_view known : {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"}) {
        if (xml.substr(at, known.size()) == known) {
            return false;
        }
    }
    return true;
}

// True if the "mdev" at XML[at] is the whole value of an attribute named
// type (or PREFIX:type): type, blanks, '=', blanks, a quote, mdev, the
// same quote.  CUT: XML is a piece of a document, whose start may cut that
// spelling; what reaches the start of the piece then counts as a match.
bool isTypeMdev(std::string_view xml, std::size_t at, bool cut) {
    if (at == 0) {
        return cut;
    }
    if (at + 4 >= xml.size()) {
        return false; // a piece's end: the next piece sees it whole
    }
    const char quote = xml[at - 1];
    if ((quote != '\'' && quote != '"') || xml[at + 4] != quote) {
        return false;
    }
    std::size_t i = at - 1;
    while (i > 0 && isBlank(xml[i - 1])) {
        --i;
    }
    if (i == 0) {
        return cut;
    }
    if (xml[i - 1] != '=') {
        return false;
    }
    --i;
    while (i > 0 && isBlank(xml[i - 1])) {
        --i;
    }
    if (i < 4) {
        return cut;
    }
    return xml.substr(i - 4, 4) == "type";
}

// What may spell an mdev hostdev anywhere in XML (a document, or a piece
// of one when CUT): an encoding declaration, a DTD, a CDATA section (or a
// comment), a reference other than the predefined ones, type='mdev'.
bool hasMdevSpelling(std::string_view xml, bool cut) {
    // Any one of these is enough, so the likeliest goes first: a domain
    // with an mdev hostdev is known at its first, not after whole scans.
    for (std::size_t at = xml.find("mdev"); at != std::string_view::npos;
         at = xml.find("mdev", at + 1)) {
        if (isTypeMdev(xml, at, cut)) {
            return true;
        }
    }
    if (xml.find("encoding") != std::string_view::npos ||
        xml.find("<!") != std::string_view::npos) {
        return true;
    }
    for (std::size_t at = xml.find('&'); at != std::string_view::npos; at = xml.find('&', at + 1)) {
        // In a piece, a reference cut at its end is seen whole in the next.
        if ((!cut || xml.size() - at >= 6) && isOtherReference(xml, at)) {
            return true;
        }
    }
    return false;
}

} // namespace

bool mayContainMdev(std::string_view xml) {
    if (xml.find('\0') != std::string_view::npos) {
        return true; // UTF-16 or UTF-32, or not text at all
    }
    std::size_t start = xml.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
    while (start < xml.size() && isBlank(xml[start])) {
        ++start;
    }
    if (start < xml.size() && xml[start] != '<') {
        return true; // EBCDIC, or something a parser may read as another encoding
    }
    return hasMdevSpelling(xml, false);
}

bool mentionsMdev(std::string_view piece) {
    return piece.find('\0') != std::string_view::npos || hasMdevSpelling(piece, true);
}

} // namespace mdevmc
