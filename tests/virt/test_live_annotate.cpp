#include "domain/domain_xml.hpp"
#include "fake_hypervisor.hpp"
#include "fake_sysfs.hpp"
#include "virt/libvirt_hypervisor.hpp"
#include "virt/live_annotate.hpp"

#include <cerrno>
#include <gtest/gtest.h>
#include <libvirt/virterror.h>

using namespace mdevmc;
using mdevmc::test::FakeHypervisor;
using mdevmc::test::FakeSysfs;
using mdevmc::test::kDomain;
using mdevmc::test::kU1;
using mdevmc::test::TempDir;
using namespace std::chrono_literals;

namespace {

class LiveAnnotate : public ::testing::Test {
protected:
    void SetUp() override {
        sys.addType("0000:00:02.0", "nvidia-63", "10de-1eb8-nvidia-63-2.1");
        sys.addDevice(kU1, "0000:00:02.0", "nvidia-63");
        auto r = Root::open(dir.path().string());
        ASSERT_TRUE(r);
        root.emplace(std::move(*r));
        io.emplace(*root);
        host.emplace(*root, *io);
        config.record_wait = 5000ms;
    }
    TempDir dir;
    FakeSysfs sys{dir.path()};
    std::optional<Root> root;
    std::optional<DirectAttrIo> io;
    std::optional<MdevHost> host;
    Config config;
    FakeHypervisor hv;
    SysLog log{false};
    std::vector<std::chrono::milliseconds> slept;
    Sleeper sleeper = [this](std::chrono::milliseconds ms) { slept.push_back(ms); };
};

} // namespace

TEST_F(LiveAnnotate, StoresTheElementWithoutNamespaceAndIsIdempotent) {
    auto r = annotateLive(hv, {"vm1", "x"}, *host, "hostA", config);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->outcome, LiveAnnotation::Outcome::Recorded);
    EXPECT_EQ(hv.stores, 1);
    EXPECT_EQ(hv.last_element.rfind("<migcheck host=\"hostA\" format=\"2\">", 0), 0U)
        << hv.last_element;
    EXPECT_NE(hv.last_element.find("<mdev uuid=\"c2177883-f1bb-47f0-914d-32a22e3a8804\" "
                                   "type=\"nvidia-63\" parent=\"0000:00:02.0\" "
                                   "version=\"10de-1eb8-nvidia-63-2.1\">"),
              std::string::npos);
    EXPECT_NE(hv.xml.find("team-a"), std::string::npos);
    auto again = annotateLive(hv, {"vm1", "x"}, *host, "hostA", config);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->outcome, LiveAnnotation::Outcome::Unchanged);
    EXPECT_EQ(hv.stores, 1);
    // A new driver version is a new record.
    mdevmc::test::writeFile(sys.typeDir("0000:00:02.0", "nvidia-63") / "migration_version",
                            "10de-1eb8-nvidia-63-2.2\n");
    EXPECT_EQ(annotateLive(hv, {"vm1", "x"}, *host, "hostA", config)->outcome,
              LiveAnnotation::Outcome::Recorded);
    EXPECT_EQ(hv.stores, 2);
}

TEST_F(LiveAnnotate, DomainWithoutMdevIsNotTouched) {
    hv.xml = "<domain><name>vm1</name><devices/></domain>";
    auto r = annotateLive(hv, {"vm1", "x"}, *host, "hostA", config);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->outcome, LiveAnnotation::Outcome::NoMdev);
    EXPECT_EQ(hv.stores, 0);
}

TEST_F(LiveAnnotate, RecorderWaitsForTheStartJob) {
    hv.states = {DomainRunState::Starting, DomainRunState::Paused, DomainRunState::Running};
    hv.set_failures = {VIR_ERR_OPERATION_TIMEOUT, VIR_ERR_OPERATION_INVALID};
    EXPECT_EQ(recordWhenStarted(hv, "vm1", *host, "hostA", config, log, sleeper), 0);
    EXPECT_EQ(hv.stores, 1);
    ASSERT_EQ(slept.size(), 3U);
    EXPECT_EQ(slept[0], 100ms);
    EXPECT_EQ(slept[1], 200ms); // backing off
}

// On the destination of a migration the store waits in libvirt's queue for
// the incoming job (libvirt answers "cannot acquire state change lock"
// after 30 s): the recorder goes back at once, and record_wait counts only
// once the migration is over.
TEST_F(LiveAnnotate, RecorderWaitsOutAnIncomingMigration) {
    config.record_wait = 0ms;
    hv.states = {DomainRunState::Incoming, DomainRunState::Incoming, DomainRunState::Incoming,
                 DomainRunState::Running};
    hv.set_failures = {VIR_ERR_OPERATION_TIMEOUT, VIR_ERR_OPERATION_TIMEOUT,
                       VIR_ERR_OPERATION_TIMEOUT};
    EXPECT_EQ(recordWhenStarted(hv, "vm1", *host, "hostB", config, log, sleeper), 0);
    EXPECT_EQ(hv.stores, 1);
    EXPECT_EQ(slept, (std::vector<std::chrono::milliseconds>{10ms, 10ms, 10ms}));
    EXPECT_NE(hv.last_element.find("host=\"hostB\""), std::string::npos);
}

TEST_F(LiveAnnotate, RecorderGivesUpAtTheDeadline) {
    config.record_wait = 0ms;
    hv.states = {DomainRunState::Starting};
    EXPECT_EQ(recordWhenStarted(hv, "vm1", *host, "hostA", config, log, sleeper), 1);
    EXPECT_EQ(hv.stores, 0);
}

TEST_F(LiveAnnotate, RecorderStopsOnPermanentErrors) {
    EXPECT_EQ(recordWhenStarted(hv, "gone", *host, "hostA", config, log, sleeper), 1);
    hv.states = {DomainRunState::Other};
    EXPECT_EQ(recordWhenStarted(hv, "vm1", *host, "hostA", config, log, sleeper), 1);
    hv.states = {DomainRunState::Running};
    hv.set_failures = {VIR_ERR_XML_ERROR};
    EXPECT_EQ(recordWhenStarted(hv, "vm1", *host, "hostA", config, log, sleeper), 1);
    EXPECT_EQ(hv.stores, 0);
    EXPECT_TRUE(slept.empty());
}

// An errno and a libvirt error number with the same value are different
// things: ENOANO is 55, and so is VIR_ERR_OPERATION_INVALID, which the
// recorder retries.  Only the libvirt error is retried.
TEST_F(LiveAnnotate, RecorderRetriesLibvirtCodesNotErrnosOfTheSameNumber) {
    static_assert(ENOANO == VIR_ERR_OPERATION_INVALID);
    ASSERT_TRUE(isTransientVirtError(VIR_ERR_OPERATION_INVALID));

    hv.set_errors = {Error{"store failed: errno", ENOANO}};
    EXPECT_EQ(recordWhenStarted(hv, "vm1", *host, "hostA", config, log, sleeper), 1);
    EXPECT_EQ(hv.stores, 0);
    EXPECT_TRUE(slept.empty());

    hv.set_errors = {Error{"store failed: libvirt", 0, VIR_ERR_OPERATION_INVALID}};
    EXPECT_EQ(recordWhenStarted(hv, "vm1", *host, "hostA", config, log, sleeper), 0);
    EXPECT_EQ(hv.stores, 1);
    EXPECT_EQ(slept.size(), 1U);
}

TEST(LiveAnnotateNames, EveryOutcomeAndState) {
    EXPECT_STREQ(outcomeName(LiveAnnotation::Outcome::Recorded), "recorded");
    EXPECT_STREQ(outcomeName(LiveAnnotation::Outcome::Unchanged), "unchanged");
    EXPECT_STREQ(outcomeName(LiveAnnotation::Outcome::NoMdev), "no-mdev");
    EXPECT_STREQ(domainRunStateName(DomainRunState::Running), "running");
    EXPECT_STREQ(domainRunStateName(DomainRunState::Paused), "paused");
    EXPECT_STREQ(domainRunStateName(DomainRunState::Incoming), "incoming");
    EXPECT_STREQ(domainRunStateName(DomainRunState::Starting), "starting");
    EXPECT_STREQ(domainRunStateName(DomainRunState::Other), "other");
}

TEST(DescribeRecord, OneLine) {
    Metadata m;
    m.entries.push_back(
        {kU1, "nvidia-63", "p", std::string("v1"), std::nullopt, std::nullopt, {}, std::nullopt});
    m.entries.push_back({"0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3a",
                         "",
                         "",
                         std::nullopt,
                         std::string("ENODEV"),
                         std::nullopt,
                         {},
                         std::nullopt});
    EXPECT_EQ(describeRecord({"vm1", "u"}, m),
              "domain vm1 (u): mdev c2177883-f1bb-47f0-914d-32a22e3a8804 (nvidia-63) version 'v1'; "
              "mdev 0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3a migration_version unreadable: ENODEV");
    // A driver without the attribute is not an error; facts and a token are
    // said too.
    m.entries[1].error = "ENOENT";
    m.entries[1].fingerprint.facts.push_back({"driver", std::string("nvidia"), std::nullopt});
    m.entries[1].oracle = OracleRecord{"nvml", "AQ"};
    EXPECT_EQ(describeRecord({"vm1", "u"}, m),
              "domain vm1 (u): mdev c2177883-f1bb-47f0-914d-32a22e3a8804 (nvidia-63) version 'v1'; "
              "mdev 0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3a no migration_version, 1 kernel facts, "
              "oracle nvml token");
}

TEST(DescribeDomain, NameAndUuid) {
    EXPECT_EQ(describeDomain({"vm1", "6695eb01-f6a4-8304-79aa-97f2502e193f"}),
              "domain vm1 (6695eb01-f6a4-8304-79aa-97f2502e193f)");
    EXPECT_EQ(describeDomain({"vm1", ""}), "domain vm1");
}

TEST(DescribeSpec, NameWhenKnown) {
    EXPECT_EQ(describeSpec("6695eb01-f6a4-8304-79aa-97f2502e1001", "vm7"),
              "domain 'vm7' (6695eb01-f6a4-8304-79aa-97f2502e1001)");
    EXPECT_EQ(describeSpec("vm7", ""), "domain vm7");
    EXPECT_EQ(describeSpec("vm7", "vm7"), "domain vm7");
}
