// A target's answer (or its absence) read into a preflight cell.
#include "cli/preflight_cell.hpp"

#include <gtest/gtest.h>

using namespace mdevmc;
using namespace mdevmc::cli;

namespace {

ChildOutcome exited(int code, std::string out, std::string err = "") {
    ChildOutcome o;
    o.status = ChildOutcome::Status::Exited;
    o.exit_code = code;
    o.out = std::move(out);
    o.err_text = std::move(err);
    return o;
}

// An answer of `check --json` with DEVICES.
std::string answer(const std::string& devices) {
    return R"({"mdev_migcheck_version":"0.3.0","host":"hostB","domain":"vm","compatible":false,)"
           R"("devices":[)" +
           devices + "]}";
}

std::string missing(const std::string& uuid, const std::string& candidates) {
    return R"({"uuid":")" + uuid +
           R"(","type":"t","parent":"","verdict":"refused","reason":"device-missing",)"
           R"("evidence":"none","detail":"does not exist","candidates":[)" +
           candidates + "]}";
}

std::string candidate(const std::string& parent, bool compatible, const std::string& avail) {
    return R"({"parent":")" + parent + R"(","compatible":)" + (compatible ? "true" : "false") +
           R"(,"evidence":"protocol","available_instances":)" + avail + "}";
}

const ChildLimits kLimits{};

} // namespace

TEST(PreflightCell, Verdicts) {
    Cell c =
        readCell("vm", "b",
                 exited(0, answer(R"({"uuid":"u1","verdict":"compatible","reason":"compatible",)"
                                  R"("evidence":"protocol","candidates":[]})")),
                 kLimits);
    EXPECT_EQ(c.verdict, CellVerdict::Compatible);
    EXPECT_EQ(c.host, "hostB");
    EXPECT_EQ(c.remote_version, "0.3.0");
    EXPECT_FALSE(c.provision_needed);
    // Missing, a compatible parent with room (or that does not say): provision.
    c = readCell("vm", "b",
                 exited(1, answer(missing("u2", candidate("p1", false, "5") + "," +
                                                    candidate("p2", true, "0") + "," +
                                                    candidate("p3", true, "null")))),
                 kLimits);
    EXPECT_EQ(c.verdict, CellVerdict::Provision);
    EXPECT_TRUE(c.provision_needed);
    EXPECT_TRUE(c.provision_possible);
    ASSERT_EQ(c.needs.size(), 1U);
    ASSERT_EQ(c.needs[0].parents.size(), 2U); // the compatible ones
    EXPECT_EQ(c.needs[0].parents[0].available, 0);
    EXPECT_EQ(c.needs[0].parents[1].available, std::nullopt);
    // Missing, the only compatible parent full: refused, provision needed
    // but impossible.
    c = readCell("vm", "b", exited(1, answer(missing("u3", candidate("p2", true, "0")))), kLimits);
    EXPECT_EQ(c.verdict, CellVerdict::Refused);
    EXPECT_EQ(c.reason, "device-missing");
    EXPECT_TRUE(c.provision_needed);
    EXPECT_FALSE(c.provision_possible);
    EXPECT_EQ(c.detail, "mdev u3 (t): would have to be provisioned, but no compatible parent "
                        "there has an instance available");
    // One refused device makes the cell refused, whatever the others.
    c = readCell("vm", "b",
                 exited(1, answer(missing("u2", candidate("p2", true, "3")) +
                                  R"(,{"uuid":"u4","type":"t","verdict":"refused",)"
                                  R"("reason":"rejected","evidence":"protocol",)"
                                  R"("detail":"target driver rejected it"})")),
                 kLimits);
    EXPECT_EQ(c.verdict, CellVerdict::Refused);
    EXPECT_EQ(c.reason, "rejected");
    EXPECT_EQ(c.detail, "mdev u4 (t): target driver rejected it");
}

TEST(PreflightCell, NoAnswer) {
    EXPECT_EQ(readCell("vm", "b", exited(255, "", "warning\nssh: no route\n"), kLimits).detail,
              "ssh failed: ssh: no route");
    EXPECT_EQ(readCell("vm", "b", exited(127, "", "sh: mdev-migcheck: not found"), kLimits).reason,
              "not-installed");
    EXPECT_EQ(readCell("vm", "b", exited(0, R"({"domain":"vm","devices":[]})"), kLimits).reason,
              "too-old");
    EXPECT_EQ(readCell("vm", "b", exited(0, "not json"), kLimits).reason, "bad-answer");
    EXPECT_EQ(readCell("vm", "b", exited(0, R"({"mdev_migcheck_version":"1"})"), kLimits).reason,
              "bad-answer");
    const Cell e = readCell("vm", "b", exited(2, "", "mdev-migcheck check: bad XML\n"), kLimits);
    EXPECT_EQ(e.reason, "remote-error");
    EXPECT_EQ(e.detail, "the check failed there (exit status 2): mdev-migcheck check: bad XML");
    ChildOutcome t;
    t.status = ChildOutcome::Status::TimedOut;
    EXPECT_EQ(readCell("vm", "b", t, ChildLimits{std::chrono::seconds(5)}).detail,
              "no answer: ssh did not finish within 5 s (timed out)");
    EXPECT_EQ(readCell("vm", "b", t, kLimits).verdict, CellVerdict::Error);
}
