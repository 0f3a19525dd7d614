#include "check/decision.hpp"
#include "check/evidence.hpp"
#include "check/recording.hpp"
#include "check/report.hpp"
#include "fake_sysfs.hpp"
#include "scripted_io.hpp"

#include <algorithm>
#include <cerrno>
#include <gtest/gtest.h>

using namespace mdevmc;
using mdevmc::test::FakeSysfs;
using mdevmc::test::ScriptedAttrIo;
using mdevmc::test::TempDir;
using namespace std::chrono_literals;

namespace {

constexpr const char* kU1 = "c2177883-f1bb-47f0-914d-32a22e3a8804";
constexpr const char* kU2 = "0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3a";
constexpr const char* kP1 = "0000:00:02.0";
constexpr const char* kP2 = "0000:00:03.0";
constexpr const char* kType = "nvidia-63";
constexpr const char* kSrcVersion = "10de-1eb8-nvidia-63-2.1";

// The migration_version a device of kType under PARENT is probed through:
// its type's, beside it under the parent (the same for every such device).
std::string devAttr(const char* /*uuid*/, const char* parent, const char* type = kType) {
    return std::string("sys/devices/pci0000:00/") + parent + "/mdev_supported_types/" + type +
           "/migration_version";
}
std::string typeAttr(const char* parent, const char* type) {
    return std::string("sys/class/mdev_bus/") + parent + "/mdev_supported_types/" + type +
           "/migration_version";
}

MdevHostdev hostdev(const char* uuid) {
    return MdevHostdev{uuid, "vfio-pci", true};
}

MetadataEntry recorded(const char* uuid, const char* type, const char* version) {
    MetadataEntry e;
    e.uuid = uuid;
    e.type = type;
    e.parent = "0000:3b:00.0";
    e.version = version;
    return e;
}

MetadataEntry failedRead(const char* uuid, const char* type, const char* error) {
    MetadataEntry e;
    e.uuid = uuid;
    e.type = type;
    e.parent = "p";
    e.error = error;
    return e;
}

} // namespace

class DecisionTest : public ::testing::Test {
protected:
    void SetUp() override {
        sys.addType(kP1, kType, "unused-by-scripted-io", 2);
        sys.addType(kP2, kType, "unused-by-scripted-io", 0);
        sys.addType(kP1, "nvidia-64", "unused");
        auto r = Root::open(dir.path().string());
        ASSERT_TRUE(r);
        root.emplace(std::move(*r));
        io.lookupsFrom(*root);
        host.emplace(*root, io);
        config.attr_timeout = 100ms;
        source.host = "hostA";
    }
    Decision run(const std::vector<MdevHostdev>& hds) {
        return decide(hds, source, *host, config, Deadline::after(5s));
    }

    TempDir dir;
    FakeSysfs sys{dir.path()};
    ScriptedAttrIo io;
    std::optional<Root> root;
    std::optional<MdevHost> host;
    Config config;
    Metadata source;
};

TEST_F(DecisionTest, CompatibleWhenTheTargetAcceptsTheWrite) {
    sys.addDevice(kU1, kP1, kType);
    io.onRead(devAttr(kU1, kP1), "10de-1eb8-nvidia-63-2.2\n");
    io.onWrite(devAttr(kU1, kP1), 0);
    source.entries.push_back(recorded(kU1, kType, kSrcVersion));
    const Decision d = run({hostdev(kU1)});
    ASSERT_EQ(d.devices.size(), 1U);
    EXPECT_TRUE(d.compatible());
    EXPECT_EQ(d.devices[0].reason, Reason::Compatible);
    EXPECT_EQ(d.devices[0].parent, kP1);
    ASSERT_EQ(io.log.size(), 1U);
    EXPECT_EQ(io.log[0].data, std::string(kSrcVersion) + "\n");
}

// This host's kernel facts are read only when the fingerprint stage is
// reached: not for a device the protocol decides, and, for one it cannot,
// once per (parent, type).
TEST_F(DecisionTest, KernelFactsAreReadOnlyByTheFingerprintStage) {
    const auto factReads = [this] {
        return std::count_if(io.read_log.begin(), io.read_log.end(), [](const std::string& p) {
            return p.find("/name") != std::string::npos;
        });
    };
    sys.addDevice(kU1, kP1, kType);
    io.onRead(devAttr(kU1, kP1), "10de-1eb8-nvidia-63-2.2\n");
    io.onWrite(devAttr(kU1, kP1), 0);
    MetadataEntry rec = recorded(kU1, kType, kSrcVersion);
    rec.fingerprint.facts.push_back(Fact{std::string(fact::kType), kType, std::nullopt});
    rec.fingerprint.facts.push_back(Fact{std::string(fact::kTypeName), "GRID T4-1Q", std::nullopt});
    rec.fingerprint.facts.push_back(Fact{std::string(fact::kParentKind), "pci", std::nullopt});
    source.entries.push_back(rec);
    Decision d = run({hostdev(kU1)});
    EXPECT_EQ(d.devices.at(0).evidence, Evidence::Protocol);
    EXPECT_EQ(factReads(), 0);

    // No version recorded: the facts decide, read here for it.
    constexpr const char* kU3 = "90c6c135-ad44-41d0-b1b7-bae47de48627";
    sys.addDevice(kU2, kP1, kType);
    sys.addDevice(kU3, kP1, kType);
    io.onRead(std::string("sys/class/mdev_bus/") + kP1 + "/mdev_supported_types/" + kType + "/name",
              "GRID T4-1Q\n");
    source.entries.clear();
    for (const char* u : {kU2, kU3}) {
        rec.uuid = u;
        rec.version.reset();
        rec.error = "ENOENT";
        source.entries.push_back(rec);
    }
    io.read_log.clear();
    d = run({hostdev(kU2), hostdev(kU3)});
    for (const auto& v : d.devices) {
        EXPECT_EQ(v.evidence, Evidence::Fingerprint) << v.message;
        EXPECT_TRUE(v.compatible) << v.message;
    }
    EXPECT_EQ(factReads(), 1);
}

// A type-level attribute is read once and each recorded string written
// once for all the devices of the type on one parent; devices with their
// own attribute are probed one by one.
TEST_F(DecisionTest, TypeLevelAttributeIsProbedOncePerParentTypeAndString) {
    constexpr const char* kU3 = "90c6c135-ad44-41d0-b1b7-bae47de48627";
    constexpr const char* kU4 = "6d1f4c5e-8b2a-4f3e-9c1d-2e3f4a5b6c7d";
    sys.addDevice(kU1, kP1, kType);
    sys.addDevice(kU2, kP1, kType);
    sys.addDevice(kU3, kP2, kType);
    sys.addDevice(kU4, kP1, kType, "own-1");
    io.onRead(devAttr(kU1, kP1), "10de-1eb8-nvidia-63-2.2\n");
    io.onWrite(devAttr(kU1, kP1), 0);
    io.onRead(devAttr(kU3, kP2), "10de-1eb8-nvidia-63-2.2\n");
    io.onWrite(devAttr(kU3, kP2), EINVAL);
    const std::string own =
        std::string("sys/devices/pci0000:00/") + kP1 + "/" + kU4 + "/migration_version";
    io.onRead(own, "own-1\n");
    io.onWrite(own, 0);
    for (const char* u : {kU1, kU2, kU3, kU4}) {
        source.entries.push_back(recorded(u, kType, kSrcVersion));
    }
    const Decision d = run({hostdev(kU1), hostdev(kU2), hostdev(kU3), hostdev(kU4)});
    ASSERT_EQ(d.devices.size(), 4U);
    EXPECT_EQ(d.devices[0].reason, Reason::Compatible);
    EXPECT_EQ(d.devices[1].reason, Reason::Compatible);
    EXPECT_EQ(d.devices[2].reason, Reason::Rejected); // the other parent's answer
    EXPECT_EQ(d.devices[3].reason, Reason::Compatible);
    // One read and one write per (parent, type), one each for the device's own.
    EXPECT_EQ(std::count_if(io.read_log.begin(), io.read_log.end(),
                            [](const std::string& p) {
                                return p.size() > 18 &&
                                       p.compare(p.size() - 18, 18, "/migration_version") == 0;
                            }),
              3);
    ASSERT_EQ(io.log.size(), 3U);
    EXPECT_EQ(io.log[0].path, devAttr(kU1, kP1));
    EXPECT_EQ(io.log[1].path, devAttr(kU3, kP2));
    EXPECT_EQ(io.log[2].path, own);
}

// Each device is looked up once in a check, whatever names it: the
// per-device stages take what the lookup made ahead found, also for a
// second hostdev with the same UUID.
TEST_F(DecisionTest, EachDeviceIsLookedUpOnce) {
    sys.addDevice(kU1, kP1, kType);
    sys.addDevice(kU2, kP1, kType);
    io.onRead(devAttr(kU1, kP1), "10de-1eb8-nvidia-63-2.2\n");
    io.onWrite(devAttr(kU1, kP1), 0);
    for (const char* u : {kU1, kU2}) {
        source.entries.push_back(recorded(u, kType, kSrcVersion));
    }
    const Decision d = run({hostdev(kU1), hostdev(kU2), hostdev(kU1)});
    ASSERT_EQ(d.devices.size(), 3U);
    for (const auto& v : d.devices) {
        EXPECT_EQ(v.reason, Reason::Compatible) << v.message;
        EXPECT_EQ(v.parent, kP1) << v.message;
    }
    const auto probes = [this](const char* uuid) {
        return std::count(io.probe_log.begin(), io.probe_log.end(),
                          std::string("sys/bus/mdev/devices/") + uuid);
    };
    EXPECT_EQ(probes(kU1), 1);
    EXPECT_EQ(probes(kU2), 1);
    // The rest are the re-checks of the type links, in the directories the
    // lookups found: one per hostdev.
    EXPECT_EQ(std::count_if(
                  io.probe_log.begin(), io.probe_log.end(),
                  [](const std::string& p) { return p.rfind("sys/devices/pci0000:00/", 0) == 0; }),
              3);
    EXPECT_EQ(io.probe_log.size(), 5U);
}

TEST_F(DecisionTest, RejectedWriteGivesTheActionableMessage) {
    sys.addDevice(kU1, kP1, kType);
    io.onRead(devAttr(kU1, kP1), "x\n");
    io.onWrite(devAttr(kU1, kP1), EINVAL);
    source.entries.push_back(recorded(kU1, kType, kSrcVersion));
    const Decision d = run({hostdev(kU1)});
    EXPECT_FALSE(d.compatible());
    EXPECT_EQ(d.devices[0].reason, Reason::Rejected);
    EXPECT_EQ(d.devices[0].err, EINVAL);
    EXPECT_EQ(d.devices[0].message,
              std::string("mdev ") + kU1 +
                  " (nvidia-63) on parent 0000:00:02.0: target driver rejected the source "
                  "migration_version (EINVAL: Invalid argument): the source's "
                  "'10de-1eb8-nvidia-63-2.1', this host's 'x'");
    EXPECT_EQ(d.devices[0].evidence, Evidence::Protocol);
    EXPECT_EQ(d.devices[0].detail,
              "target driver rejected the source migration_version (EINVAL: Invalid argument): "
              "the source's '10de-1eb8-nvidia-63-2.1', this host's 'x'");
    // The refusal names the evidence and the host that made the record.
    EXPECT_EQ(d.source_host, "hostA");
    EXPECT_EQ(refusalLines("mdev-migcheck: refusing migration of vm1: ", "vm1", d),
              std::vector<std::string>{std::string("mdev-migcheck: refusing migration of vm1: ") +
                                       d.devices[0].message +
                                       " (evidence: protocol; source host 'hostA')"});
}

TEST_F(DecisionTest, WriteThatCouldNotBeMadeIsNotTheDriversRejection) {
    sys.addDevice(kU1, kP1, kType);
    io.onRead(devAttr(kU1, kP1), "10de-1eb8-nvidia-63-2.2\n");
    io.cannotWrite(devAttr(kU1, kP1), EAGAIN);
    source.entries.push_back(recorded(kU1, kType, kSrcVersion));
    const Decision d = run({hostdev(kU1)});
    ASSERT_EQ(d.devices.size(), 1U);
    EXPECT_FALSE(d.compatible());
    EXPECT_EQ(d.devices[0].detail, "the migration_version write could not be made (EAGAIN: "
                                   "Resource temporarily unavailable): the driver was not asked; "
                                   "retry");
    EXPECT_EQ(d.devices[0].message.find("rejected"), std::string::npos);
}

TEST_F(DecisionTest, NoRecordIsRefusedUnlessAllowed) {
    sys.addDevice(kU1, kP1, kType);
    const Decision d = decide({hostdev(kU1)}, std::nullopt, *host, config, Deadline::after(5s));
    EXPECT_FALSE(d.compatible());
    EXPECT_EQ(d.devices[0].reason, Reason::Unrecorded);
    EXPECT_NE(d.devices[0].message.find("the source host recorded nothing for it"),
              std::string::npos);
    EXPECT_EQ(d.devices[0].next_step, "on the source host: mdev-migcheck annotate DOMAIN");
    EXPECT_TRUE(io.log.empty());
    // The refusal names the domain in the command, as one shell word; with
    // no record, no source host is named.
    const auto lines = refusalLines("P: ", "vm 1's", d);
    ASSERT_EQ(lines.size(), 1U);
    EXPECT_EQ(lines[0].substr(lines[0].find("; next: ")),
              "; next: on the source host: mdev-migcheck annotate 'vm 1'\\''s'");
    EXPECT_EQ(refusalLines("P: ", "vm1", d)[0].substr(lines[0].find("; next: ")),
              "; next: on the source host: mdev-migcheck annotate vm1");
    config.allow_unrecorded = true;
    const Decision allowed = run({hostdev(kU1)});
    EXPECT_TRUE(allowed.compatible());
    EXPECT_EQ(allowed.devices[0].reason, Reason::UnrecordedAllowed);
    EXPECT_TRUE(io.log.empty());
}

TEST_F(DecisionTest, SourceReadFailureIsRefused) {
    sys.addDevice(kU1, kP1, kType);
    source.entries.push_back(failedRead(kU1, kType, "ENODEV"));
    // A record without kernel facts (mdev-migcheck 0.1) leaves nothing to
    // compare: refused, saying why and what to run.
    const Decision d = run({hostdev(kU1)});
    EXPECT_EQ(d.devices[0].reason, Reason::NoEvidence);
    EXPECT_NE(d.devices[0].message.find("could not read its migration_version (ENODEV: No such "
                                        "device)"),
              std::string::npos);
    EXPECT_NE(d.devices[0].message.find("mdev-migcheck annotate"), std::string::npos);
    source.entries[0].error = "ENOENT";
    const std::string m = run({hostdev(kU1)}).devices[0].message;
    EXPECT_NE(m.find("source host's driver has no migration_version attribute"), std::string::npos);
    EXPECT_EQ(m.find("does not support migration"), std::string::npos);
    EXPECT_TRUE(io.log.empty());
}

TEST_F(DecisionTest, InvalidRecordIsRefusedWithoutWriting) {
    sys.addDevice(kU1, kP1, kType);
    MetadataEntry e = recorded(kU1, kType, "bad\x01");
    e.problem = checkEntry(e);
    source.entries.push_back(e);
    const Decision d = run({hostdev(kU1)});
    EXPECT_EQ(d.devices[0].reason, Reason::SourceRecordInvalid);
    EXPECT_NE(d.devices[0].message.find("record is invalid"), std::string::npos);
    EXPECT_TRUE(io.log.empty());
}

TEST_F(DecisionTest, TypeMismatch) {
    sys.addDevice(kU1, kP1, "nvidia-64");
    source.entries.push_back(recorded(kU1, kType, kSrcVersion));
    const Decision d = run({hostdev(kU1)});
    EXPECT_EQ(d.devices[0].reason, Reason::TypeMismatch);
    EXPECT_EQ(d.devices[0].message, std::string("mdev ") + kU1 +
                                        ": type mismatch: the source has 'nvidia-63', this host "
                                        "has 'nvidia-64' on parent 0000:00:02.0");
    EXPECT_TRUE(io.log.empty());
}

TEST_F(DecisionTest, TargetAttributeMissingOrUnreadable) {
    sys.addDevice(kU1, kP1, kType);
    source.entries.push_back(recorded(kU1, kType, kSrcVersion));
    // No attribute here and no facts recorded: no evidence, not "unsupported".
    Decision d = run({hostdev(kU1)});
    EXPECT_EQ(d.devices[0].reason, Reason::NoEvidence);
    EXPECT_NE(d.devices[0].message.find("this host's driver has no migration_version attribute"),
              std::string::npos);
    io.onRead(devAttr(kU1, kP1), "", ENODEV);
    d = run({hostdev(kU1)});
    EXPECT_EQ(d.devices[0].reason, Reason::TargetReadFailed);
    EXPECT_NE(d.devices[0].message.find("may be transient"), std::string::npos);
    EXPECT_EQ(d.devices[0].err, ENODEV);
    EXPECT_TRUE(io.log.empty());
}

TEST_F(DecisionTest, ShortWriteAndTimeouts) {
    sys.addDevice(kU1, kP1, kType);
    source.entries.push_back(recorded(kU1, kType, kSrcVersion));
    io.onRead(devAttr(kU1, kP1), "v\n");
    io.shortWrite(devAttr(kU1, kP1), 5);
    Decision d = run({hostdev(kU1)});
    EXPECT_EQ(d.devices[0].reason, Reason::ShortWrite);
    EXPECT_NE(d.devices[0].message.find("took only 5 of 24 bytes"), std::string::npos);
    io.stallWrite(devAttr(kU1, kP1));
    d = run({hostdev(kU1)});
    EXPECT_EQ(d.devices[0].reason, Reason::TimedOut);
    EXPECT_NE(d.devices[0].message.find("within 100 ms (timed out)"), std::string::npos);
    io.stallRead(devAttr(kU1, kP1));
    d = run({hostdev(kU1)});
    EXPECT_EQ(d.devices[0].reason, Reason::TimedOut);
}

TEST_F(DecisionTest, ExpiredBudgetChecksNothing) {
    sys.addDevice(kU1, kP1, kType);
    source.entries.push_back(recorded(kU1, kType, kSrcVersion));
    const Decision d = decide({hostdev(kU1)}, source, *host, config, Deadline::after(0ms));
    EXPECT_EQ(d.devices[0].reason, Reason::TimedOut);
    EXPECT_EQ(io.read_count, 0);
    EXPECT_TRUE(io.log.empty());
}

TEST_F(DecisionTest, MissingDeviceListsParentsCompatibilityAndCapacity) {
    source.entries.push_back(recorded(kU1, kType, kSrcVersion));
    io.onWrite(typeAttr(kP1, kType), 0);
    io.onWrite(typeAttr(kP2, kType), EINVAL);
    io.onRead(std::string("sys/class/mdev_bus/") + kP1 + "/mdev_supported_types/" + kType +
                  "/available_instances",
              "2\n");
    io.onRead(std::string("sys/class/mdev_bus/") + kP2 + "/mdev_supported_types/" + kType +
                  "/available_instances",
              "0\n");
    const Decision d = run({hostdev(kU1)});
    const DeviceVerdict& v = d.devices[0];
    EXPECT_EQ(v.reason, Reason::DeviceMissing);
    ASSERT_EQ(v.candidates.size(), 2U);
    EXPECT_TRUE(v.candidates[0].probe.accepted());
    EXPECT_EQ(v.candidates[0].available_instances, 2);
    EXPECT_EQ(v.candidates[1].probe.err, EINVAL);
    EXPECT_EQ(v.candidates[1].available_instances, 0);
    EXPECT_EQ(v.message,
              std::string("mdev ") + kU1 +
                  " (nvidia-63): does not exist on this host. "
                  "Parents offering nvidia-63: 0000:00:02.0: compatible (protocol), 2 "
                  "instance(s) available; 0000:00:03.0: rejects the version (EINVAL: Invalid "
                  "argument), 0 instance(s) available; next: create it on a compatible parent "
                  "with a free instance: mdevctl start -u " +
                  kU1 + " -p 0000:00:02.0 --type nvidia-63");
    EXPECT_EQ(v.next_step, "create it on a compatible parent with a free instance: mdevctl "
                           "start -u " +
                               std::string(kU1) + " -p 0000:00:02.0 --type nvidia-63");
}

TEST_F(DecisionTest, MissingDeviceWithoutCapacityNamesTheParentToFree) {
    source.entries.push_back(recorded(kU1, kType, kSrcVersion));
    io.onWrite(typeAttr(kP1, kType), EINVAL);
    io.onWrite(typeAttr(kP2, kType), 0);
    io.onRead(std::string("sys/class/mdev_bus/") + kP1 + "/mdev_supported_types/" + kType +
                  "/available_instances",
              "4\n");
    io.onRead(std::string("sys/class/mdev_bus/") + kP2 + "/mdev_supported_types/" + kType +
                  "/available_instances",
              "0\n");
    const Decision d = run({hostdev(kU1)});
    const DeviceVerdict& v = d.devices[0];
    EXPECT_EQ(v.reason, Reason::DeviceMissing);
    // The parent with room is not compatible; the compatible one is full.
    EXPECT_EQ(v.next_step,
              "no compatible parent has a free instance of nvidia-63; 0000:00:03.0 would take "
              "it once one is freed (its devices: mdevctl list -p 0000:00:03.0), then: mdevctl "
              "start -u " +
                  std::string(kU1) + " -p 0000:00:03.0 --type nvidia-63");
    EXPECT_NE(v.message.find("; next: no compatible parent has a free instance"),
              std::string::npos);
}

TEST(NextStep, NoneWhenNoParentIsCompatible) {
    ParentCandidate c;
    c.parent = "0000:00:02.0";
    c.available_instances = 3;
    c.compatible = false;
    EXPECT_EQ(nextStepForMissing("u", "t", {c}), "");
    EXPECT_EQ(nextStepForMissing("u", "t", {}), "");
    // Unreadable capacity is not taken for room.
    c.compatible = true;
    c.available_instances.reset();
    EXPECT_EQ(nextStepForMissing("u", "t", {c}).rfind("no compatible parent has a free", 0), 0U);
}

TEST_F(DecisionTest, MissingDeviceNoParent) {
    source.entries.push_back(recorded(kU1, "i915-GVTg_V5_4", "v"));
    const Decision d = run({hostdev(kU1)});
    EXPECT_EQ(d.devices[0].reason, Reason::DeviceMissing);
    EXPECT_NE(d.devices[0].message.find("no parent here offers type i915-GVTg_V5_4"),
              std::string::npos);
}

TEST_F(DecisionTest, EveryDeviceGetsAVerdict) {
    sys.addDevice(kU1, kP1, kType);
    sys.addDevice(kU2, kP1, "nvidia-64");
    io.onRead(devAttr(kU1, kP1), "v\n");
    io.onWrite(devAttr(kU1, kP1), EINVAL);
    source.entries.push_back(recorded(kU1, kType, kSrcVersion));
    source.entries.push_back(recorded(kU2, kType, kSrcVersion));
    const Decision d = run({hostdev(kU1), hostdev(kU2), MdevHostdev{"zz", "vfio-pci", false}});
    ASSERT_EQ(d.devices.size(), 3U);
    EXPECT_EQ(d.devices[0].reason, Reason::Rejected);
    EXPECT_EQ(d.devices[1].reason, Reason::TypeMismatch);
    EXPECT_EQ(d.devices[2].reason, Reason::InvalidUuid);
    const auto lines = refusalLines("mdev-migcheck: refusing migration of vm1: ", "vm1", d);
    ASSERT_EQ(lines.size(), 3U);
    EXPECT_EQ(
        lines[0].rfind("mdev-migcheck: refusing migration of vm1: mdev " + std::string(kU1), 0),
        0U);
    EXPECT_EQ(lines[1].rfind("mdev-migcheck: vm1: mdev " + std::string(kU2), 0), 0U);
}

TEST_F(DecisionTest, ReasonNamesAreStable) {
    EXPECT_STREQ(reasonName(Reason::Rejected), "rejected");
    EXPECT_STREQ(reasonName(Reason::TypeMismatch), "type-mismatch");
    EXPECT_STREQ(reasonName(Reason::DeviceMissing), "device-missing");
    EXPECT_STREQ(reasonName(Reason::TimedOut), "timed-out");
}

TEST_F(DecisionTest, RecordDevices) {
    sys.addDevice(kU1, kP1, kType);
    sys.addDevice(kU2, kP1, "nvidia-64");
    io.onRead(devAttr(kU1, kP1), "10de-1eb8-nvidia-63-2.2\n");
    io.onRead(devAttr(kU2, kP1, "nvidia-64"), "", ENODEV);
    const Metadata m = recordDevices(
        {hostdev(kU1), hostdev(kU2), hostdev("90c6c135-ad44-41d0-b1b7-bae47de48627"), hostdev(kU1)},
        *host, "hostB", config, Deadline::after(5s));
    EXPECT_EQ(m.host, "hostB");
    ASSERT_EQ(m.entries.size(), 3U);
    EXPECT_EQ(m.entries[0].version, "10de-1eb8-nvidia-63-2.2");
    EXPECT_EQ(m.entries[0].type, kType);
    EXPECT_EQ(m.entries[0].parent, kP1);
    EXPECT_EQ(m.entries[1].error, "ENODEV");
    EXPECT_EQ(m.entries[1].type, "nvidia-64");
    EXPECT_EQ(m.entries[2].error, "ENOENT");
    for (const auto& e : m.entries) {
        EXPECT_FALSE(checkEntry(e).has_value()) << e.uuid;
    }
}

namespace {

MdevHostdev at(const char* uuid, const char* address) {
    MdevHostdev h = hostdev(uuid);
    h.address = address;
    return h;
}

} // namespace

// A UUID rewritten on the way (`virsh migrate --xml`): the record with the
// hostdev's guest address is the device's, and its version is probed here.
TEST_F(DecisionTest, RewrittenUuidIsCheckedAgainstTheRecordWithItsGuestAddress) {
    sys.addDevice(kU2, kP1, kType);
    io.onRead(devAttr(kU2, kP1), "10de-1eb8-nvidia-63-2.2\n");
    io.onWrite(devAttr(kU2, kP1), 0);
    MetadataEntry old = recorded(kU1, kType, kSrcVersion);
    old.address = "0000:00:05.0";
    source.entries.push_back(old);
    const Decision d = run({at(kU2, "0000:00:05.0")});
    ASSERT_EQ(d.devices.size(), 1U);
    const DeviceVerdict& v = d.devices[0];
    EXPECT_TRUE(v.compatible) << v.message;
    EXPECT_EQ(v.uuid, kU2);
    EXPECT_EQ(v.matched_by, MatchedBy::Address);
    EXPECT_EQ(v.source_uuid, kU1);
    EXPECT_EQ(v.message, std::string("mdev ") + kU2 + " (" + kType + ") on parent " + kP1 +
                             ": target driver accepted the source migration_version; matched by "
                             "guest address 0000:00:05.0 to the source's record of mdev " +
                             kU1);
    ASSERT_EQ(io.log.size(), 1U);
    EXPECT_EQ(io.log[0].data, std::string(kSrcVersion) + "\n");
}

TEST_F(DecisionTest, RewrittenUuidMatchedByTypeIsRefusedOnItsEvidence) {
    sys.addDevice(kU2, kP1, kType);
    io.onRead(devAttr(kU2, kP1), "10de-1eb8-nvidia-63-2.0\n");
    io.onWrite(devAttr(kU2, kP1), EINVAL);
    source.entries.push_back(recorded(kU1, kType, kSrcVersion));
    const Decision d = run({hostdev(kU2)});
    const DeviceVerdict& v = d.devices.at(0);
    EXPECT_EQ(v.reason, Reason::Rejected);
    EXPECT_EQ(v.matched_by, MatchedBy::Type);
    EXPECT_NE(v.message.find("; matched by type nvidia-63 (the only record of it left) to the "
                             "source's record of mdev " +
                             std::string(kU1)),
              std::string::npos)
        << v.message;
}

TEST_F(DecisionTest, MatchNoteComesBeforeTheNextStep) {
    // Matched, but the device is missing here: the candidates' next step
    // stays last.
    MetadataEntry old = recorded(kU1, kType, kSrcVersion);
    old.address = "0000:00:05.0";
    source.entries.push_back(old);
    io.onWrite(typeAttr(kP1, kType), 0);
    io.onWrite(typeAttr(kP2, kType), 0);
    const Decision d = run({at(kU2, "0000:00:05.0")});
    const DeviceVerdict& v = d.devices.at(0);
    EXPECT_EQ(v.reason, Reason::DeviceMissing);
    ASSERT_FALSE(v.next_step.empty());
    const auto note = v.detail.find("; matched by guest address 0000:00:05.0");
    ASSERT_NE(note, std::string::npos) << v.detail;
    EXPECT_EQ(v.detail.substr(v.detail.size() - v.next_step.size()), v.next_step);
    EXPECT_LT(note, v.detail.find("; next: "));
}

TEST_F(DecisionTest, AmbiguousRecordsAreRefusedWithoutAnnotateAdvice) {
    sys.addDevice(kU2, kP1, kType);
    constexpr const char* kU3 = "90c6c135-ad44-41d0-b1b7-bae47de48627";
    constexpr const char* kU4 = "6d1f4c5e-8b2a-4f3e-9c1d-2e3f4a5b6c7d";
    MetadataEntry r1 = recorded(kU3, kType, kSrcVersion);
    r1.address = "0000:00:05.0";
    MetadataEntry r2 = recorded(kU4, kType, kSrcVersion);
    r2.address = "0000:00:06.0";
    source.entries = {r1, r2};
    const Decision d = run({hostdev(kU2)});
    const DeviceVerdict& v = d.devices.at(0);
    EXPECT_FALSE(v.compatible);
    EXPECT_EQ(v.reason, Reason::RecordUnmatched);
    EXPECT_STREQ(reasonName(v.reason), "unmatched-record");
    EXPECT_EQ(v.matched_by, MatchedBy::None);
    EXPECT_EQ(v.source_uuid, "");
    EXPECT_EQ(v.message.find("annotate"), std::string::npos) << v.message;
    EXPECT_EQ(v.message, std::string("mdev ") + kU2 +
                             ": the source host recorded no mdev with this UUID, and 2 of the "
                             "source's records left unmatched could be it, and nothing tells them "
                             "apart (mdev " +
                             kU3 + " (type nvidia-63, guest address 0000:00:05.0); mdev " + kU4 +
                             " (type nvidia-63, guest address 0000:00:06.0)); next: keep the "
                             "hostdev's UUID, or its guest PCI address (<address type='pci'>), as "
                             "on the source, so that its record can be matched");
    EXPECT_TRUE(io.log.empty());
}

TEST_F(DecisionTest, RecordsWithoutAddressesAdviseRecordingThemOnTheSource) {
    constexpr const char* kU3 = "90c6c135-ad44-41d0-b1b7-bae47de48627";
    source.entries = {recorded(kU1, kType, kSrcVersion), recorded(kU3, kType, kSrcVersion)};
    const Decision d = run({at(kU2, "0000:00:05.0")});
    const DeviceVerdict& v = d.devices.at(0);
    EXPECT_EQ(v.reason, Reason::RecordUnmatched);
    EXPECT_EQ(v.next_step, "on the source host, with an mdev-migcheck that records guest "
                           "addresses (after 0.2.0): mdev-migcheck annotate DOMAIN");
}

TEST_F(DecisionTest, RecordWithoutThisDeviceAdvisesAnnotate) {
    // Every record is another hostdev's: this device was not recorded.
    sys.addDevice(kU1, kP1, kType);
    sys.addDevice(kU2, kP1, kType);
    io.onRead(devAttr(kU1, kP1), "10de-1eb8-nvidia-63-2.2\n");
    io.onWrite(devAttr(kU1, kP1), 0);
    source.entries.push_back(recorded(kU1, kType, kSrcVersion));
    const Decision d = run({hostdev(kU1), hostdev(kU2)});
    EXPECT_TRUE(d.devices.at(0).compatible);
    const DeviceVerdict& v = d.devices.at(1);
    EXPECT_EQ(v.reason, Reason::Unrecorded);
    EXPECT_EQ(v.detail, "the source host's record has no entry for it (was the device attached "
                        "after the record was made?); next: on the source host: mdev-migcheck "
                        "annotate DOMAIN");
}

TEST_F(DecisionTest, UnmatchedIsAcceptedWhenUnrecordedIsAllowed) {
    config.allow_unrecorded = true;
    sys.addDevice(kU2, kP1, kType);
    MetadataEntry r1 = recorded(kU1, kType, kSrcVersion);
    r1.address = "0000:00:05.0";
    source.entries = {r1};
    const Decision d = run({at(kU2, "0000:00:07.0")});
    const DeviceVerdict& v = d.devices.at(0);
    EXPECT_TRUE(v.compatible);
    EXPECT_EQ(v.reason, Reason::UnrecordedAllowed);
    EXPECT_EQ(v.detail.rfind("no record of the source host matches it: none of the source's 1 "
                             "record(s) left unmatched fits it",
                             0),
              0U)
        << v.detail;
}

TEST_F(DecisionTest, RecordDevicesCarriesGuestAddressAndAlias) {
    sys.addDevice(kU1, kP1, kType);
    io.onRead(devAttr(kU1, kP1), "10de-1eb8-nvidia-63-2.2\n");
    MdevHostdev h = at(kU1, "0000:00:05.0");
    h.alias = "ua-gpu0";
    MdevHostdev gone = at(kU2, "0000:00:06.0");
    const Metadata m = recordDevices({h, gone}, *host, "hostB", config, Deadline::after(5s));
    ASSERT_EQ(m.entries.size(), 2U);
    EXPECT_EQ(m.entries[0].address, "0000:00:05.0");
    EXPECT_EQ(m.entries[0].alias, "ua-gpu0");
    EXPECT_EQ(m.entries[1].address, "0000:00:06.0");
    EXPECT_EQ(m.entries[1].error, "ENOENT");

    // A guest address or alias two hostdevs share (no domain libvirt
    // accepted has one) is not recorded: the records stay valid.
    MdevHostdev twin = at(kU2, "0000:00:05.0");
    twin.alias = "ua-other";
    const Metadata shared = recordDevices({h, twin}, *host, "hostB", config, Deadline::after(5s));
    ASSERT_EQ(shared.entries.size(), 2U);
    EXPECT_EQ(shared.entries[0].address, "");
    EXPECT_EQ(shared.entries[1].address, "");
    EXPECT_EQ(shared.entries[0].alias, "ua-gpu0");
    EXPECT_EQ(shared.entries[1].alias, "ua-other");
    for (const auto& e : shared.entries) {
        EXPECT_EQ(checkEntry(e), std::nullopt);
    }
}
