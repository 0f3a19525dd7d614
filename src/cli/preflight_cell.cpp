#include "cli/preflight_cell.hpp"

#include "cli/json.hpp"

#include <set>
#include <string_view>

namespace mdevmc::cli {

namespace {

constexpr std::size_t kMaxDetail = 400;

// The last non-empty line of TEXT (a program's standard error), at most
// kMaxDetail bytes; "" if none.
std::string lastLine(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
        text.remove_suffix(1);
    }
    const auto nl = text.rfind('\n');
    const std::string_view line = nl == std::string_view::npos ? text : text.substr(nl + 1);
    return std::string(line.substr(0, kMaxDetail));
}

std::string withStderr(std::string what, const ChildOutcome& o) {
    if (const std::string line = lastLine(o.err_text); !line.empty()) {
        what += ": " + line;
    }
    return what;
}

Cell errorCell(Cell c, const std::string& reason, const std::string& detail) {
    c.verdict = CellVerdict::Error;
    c.evidence = "-";
    c.reason = reason;
    c.detail = detail.substr(0, kMaxDetail);
    return c;
}

std::string str(const Json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The missing device D as a need: its compatible candidates, with their
// capacity.
ProvisionNeed needOf(const Json& d) {
    ProvisionNeed n{str(d, "uuid"), str(d, "type"), {}};
    const auto cands = d.find("candidates");
    if (cands == d.end() || !cands->is_array()) {
        return n;
    }
    for (const auto& c : *cands) {
        if (!c.is_object() || c.value("compatible", false) != true) {
            continue;
        }
        std::optional<long> avail;
        if (const auto a = c.find("available_instances"); a != c.end() && a->is_number_integer()) {
            avail = a->get<long>();
        }
        n.parents.push_back({str(c, "parent"), avail});
    }
    return n;
}

bool canProvision(const ProvisionNeed& n) {
    for (const auto& p : n.parents) {
        if (!p.available || *p.available > 0) {
            return true;
        }
    }
    return false;
}

// What a device that cannot go there says: the target's message (its
// subject and detail), else its own.
std::string refusedDetail(const Json& d, const ProvisionNeed* need) {
    if (std::string message = str(d, "message"); need == nullptr && !message.empty()) {
        return message;
    }
    std::string s = "mdev " + str(d, "uuid");
    if (const std::string type = str(d, "type"); !type.empty()) {
        s += " (" + type + ")";
    }
    if (need != nullptr) {
        return s + (need->parents.empty()
                        ? ": would have to be provisioned, but no parent there can take it"
                        : ": would have to be provisioned, but no compatible parent there has an "
                          "instance available");
    }
    std::string detail = str(d, "detail");
    return s + ": " + (detail.empty() ? str(d, "message") : detail);
}

std::string joined(const std::set<std::string>& words) {
    std::string s;
    for (const auto& w : words) {
        s += (s.empty() ? "" : ",") + w;
    }
    return s.empty() ? "-" : s;
}

// The verdict of an answer's DEVICES.
void judgeDevices(Cell& c, const Json& devices) {
    std::set<std::string> evidence;
    std::size_t to_create = 0;
    for (const auto& d : devices) {
        if (!d.is_object()) {
            continue;
        }
        if (str(d, "verdict") == "compatible") {
            evidence.insert(str(d, "evidence"));
            continue;
        }
        const bool missing = str(d, "reason") == "device-missing";
        ProvisionNeed need = missing ? needOf(d) : ProvisionNeed{};
        if (missing && canProvision(need)) {
            for (const auto& cand : d["candidates"]) {
                if (cand.is_object() && cand.value("compatible", false) == true) {
                    evidence.insert(str(cand, "evidence"));
                    break;
                }
            }
            c.needs.push_back(std::move(need));
            ++to_create;
            continue;
        }
        c.provision_needed = c.provision_needed || missing;
        if (c.verdict != CellVerdict::Refused) {
            c.verdict = CellVerdict::Refused;
            c.reason = str(d, "reason");
            c.evidence = str(d, "evidence");
            c.detail = refusedDetail(d, missing ? &need : nullptr).substr(0, kMaxDetail);
        }
    }
    if (to_create > 0) {
        c.provision_needed = true;
    }
    if (c.verdict == CellVerdict::Refused) {
        return;
    }
    c.evidence = joined(evidence);
    if (to_create > 0) {
        c.verdict = CellVerdict::Provision;
        c.provision_possible = true;
        c.reason = "device-missing";
        c.detail = std::to_string(to_create) + " of " + std::to_string(devices.size()) +
                   " mdev(s) would have to be created there, and can be";
    } else {
        c.verdict = CellVerdict::Compatible;
        c.reason = "compatible";
        c.detail = devices.empty() ? "no mdev hostdev"
                                   : "every mdev (" + std::to_string(devices.size()) +
                                         ") can be migrated there";
    }
}

Cell readAnswer(Cell c, const ChildOutcome& o) {
    Json doc = Json::parse(o.out, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        return errorCell(std::move(c), "bad-answer",
                         withStderr("the target's answer is not a JSON object", o));
    }
    if (!doc.contains("mdev_migcheck_version")) {
        return errorCell(std::move(c), "too-old",
                         "the target runs an older mdev-migcheck (its answer has no "
                         "mdev_migcheck_version): upgrade it there");
    }
    c.remote_version = str(doc, "mdev_migcheck_version");
    c.host = str(doc, "host");
    const auto devices = doc.find("devices");
    if (devices == doc.end() || !devices->is_array()) {
        return errorCell(std::move(c), "bad-answer", "the target's answer has no devices array");
    }
    c.devices_json = devices->dump(-1, ' ', false, Json::error_handler_t::replace);
    judgeDevices(c, *devices);
    return c;
}

} // namespace

const char* cellVerdictName(CellVerdict v) {
    switch (v) {
    case CellVerdict::Compatible:
        return "compatible";
    case CellVerdict::Provision:
        return "provision";
    case CellVerdict::Refused:
        return "refused";
    case CellVerdict::Error:
        return "error";
    }
    return "error";
}

Cell readCell(const std::string& domain, const std::string& target, const ChildOutcome& o,
              const ChildLimits& limits) {
    Cell c;
    c.domain = domain;
    c.target = target;
    switch (o.status) {
    case ChildOutcome::Status::SpawnFailed:
        return errorCell(std::move(c), "ssh-failed", "ssh " + describeOutcome(o, limits));
    case ChildOutcome::Status::TimedOut:
        return errorCell(std::move(c), "timed-out",
                         withStderr("no answer: ssh " + describeOutcome(o, limits), o));
    case ChildOutcome::Status::TooLarge:
    case ChildOutcome::Status::Signaled:
        return errorCell(std::move(c), "bad-answer", "ssh " + describeOutcome(o, limits));
    case ChildOutcome::Status::Exited:
        break;
    }
    switch (o.exit_code) {
    case 0:
    case 1:
        return readAnswer(std::move(c), o);
    case 255:
        return errorCell(std::move(c), "unreachable", withStderr("ssh failed", o));
    case 127:
        return errorCell(std::move(c), "not-installed",
                         withStderr("mdev-migcheck is not installed there (or not in PATH)", o));
    case 2:
        return errorCell(std::move(c), "remote-error",
                         withStderr("the check failed there (exit status 2)", o));
    default:
        return errorCell(std::move(c), "remote-error",
                         withStderr("ssh " + describeOutcome(o, limits), o));
    }
}

} // namespace mdevmc::cli
