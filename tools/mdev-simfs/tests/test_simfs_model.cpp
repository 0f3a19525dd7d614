#include "faults.hpp"
#include "model.hpp"
#include "simulator.hpp"

#include <cerrno>
#include <gtest/gtest.h>

using namespace mdevsim;

namespace {

constexpr const char* kU = "c2177883-f1bb-47f0-914d-32a22e3a8804";
constexpr const char* kNew = "11111111-2222-4333-8444-555555555555";
const std::string kP = "devices/pci0000:00/0000:00:02.0";
const std::string kT = kP + "/mdev_supported_types/t1";

Topology topo() {
    return parseTopology(R"({"parents": [{"address": "0000:00:02.0", "vendor": "8086",
        "device": "193b", "software_version": "5.2", "iommu_group_base": 10,
        "types": [{"id": "t1", "available_instances": 1}, {"id": "t2", "migration": "absent"}]}],
        "devices": [{"uuid": "c2177883-f1bb-47f0-914d-32a22e3a8804", "parent": "0000:00:02.0",
                     "type": "t1", "device_migration_version": true}]})");
}

const Node& node(const Model& m, const std::string& p) {
    const Node* n = m.lookup(p);
    if (n == nullptr) {
        ADD_FAILURE() << "no node " << p;
        std::abort();
    }
    return *n;
}

} // namespace

TEST(SimfsModel, TreeLayoutWithRelativeLinks) {
    const Model m(topo());
    EXPECT_EQ(node(m, "bus/mdev/devices/" + std::string(kU)).target, "../../../" + kP + "/" + kU);
    EXPECT_EQ(node(m, "class/mdev_bus/0000:00:02.0").target, "../../" + kP);
    EXPECT_EQ(node(m, kP + "/" + kU + "/mdev_type").target, "../mdev_supported_types/t1");
    EXPECT_EQ(node(m, kP + "/" + kU + "/iommu_group").target, "../../../../kernel/iommu_groups/10");
    EXPECT_EQ(node(m, kT + "/devices/" + kU).target, "../../../" + std::string(kU));
    EXPECT_EQ(node(m, "kernel/iommu_groups/10/devices/" + std::string(kU)).target,
              "../../../../" + kP + "/" + kU);
    EXPECT_EQ(node(m, kT + "/create").mode, 0200U);
    EXPECT_EQ(node(m, kT + "/migration_version").mode, 0644U);
    EXPECT_EQ(m.lookup(kP + "/mdev_supported_types/t2/migration_version"), nullptr);
    EXPECT_NE(m.lookup(kP + "/" + kU + "/migration_version"), nullptr);
    EXPECT_EQ(m.canonical("bus/mdev/devices/" + std::string(kU) + "/mdev_type/name"), kT + "/name");
    EXPECT_EQ(m.canonical("bus/mdev/devices/nope"), std::nullopt);
}

TEST(SimfsModel, AttributesReadLikeSysfs) {
    const Model m(topo());
    EXPECT_EQ(m.read(node(m, kT + "/name")).data, "t1\n");
    EXPECT_EQ(m.read(node(m, kT + "/device_api")).data, "vfio-pci\n");
    EXPECT_EQ(m.read(node(m, kT + "/available_instances")).data, "1\n");
    EXPECT_EQ(m.read(node(m, kT + "/migration_version")).data, "8086-193b-t1-5.2\n");
    EXPECT_EQ(m.read(node(m, kP + "/" + kU + "/migration_version")).data, "8086-193b-t1-5.2\n");
    EXPECT_EQ(m.read(node(m, kT + "/create")).err, EACCES);
}

TEST(SimfsModel, CreateAndRemoveChangeTheTreeAndCapacity) {
    Model m(topo());
    EXPECT_EQ(m.write(node(m, kT + "/create"), "bad-uuid\n").err, EINVAL);
    EXPECT_EQ(m.write(node(m, kT + "/create"), std::string(kU) + "\n").err, EEXIST);
    const IoResult ok = m.write(node(m, kT + "/create"), std::string(kNew) + "\n");
    EXPECT_EQ(ok.err, 0);
    EXPECT_EQ(ok.count, 37U);
    EXPECT_NE(m.lookup("bus/mdev/devices/" + std::string(kNew)), nullptr);
    EXPECT_EQ(node(m, kP + "/" + kNew + "/iommu_group").target,
              "../../../../kernel/iommu_groups/11");
    EXPECT_EQ(m.read(node(m, kT + "/available_instances")).data, "0\n");
    EXPECT_EQ(m.write(node(m, kT + "/create"), "22222222-2222-4333-8444-555555555555").err, EUSERS);
    EXPECT_EQ(m.write(node(m, kP + "/" + kNew + "/remove"), "x").err, EINVAL);
    EXPECT_EQ(m.write(node(m, kP + "/" + kNew + "/remove"), "0\n").err, 0);
    EXPECT_NE(m.lookup("bus/mdev/devices/" + std::string(kNew)), nullptr);
    EXPECT_EQ(m.write(node(m, kP + "/" + kNew + "/remove"), "1\n").err, 0);
    EXPECT_EQ(m.lookup("bus/mdev/devices/" + std::string(kNew)), nullptr);
    EXPECT_EQ(m.read(node(m, kT + "/available_instances")).data, "1\n");
}

TEST(SimfsModel, MigrationVersionWritesFollowThePolicy) {
    Model m(topo());
    const Node& attr = node(m, kT + "/migration_version");
    EXPECT_EQ(m.write(attr, "8086-193b-t1-5.1\n").err, 0);
    EXPECT_EQ(m.write(attr, "8086-193b-t1-5.3\n").err, EINVAL);
    m.setSoftwareVersion("0000:00:02.0", "5.3");
    EXPECT_EQ(m.write(node(m, kT + "/migration_version"), "8086-193b-t1-5.3\n").err, 0);
    m.setMigration("0000:00:02.0", "t1", Migration{Migration::Kind::Errno, ENODEV});
    EXPECT_EQ(m.read(node(m, kT + "/migration_version")).err, ENODEV);
    EXPECT_EQ(m.write(node(m, kT + "/migration_version"), "8086-193b-t1-5.3\n").err, ENODEV);
    m.setMigration("0000:00:02.0", "t1", Migration{Migration::Kind::Absent, 0});
    EXPECT_EQ(m.lookup(kT + "/migration_version"), nullptr);
    EXPECT_THROW(m.setSoftwareVersion("0000:00:02.0", "x"), SimError);
    EXPECT_THROW(m.setAvailable("nope", "t1", 1), SimError);
}

TEST(SimfsFaults, CommandParser) {
    Command c = parseCommand("fail-write bus/mdev/devices/x/migration_version ENODEV");
    EXPECT_EQ(c.op, Command::Op::FailWrite);
    EXPECT_EQ(c.number, ENODEV);
    c = parseCommand("  delay-read a/b 250 ");
    EXPECT_EQ(c.op, Command::Op::DelayRead);
    EXPECT_EQ(c.number, 250);
    EXPECT_EQ(parseCommand("set-migration p t absent").migration.kind, Migration::Kind::Absent);
    EXPECT_EQ(parseCommand("set-available p t 3").number, 3);
    for (const char* bad : {"", "frob x", "fail-write x", "fail-write x ENOPE", "delay-read x -1",
                            "short-write x lots", "set-migration p t maybe", "vanish"}) {
        EXPECT_THROW(parseCommand(bad), SimError) << bad;
    }
}

TEST(SimfsSimulator, FaultsApplyThroughLinksAndClear) {
    Simulator s(topo(), "");
    const auto never = [] { return false; };
    const std::string via = "bus/mdev/devices/" + std::string(kU) + "/mdev_type/migration_version";
    EXPECT_EQ(s.write(kControlFile, "fail-read " + via + " EIO\n", never).err, 0);
    EXPECT_EQ(s.read(kT + "/migration_version", never).err, EIO);
    EXPECT_EQ(s.write(kControlFile, "short-write " + via + " 3\n", never).err, 0);
    EXPECT_EQ(s.write(kT + "/migration_version", "8086-193b-t1-5.2\n", never).count, 3U);
    EXPECT_EQ(s.write(kControlFile, "clear all\n", never).err, 0);
    EXPECT_EQ(s.read(kT + "/migration_version", never).data, "8086-193b-t1-5.2\n");
    EXPECT_EQ(s.write(kControlFile, "fail-read no/such/path EIO\n", never).err, EINVAL);
    EXPECT_EQ(s.write(kT + "/migration_version", std::string(5000, 'x'), never).err, EINVAL);
}

TEST(SimfsSimulator, HangEndsWhenTheCallerIsInterrupted) {
    Simulator s(topo(), "");
    const auto never = [] { return false; };
    ASSERT_EQ(s.write(kControlFile, "hang-write " + kT + "/migration_version\n", never).err, 0);
    int polls = 0;
    const IoResult r =
        s.write(kT + "/migration_version", "8086-193b-t1-5.2\n", [&polls] { return ++polls > 3; });
    EXPECT_EQ(r.err, EINTR);
    EXPECT_GT(polls, 3);
}

TEST(SimfsSimulator, VanishedDeviceDuringAHang) {
    Simulator s(topo(), "");
    const auto never = [] { return false; };
    const std::string attr = kP + "/" + kU + "/migration_version";
    ASSERT_EQ(s.write(kControlFile, "vanish " + std::string(kU) + "\n", never).err, 0);
    EXPECT_EQ(s.read(attr, never).err, ENOENT);
    EXPECT_EQ(s.write(kControlFile, "vanish " + std::string(kU) + "\n", never).err, EINVAL);
}
