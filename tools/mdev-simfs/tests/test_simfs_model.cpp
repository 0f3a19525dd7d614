#include "faults.hpp"
#include "model.hpp"
#include "simulator.hpp"

#include <cerrno>
#include <chrono>
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

namespace {

const std::string kVf = "devices/pci0000:00/0000:00:03.0/0000:41:00.4";

Topology realTopo() {
    return parseTopology(R"({"profile": "real",
      "modules": {"mtty": {"srcversion": "6D1C7A3F"}},
      "pci_devices": [{"address": "0000:41:00.0", "sysfs_path":
                       "devices/pci0000:00/0000:00:03.0/0000:41:00.0",
                       "pci": {"vendor": "10de", "device": "2236"}}],
      "parents": [
        {"address": "0000:41:00.4", "physfn": "0000:41:00.0",
         "sysfs_path": "devices/pci0000:00/0000:00:03.0/0000:41:00.4",
         "pci": {"vendor": "10de", "device": "2236", "class": "30200"},
         "driver": {"name": "nvidia", "version": "550.54.10",
                    "modules": {"nvidia_vgpu_vfio": {"srcversion": "AB12"}}},
         "types": [{"id": "nvidia-592", "description": null, "attributes": {"extra": "e\n"}}]},
        {"address": "0000:00:02.0", "vendor": "8086", "device": "193B", "software_version": "1.0",
         "profile": "simulated", "types": [{"id": "t1"}]},
        {"address": "matrix", "sysfs_path": "devices/vfio_ap/matrix",
         "driver": {"name": "vfio_ap", "bus": "matrix"},
         "types": [{"id": "vfio_ap-passthrough", "device_api": "vfio-ap"}]}],
      "devices": [{"uuid": "c2177883-f1bb-47f0-914d-32a22e3a8804", "parent": "matrix",
                   "type": "vfio_ap-passthrough", "attributes": {"matrix": "05.0004\n"}}]})");
}

} // namespace

TEST(SimfsModel, RealProfileTree) {
    Model m(realTopo());
    EXPECT_EQ(m.read(node(m, kVf + "/vendor")).data, "0x10de\n");
    EXPECT_EQ(m.read(node(m, kVf + "/subsystem_vendor")).data, "0x0000\n");
    EXPECT_EQ(m.read(node(m, kVf + "/class")).data, "0x030200\n");
    EXPECT_EQ(node(m, kVf + "/driver").target, "../../../../bus/pci/drivers/nvidia");
    EXPECT_EQ(node(m, kVf + "/physfn").target, "../0000:41:00.0");
    EXPECT_EQ(node(m, "devices/pci0000:00/0000:00:03.0/0000:41:00.0/virtfn0").target,
              "../0000:41:00.4");
    EXPECT_EQ(m.canonical("bus/pci/drivers/nvidia/module"), "module/nvidia");
    EXPECT_EQ(m.canonical("bus/pci/drivers/nvidia/0000:41:00.4"), kVf);
    EXPECT_EQ(m.canonical("module/nvidia/drivers/pci:nvidia"), "bus/pci/drivers/nvidia");
    EXPECT_EQ(m.read(node(m, "module/nvidia/version")).data, "550.54.10\n");
    EXPECT_EQ(m.lookup("module/nvidia/srcversion"), nullptr);
    EXPECT_EQ(m.lookup("module/nvidia_vgpu_vfio/version"), nullptr);
    EXPECT_EQ(m.read(node(m, "module/nvidia_vgpu_vfio/srcversion")).data, "AB12\n");
    EXPECT_EQ(m.read(node(m, "module/mtty/srcversion")).data, "6D1C7A3F\n");
    const std::string td = kVf + "/mdev_supported_types/nvidia-592";
    EXPECT_EQ(m.lookup(td + "/description"), nullptr);
    EXPECT_EQ(m.lookup(td + "/migration_version"), nullptr);
    EXPECT_EQ(m.read(node(m, td + "/extra")).data, "e\n");
    // A PCI-style parent without 'pci' shows the ids of its version string.
    EXPECT_EQ(m.read(node(m, "devices/pci0000:00/0000:00:02.0/device")).data, "0x193b\n");
    EXPECT_EQ(m.lookup("devices/pci0000:00/0000:00:02.0/class"), nullptr);
    EXPECT_NE(m.lookup("devices/pci0000:00/0000:00:02.0/mdev_supported_types/t1/migration_version"),
              nullptr);
    // vfio_ap: the matrix device and its mdev's assignment attributes.
    const std::string ap = "devices/vfio_ap/matrix/c2177883-f1bb-47f0-914d-32a22e3a8804";
    EXPECT_EQ(node(m, "devices/vfio_ap/matrix/driver").target,
              "../../../bus/matrix/drivers/vfio_ap");
    EXPECT_EQ(m.read(node(m, ap + "/matrix")).data, "05.0004\n");
    EXPECT_EQ(m.read(node(m, ap + "/control_domains")).data, "");
    EXPECT_EQ(node(m, ap + "/assign_adapter").mode, 0200U);
    EXPECT_EQ(m.read(node(m, ap + "/assign_adapter")).err, EACCES);
    EXPECT_EQ(m.write(node(m, ap + "/assign_adapter"), "0x05\n").count, 5U);
    m.setAttribute(ap + "/matrix", "06.0001\n");
    EXPECT_EQ(m.read(node(m, ap + "/matrix")).data, "06.0001\n");
    EXPECT_THROW(m.setAttribute(ap + "/remove", "x"), SimError);
    EXPECT_THROW(m.setMigration("matrix", "vfio_ap-passthrough", Migration{}), SimError);
}

TEST(SimfsFaults, LookupReadlinkStallAndSetAttrCommands) {
    EXPECT_EQ(parseCommand("hang-lookup a/b").op, Command::Op::HangLookup);
    EXPECT_EQ(accessOf(Command::Op::HangLookup), Access::Lookup);
    EXPECT_EQ(parseCommand("fail-lookup a/b EIO").number, EIO);
    EXPECT_EQ(parseCommand("delay-readlink a/b 20").number, 20);
    EXPECT_EQ(accessOf(parseCommand("hang-readlink a").op), Access::Readlink);
    EXPECT_EQ(parseCommand("stall a/b 1500").number, 1500);
    EXPECT_EQ(accessOf(Command::Op::Stall), std::nullopt);
    EXPECT_EQ(parseCommand("set-attr a/matrix 05.0004\\n05.0005").arg1, "05.0004\n05.0005\n");
    EXPECT_EQ(parseCommand("set-attr a/x  two  words").arg1, " two  words\n");
    EXPECT_EQ(parseCommand("set-attr a/x").arg1, "");
    for (const char* bad : {"hang-lookup", "fail-lookup x EFOO", "stall x", "stall x 1 2",
                            "delay-readlink x soon", "set-attr", "set-attr x a\\qb"}) {
        EXPECT_THROW(parseCommand(bad), SimError) << bad;
    }
}

TEST(SimfsSimulator, LookupAndReadlinkFaults) {
    Simulator s(realTopo(), "");
    const auto never = [] { return false; };
    const auto ctl = [&](const std::string& c) {
        return s.write(kControlFile, c + "\n", never).err;
    };
    Simulator::Stat st;
    // Through the class link: the fault is on the link itself.
    ASSERT_EQ(ctl("fail-lookup class/mdev_bus/0000:41:00.4 ENXIO"), 0);
    EXPECT_EQ(s.stat("class/mdev_bus/0000:41:00.4", st, never), ENXIO);
    EXPECT_EQ(s.stat(kVf, st, never), 0);
    // Below a link: the directory is followed, the last entry is not.
    ASSERT_EQ(ctl("fail-lookup class/mdev_bus/0000:41:00.4/driver EIO"), 0);
    EXPECT_EQ(s.stat(kVf + "/driver", st, never), EIO);
    ASSERT_EQ(ctl("fail-readlink " + kVf + "/physfn ELOOP"), 0);
    std::string target;
    EXPECT_EQ(s.readLink(kVf + "/physfn", target, never), ELOOP);
    EXPECT_EQ(s.stat(kVf + "/physfn", st, never), 0);
    // A lookup of an entry that does not exist may be held too.
    ASSERT_EQ(ctl("fail-lookup module/absent EIO"), 0);
    EXPECT_EQ(s.stat("module/absent", st, never), EIO);
    EXPECT_EQ(ctl("clear class/mdev_bus/0000:41:00.4"), 0);
    EXPECT_EQ(s.stat("class/mdev_bus/0000:41:00.4", st, never), 0);
    EXPECT_EQ(ctl("fail-lookup no/such/dir/x EIO"), EINVAL);
    EXPECT_EQ(ctl("hang-lookup .simfs-control"), EINVAL);
    // A hung lookup ends when its caller is interrupted.
    ASSERT_EQ(ctl("hang-lookup module/nvidia/version"), 0);
    int polls = 0;
    EXPECT_EQ(s.stat("module/nvidia/version", st, [&polls] { return ++polls > 3; }), EINTR);
    EXPECT_GT(polls, 3);
    ASSERT_EQ(ctl("set-attr module/nvidia/version 999.1"), 0);
    EXPECT_EQ(s.read("module/nvidia/version", never).data, "999.1\n");
    EXPECT_EQ(ctl("set-attr bus/pci/drivers/nvidia/module/version 999.2"), 0);
    EXPECT_EQ(s.read("module/nvidia/version", never).data, "999.2\n");
}

TEST(SimfsSimulator, StallIgnoresInterruptsUntilItsTimeOrRelease) {
    Simulator s(realTopo(), "");
    const auto never = [] { return false; };
    ASSERT_EQ(s.write(kControlFile, "stall " + kVf + "/vendor 300\n", never).err, 0);
    Simulator::Stat st;
    int polls = 0;
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(s.stat(kVf + "/vendor", st, [&polls] { return ++polls > 0; }), 0);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(300));
    EXPECT_EQ(polls, 0); // never asked
    ASSERT_EQ(s.write(kControlFile, "release " + kVf + "/vendor\n", never).err, 0);
    const auto t1 = std::chrono::steady_clock::now();
    EXPECT_EQ(s.read(kVf + "/vendor", never).data, "0x10de\n");
    EXPECT_LT(std::chrono::steady_clock::now() - t1, std::chrono::milliseconds(300));
}
