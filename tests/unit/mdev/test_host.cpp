#include "fake_sysfs.hpp"
#include "mdev/host.hpp"

#include <cerrno>
#include <gtest/gtest.h>

using namespace mdevmc;
using mdevmc::test::FakeSysfs;
using mdevmc::test::TempDir;
namespace fs = std::filesystem;

namespace {

const Deadline kAny = Deadline::never();
constexpr const char* kU1 = "c2177883-f1bb-47f0-914d-32a22e3a8804";
constexpr const char* kU2 = "0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3a";
} // namespace

class MdevTest : public ::testing::Test {
protected:
    void SetUp() override {
        sys.addType("0000:00:02.0", "i915-GVTg_V5_4", "8086-193b-i915-GVTg_V5_4-5.2", 3);
        sys.addType("0000:00:02.0", "i915-GVTg_V5_8", "", 2);
        sys.addType("0000:00:03.0", "i915-GVTg_V5_4", "8086-193c-i915-GVTg_V5_4-5.2");
        sys.addDevice(kU1, "0000:00:02.0", "i915-GVTg_V5_4");
        auto r = Root::open(dir.path().string());
        ASSERT_TRUE(r);
        root.emplace(std::move(*r));
        io.emplace(*root);
        host.emplace(*root, *io);
    }
    TempDir dir;
    FakeSysfs sys{dir.path()};
    std::optional<Root> root;
    std::optional<DirectAttrIo> io;
    std::optional<MdevHost> host;
};

TEST_F(MdevTest, ResolvesDeviceByUuid) {
    auto d = host->device(kU1, kAny);
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->uuid, kU1);
    EXPECT_EQ(d->type_id, "i915-GVTg_V5_4");
    EXPECT_EQ(d->parent, "0000:00:02.0");
    EXPECT_EQ(d->dir, std::string("sys/devices/pci0000:00/0000:00:02.0/") + kU1);
    auto upper = host->device("C2177883-F1BB-47F0-914D-32A22E3A8804", kAny);
    ASSERT_TRUE(upper);
    EXPECT_EQ(upper->uuid, kU1);
}

TEST_F(MdevTest, MissingAndInvalidDevices) {
    auto m = host->device(kU2, kAny);
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().err, ENOENT);
    EXPECT_NE(m.error().message.find(kU2), std::string::npos);
    auto bad = host->device("../../../../etc", kAny);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().err, EINVAL);
}

TEST_F(MdevTest, DeviceLinkEscapingTheRootIsRefused) {
    fs::create_directory_symlink("../../../../../../../tmp",
                                 dir.path() / "sys/bus/mdev/devices" / kU2);
    auto d = host->device(kU2, kAny);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().err, EXDEV);
}

TEST_F(MdevTest, DeviceWithoutTypeLink) {
    fs::remove(sys.parentDir("0000:00:02.0") / kU1 / "mdev_type");
    auto d = host->device(kU1, kAny);
    ASSERT_FALSE(d);
    EXPECT_NE(d.error().message.find("mdev_type"), std::string::npos);
}

TEST_F(MdevTest, ParentsTypesAndOffering) {
    EXPECT_EQ(*host->parents(kAny), (std::vector<std::string>{"0000:00:02.0", "0000:00:03.0"}));
    EXPECT_EQ(*host->types("0000:00:02.0", kAny),
              (std::vector<std::string>{"i915-GVTg_V5_4", "i915-GVTg_V5_8"}));
    EXPECT_EQ(*host->parentsOffering("i915-GVTg_V5_4", kAny),
              (std::vector<std::string>{"0000:00:02.0", "0000:00:03.0"}));
    EXPECT_EQ(*host->parentsOffering("i915-GVTg_V5_8", kAny),
              (std::vector<std::string>{"0000:00:02.0"}));
    EXPECT_TRUE(host->parentsOffering("nvidia-63", kAny)->empty());
    EXPECT_FALSE(host->types("../x", kAny));
    EXPECT_FALSE(host->parentsOffering("a/b", kAny));
}

TEST_F(MdevTest, Devices) {
    sys.addDevice(kU2, "0000:00:03.0", "i915-GVTg_V5_4");
    auto ds = host->devices(kAny);
    ASSERT_TRUE(ds);
    ASSERT_EQ(ds->size(), 2U);
    EXPECT_EQ((*ds)[0].uuid, kU2);
    EXPECT_EQ((*ds)[1].uuid, kU1);
}

TEST_F(MdevTest, EmptyHost) {
    TempDir empty;
    auto r = Root::open(empty.path().string());
    ASSERT_TRUE(r);
    DirectAttrIo eio(*r);
    MdevHost h(*r, eio);
    EXPECT_TRUE(h.parents(kAny)->empty());
    EXPECT_TRUE(h.devices(kAny)->empty());
}

TEST_F(MdevTest, TypeInfo) {
    const MdevTypeInfo i = host->typeInfo("0000:00:02.0", "i915-GVTg_V5_4", Deadline::never());
    EXPECT_EQ(i.name, "i915-GVTg_V5_4");
    EXPECT_EQ(i.device_api, "vfio-pci");
    EXPECT_EQ(i.available_instances, 3);
    mdevmc::test::writeFile(sys.typeDir("0000:00:02.0", "i915-GVTg_V5_4") / "available_instances",
                            "lots\n");
    EXPECT_EQ(
        host->typeInfo("0000:00:02.0", "i915-GVTg_V5_4", Deadline::never()).available_instances,
        std::nullopt);
}
