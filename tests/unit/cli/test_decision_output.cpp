#include "cli/decision_output.hpp"
#include "util/host_name.hpp"

#include <cerrno>
#include <gtest/gtest.h>
#include <iostream>
#include <sstream>

using namespace mdevmc;
using namespace mdevmc::cli;

namespace {

constexpr const char* kU1 = "c2177883-f1bb-47f0-914d-32a22e3a8804";
constexpr const char* kU2 = "0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3a";

// One compatible device, one missing here whose type two parents offer, one
// without a type.
Decision sampleDecision() {
    Decision d;
    DeviceVerdict ok;
    ok.uuid = kU1;
    ok.type = "nvidia-63";
    ok.parent = "0000:00:02.0";
    ok.compatible = true;
    ok.reason = Reason::Compatible;
    ok.evidence = Evidence::Fingerprint;
    ok.detail = "the kernel facts match";
    ok.message = std::string("mdev ") + kU1 + " (nvidia-63): the kernel facts match";
    ok.matched_by = MatchedBy::Address;
    ok.source_uuid = "90c6c135-ad44-41d0-b1b7-bae47de48627";
    d.devices.push_back(ok);

    DeviceVerdict missing;
    missing.uuid = kU2;
    missing.type = "i915-GVTg_V5_4";
    missing.compatible = false;
    missing.reason = Reason::DeviceMissing;
    missing.err = ENOENT;
    missing.detail = "does not exist here";
    missing.message = std::string("mdev ") + kU2 + " (i915-GVTg_V5_4): does not exist here";
    ParentCandidate yes;
    yes.parent = "0000:00:02.0";
    yes.probe.status = ProbeResult::Status::Accepted;
    yes.evidence = Evidence::Protocol;
    yes.compatible = true;
    yes.available_instances = 3;
    ParentCandidate no;
    no.parent = "0000:00:03.0";
    no.probe.status = ProbeResult::Status::Rejected;
    no.probe.err = EINVAL;
    no.evidence = Evidence::Protocol;
    no.why = "rejects the version (EINVAL: Invalid argument)";
    missing.candidates = {yes, no};
    d.devices.push_back(missing);

    DeviceVerdict untyped;
    untyped.uuid = "not-a-uuid";
    untyped.compatible = false;
    untyped.reason = Reason::InvalidUuid;
    untyped.message = "hostdev address 'not-a-uuid' is not a UUID";
    d.devices.push_back(untyped);
    return d;
}

} // namespace

TEST(DecisionOutput, TableRows) {
    const TextTable t = decisionTable(sampleDecision());
    ASSERT_EQ(t.rows().size(), 4U);
    EXPECT_EQ(t.rows()[0],
              (std::vector<std::string>{"UUID", "TYPE", "VERDICT", "EVIDENCE", "REASON"}));
    // The reason is the verdict's detail, said apart from its subject.
    EXPECT_EQ(t.rows()[1], (std::vector<std::string>{kU1, "nvidia-63", "compatible", "fingerprint",
                                                     "the kernel facts match"}));
    EXPECT_EQ(t.rows()[2], (std::vector<std::string>{kU2, "i915-GVTg_V5_4", "refused", "none",
                                                     "does not exist here"}));
    // Without a detail the whole message stands.
    EXPECT_EQ(t.rows()[3],
              (std::vector<std::string>{"not-a-uuid", "-", "refused", "none",
                                        "hostdev address 'not-a-uuid' is not a UUID"}));
}

TEST(DecisionOutput, TableText) {
    std::ostringstream out;
    CliContext ctx{std::cin, out, std::cerr};
    EXPECT_EQ(printDecision(ctx, "vgpu1", sampleDecision(), false), 1);
    EXPECT_EQ(out.str(),
              "UUID                                  TYPE            VERDICT     EVIDENCE     "
              "REASON\n"
              "c2177883-f1bb-47f0-914d-32a22e3a8804  nvidia-63       compatible  fingerprint  "
              "the kernel facts match\n"
              "0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3a  i915-GVTg_V5_4  refused     none         "
              "does not exist here\n"
              "not-a-uuid                            -               refused     none         "
              "hostdev address 'not-a-uuid' is not a UUID\n");
}

TEST(DecisionOutput, Json) {
    const Json j = decisionJson("vgpu1", sampleDecision());
    EXPECT_EQ(j["mdev_migcheck_version"], MDEVMC_VERSION);
    EXPECT_EQ(j["host"], hostName());
    EXPECT_EQ(j["domain"], "vgpu1");
    EXPECT_EQ(j["compatible"], false);
    ASSERT_EQ(j["devices"].size(), 3U);
    const Json& ok = j["devices"][0];
    EXPECT_EQ(ok["uuid"], kU1);
    EXPECT_EQ(ok["type"], "nvidia-63");
    EXPECT_EQ(ok["parent"], "0000:00:02.0");
    EXPECT_EQ(ok["verdict"], "compatible");
    EXPECT_EQ(ok["reason"], "compatible");
    EXPECT_TRUE(ok["errno"].is_null());
    EXPECT_EQ(ok["evidence"], "fingerprint");
    EXPECT_EQ(ok["detail"], "the kernel facts match");
    EXPECT_EQ(ok["message"], std::string("mdev ") + kU1 + " (nvidia-63): the kernel facts match");
    EXPECT_EQ(ok["candidates"], Json::array());
    EXPECT_EQ(ok["matched_by"], "guest-address");
    EXPECT_EQ(ok["source_uuid"], "90c6c135-ad44-41d0-b1b7-bae47de48627");

    const Json& missing = j["devices"][1];
    EXPECT_TRUE(missing["parent"].is_null()); // absent: null, never ""
    EXPECT_EQ(missing["verdict"], "refused");
    EXPECT_EQ(missing["reason"], reasonName(Reason::DeviceMissing));
    EXPECT_EQ(missing["errno"], "ENOENT");
    ASSERT_EQ(missing["candidates"].size(), 2U);
    EXPECT_EQ(missing["candidates"][0],
              Json::parse(R"({"parent": "0000:00:02.0", "accepts": true, "result": "accepted",
                              "compatible": true, "evidence": "protocol", "why": null,
                              "errno": null, "available_instances": 3})"));
    EXPECT_EQ(missing["candidates"][1],
              Json::parse(R"j({"parent": "0000:00:03.0", "accepts": false, "result": "rejected",
                              "compatible": false, "evidence": "protocol",
                              "why": "rejects the version (EINVAL: Invalid argument)",
                              "errno": "EINVAL", "available_instances": null})j"));
    EXPECT_EQ(missing["matched_by"], "none");
    EXPECT_TRUE(missing["source_uuid"].is_null());
    EXPECT_TRUE(j["devices"][2]["type"].is_null());
    EXPECT_TRUE(j["devices"][2]["detail"].is_null());
    EXPECT_EQ(j["devices"][2]["message"], "hostdev address 'not-a-uuid' is not a UUID");
}

TEST(DecisionOutput, JsonKeyOrderAndOneLine) {
    std::ostringstream out;
    CliContext ctx{std::cin, out, std::cerr};
    EXPECT_EQ(printDecision(ctx, "vgpu1", sampleDecision(), true), 1);
    const std::string s = out.str();
    ASSERT_FALSE(s.empty());
    EXPECT_EQ(s.find('\n'), s.size() - 1);
    const Json j = Json::parse(s);
    std::vector<std::string> keys;
    for (const auto& [k, v] : j.items()) {
        keys.push_back(k);
    }
    EXPECT_EQ(keys, (std::vector<std::string>{"mdev_migcheck_version", "host", "domain",
                                              "compatible", "devices"}));
    keys.clear();
    for (const auto& [k, v] : j["devices"][1].items()) {
        keys.push_back(k);
    }
    EXPECT_EQ(keys, (std::vector<std::string>{"uuid", "type", "parent", "verdict", "reason",
                                              "evidence", "errno", "message", "detail",
                                              "matched_by", "source_uuid", "candidates"}));
    keys.clear();
    for (const auto& [k, v] : j["devices"][1]["candidates"][0].items()) {
        keys.push_back(k);
    }
    EXPECT_EQ(keys, (std::vector<std::string>{"parent", "accepts", "result", "compatible",
                                              "evidence", "why", "errno", "available_instances"}));
}

TEST(DecisionOutput, NothingToCheck) {
    std::ostringstream out;
    CliContext ctx{std::cin, out, std::cerr};
    EXPECT_EQ(printDecision(ctx, "plain", Decision{}, false), 0);
    EXPECT_EQ(out.str(), "domain plain has no mdev hostdev: nothing to check\n");
    out.str("");
    EXPECT_EQ(printDecision(ctx, "plain", Decision{}, true), 0);
    Json expected{{"mdev_migcheck_version", MDEVMC_VERSION}, {"host", hostName()}};
    expected.update(Json::parse(R"({"domain": "plain", "compatible": true, "devices": []})"));
    EXPECT_EQ(Json::parse(out.str()), expected);
}

TEST(DecisionOutput, ProbeResultNames) {
    EXPECT_STREQ(probeResultName(ProbeResult::Status::Accepted), "accepted");
    EXPECT_STREQ(probeResultName(ProbeResult::Status::Rejected), "rejected");
    EXPECT_STREQ(probeResultName(ProbeResult::Status::ShortWrite), "short-write");
    EXPECT_STREQ(probeResultName(ProbeResult::Status::TimedOut), "timed-out");
    EXPECT_STREQ(probeResultName(ProbeResult::Status::Missing), "no-migration-version");
    EXPECT_STREQ(probeResultName(ProbeResult::Status::Invalid), "not-probed");
}
