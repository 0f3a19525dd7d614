#include "cli/decision_output.hpp"

#include "util/host_name.hpp"

#include <ostream>
#include <string_view>

#ifndef MDEVMC_VERSION
#define MDEVMC_VERSION "unknown"
#endif

namespace mdevmc::cli {

namespace {

// The verdict's detail (its message without the subject), for the table.
std::string reasonText(const DeviceVerdict& v) {
    return v.detail.empty() ? v.message : v.detail;
}

const char* verdictName(const DeviceVerdict& v) {
    return v.compatible ? "compatible" : "refused";
}

} // namespace

const char* probeResultName(ProbeResult::Status s) {
    switch (s) {
    case ProbeResult::Status::Accepted:
        return "accepted";
    case ProbeResult::Status::Rejected:
        return "rejected";
    case ProbeResult::Status::ShortWrite:
        return "short-write";
    case ProbeResult::Status::TimedOut:
        return "timed-out";
    case ProbeResult::Status::Missing:
        return "no-migration-version";
    case ProbeResult::Status::Invalid:
    case ProbeResult::Status::NotMade:
        return "not-probed";
    }
    return "unknown";
}

TextTable decisionTable(const Decision& d) {
    TextTable t;
    t.addRow({"UUID", "TYPE", "VERDICT", "EVIDENCE", "REASON"});
    for (const auto& v : d.devices) {
        t.addRow({v.uuid, v.type.empty() ? "-" : v.type, verdictName(v), evidenceName(v),
                  reasonText(v)});
    }
    return t;
}

Json decisionJson(const std::string& domain, const Decision& d) {
    Json devices = Json::array();
    for (const auto& v : d.devices) {
        Json candidates = Json::array();
        for (const auto& c : v.candidates) {
            candidates.push_back({
                {"parent", c.parent},
                {"accepts", c.probe.accepted()},
                {"result", c.evidence == Evidence::Protocol ? Json(probeResultName(c.probe.status))
                                                            : Json(nullptr)},
                {"compatible", c.compatible},
                {"evidence", toString(c.evidence)},
                {"why", stringOrNull(c.why)},
                {"errno", errnoJson(c.probe.err)},
                {"available_instances",
                 c.available_instances ? Json(*c.available_instances) : Json(nullptr)},
            });
        }
        devices.push_back({
            {"uuid", v.uuid},
            {"type", stringOrNull(v.type)},
            {"parent", stringOrNull(v.parent)},
            {"verdict", verdictName(v)},
            {"reason", reasonName(v.reason)},
            {"evidence", evidenceName(v)},
            {"errno", errnoJson(v.err)},
            {"message", v.message},
            {"detail", stringOrNull(v.detail)},
            {"matched_by", matchedByName(v.matched_by)},
            {"source_uuid", stringOrNull(v.source_uuid)},
            {"candidates", std::move(candidates)},
        });
    }
    return Json{
        {"mdev_migcheck_version", MDEVMC_VERSION},
        {"host", hostName()},
        {"domain", domain},
        {"compatible", d.compatible()},
        {"devices", std::move(devices)},
    };
}

int printDecision(CliContext& ctx, const std::string& domain, const Decision& d, bool json) {
    if (json) {
        printJson(ctx.out, decisionJson(domain, d));
    } else if (d.devices.empty()) {
        ctx.out << "domain " << domain << " has no mdev hostdev: nothing to check\n";
    } else {
        ctx.out << decisionTable(d);
    }
    return d.compatible() ? 0 : 1;
}

} // namespace mdevmc::cli
