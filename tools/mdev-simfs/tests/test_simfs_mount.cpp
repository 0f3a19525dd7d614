// The mounted simulator, checked with plain syscalls as any client sees it.
#include "attr_syscalls.hpp"
#include "sim_mount.hpp"

#include <cerrno>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <thread>
#include <unistd.h>

using namespace mdevsim::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kU = "c2177883-f1bb-47f0-914d-32a22e3a8804";

class SimfsMount : public ::testing::Test {
protected:
    void SetUp() override {
        if (const std::string why = fuseUnavailable(); !why.empty()) {
            GTEST_SKIP() << why;
        }
        host = std::make_unique<SimHost>(
            MDEVMC_SIMFS, readFile(std::string(MDEVMC_SIMFS_EXAMPLES) + "/source-host.json"));
    }
    std::filesystem::path sys(const std::string& rel) const { return host->sys() / rel; }
    std::filesystem::path typeAttr(const std::string& attr) const {
        return sys("class/mdev_bus/0000:00:02.0/mdev_supported_types/i915-GVTg_V5_4/" + attr);
    }
    std::unique_ptr<SimHost> host;
};

} // namespace

TEST_F(SimfsMount, LooksLikeKernelSysfs) {
    EXPECT_EQ(std::filesystem::read_symlink(sys("bus/mdev/devices/" + std::string(kU))).string(),
              "../../../devices/pci0000:00/0000:00:02.0/" + std::string(kU));
    EXPECT_EQ(std::filesystem::read_symlink(sys("class/mdev_bus/0000:00:02.0")).string(),
              "../../devices/pci0000:00/0000:00:02.0");
    const auto dev = sys("bus/mdev/devices/" + std::string(kU));
    EXPECT_EQ(std::filesystem::read_symlink(dev / "iommu_group").filename().string(), "10");
    EXPECT_EQ(readAttr(dev / "mdev_type/device_api").data, "vfio-pci\n");
    EXPECT_EQ(readAttr(dev / "mdev_type/name").data, "GVTg_V5_4\n");
    EXPECT_EQ(readAttr(dev / "mdev_type/migration_version").data, "8086-193b-i915-GVTg_V5_4-5.2\n");
    EXPECT_EQ(readAttr(sys("class/mdev_bus/0000:00:02.0/mdev_supported_types/i915-GVTg_V5_8/"
                           "migration_version"))
                  .err,
              ENOENT);
    EXPECT_TRUE(std::filesystem::exists(sys("kernel/iommu_groups/10/devices/" + std::string(kU))));
    EXPECT_EQ(writeAttr(typeAttr("name"), "x").err, EACCES);
    EXPECT_EQ(readAttr(typeAttr("create")).err, EACCES);
}

TEST_F(SimfsMount, WritesFollowTheVendorPolicyAndAreLogged) {
    EXPECT_EQ(writeAttr(typeAttr("migration_version"), "8086-193b-i915-GVTg_V5_4-5.1\n").n, 29);
    EXPECT_EQ(writeAttr(typeAttr("migration_version"), "8086-193b-i915-GVTg_V5_4-5.3\n").err,
              EINVAL);
    const std::string log = host->writes();
    EXPECT_NE(log.find("\"data\":\"8086-193b-i915-GVTg_V5_4-5.1\\n\""), std::string::npos) << log;
    EXPECT_NE(log.find("\"result\":29"), std::string::npos);
    EXPECT_NE(log.find("\"result\":\"EINVAL\""), std::string::npos);
    EXPECT_NE(log.find("\"path\":\"devices/pci0000:00/0000:00:02.0/mdev_supported_types/"
                       "i915-GVTg_V5_4/migration_version\""),
              std::string::npos);
}

TEST_F(SimfsMount, LargeWritesAreCutToAPage) {
    const Io w = writeAttr(typeAttr("migration_version"), std::string(5000, 'x'));
    // The store sees 4096 bytes and rejects them; a driver that accepted
    // would return 4096 and the caller would see a short write.
    EXPECT_EQ(w.err, EINVAL);
    ASSERT_EQ(host->command("short-write " +
                            typeAttr("migration_version").lexically_relative(host->sys()).string() +
                            " 7"),
              0);
    const Io s = writeAttr(typeAttr("migration_version"), "8086-193b-i915-GVTg_V5_4-5.2\n");
    EXPECT_EQ(s.n, 7);
}

TEST_F(SimfsMount, CreateAndRemove) {
    const std::string nu = "11111111-2222-4333-8444-555555555555";
    EXPECT_EQ(writeAttr(typeAttr("create"), "not-a-uuid").err, EINVAL);
    EXPECT_EQ(writeAttr(typeAttr("create"), std::string(kU)).err, EEXIST);
    EXPECT_EQ(writeAttr(typeAttr("create"), nu + "\n").n, 37);
    EXPECT_TRUE(std::filesystem::exists(sys("bus/mdev/devices/" + nu + "/mdev_type")));
    EXPECT_EQ(readAttr(typeAttr("available_instances")).data, "3\n");
    EXPECT_EQ(writeAttr(sys("bus/mdev/devices/" + nu + "/remove"), "1\n").n, 2);
    EXPECT_FALSE(std::filesystem::exists(sys("bus/mdev/devices/" + nu)));
    EXPECT_EQ(readAttr(typeAttr("available_instances")).data, "4\n");
    ASSERT_EQ(host->command("set-available 0000:00:02.0 i915-GVTg_V5_4 0"), 0);
    EXPECT_EQ(writeAttr(typeAttr("create"), nu).err, EUSERS);
}

TEST_F(SimfsMount, InjectedErrorsDelaysAndVanish) {
    const std::string rel = "bus/mdev/devices/" + std::string(kU) + "/mdev_type/migration_version";
    ASSERT_EQ(host->command("fail-read " + rel + " ENODEV"), 0);
    EXPECT_EQ(readAttr(sys(rel)).err, ENODEV);
    ASSERT_EQ(host->command("fail-write " + rel + " EBUSY"), 0);
    EXPECT_EQ(writeAttr(sys(rel), "8086-193b-i915-GVTg_V5_4-5.2\n").err, EBUSY);
    ASSERT_EQ(host->command("clear all"), 0);
    ASSERT_EQ(host->command("delay-read " + rel + " 300"), 0);
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(readAttr(sys(rel)).data, "8086-193b-i915-GVTg_V5_4-5.2\n");
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 300ms);
    EXPECT_EQ(host->command("frobnicate"), EINVAL);
    ASSERT_EQ(host->command("vanish " + std::string(kU)), 0);
    EXPECT_FALSE(std::filesystem::exists(sys("bus/mdev/devices/" + std::string(kU))));
}

TEST_F(SimfsMount, HungWriteIsReleased) {
    const std::string rel = "bus/mdev/devices/" + std::string(kU) + "/mdev_type/migration_version";
    ASSERT_EQ(host->command("hang-write " + rel), 0);
    Io w;
    std::thread writer([&] { w = writeAttr(sys(rel), "8086-193b-i915-GVTg_V5_4-5.2\n"); });
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(host->writes(), ""); // still in the store call
    ASSERT_EQ(host->command("release all"), 0);
    writer.join();
    EXPECT_EQ(w.n, 29);
}

TEST_F(SimfsMount, HungWriteEndsWhenTheCallerIsKilled) {
    const std::string rel = "bus/mdev/devices/" + std::string(kU) + "/mdev_type/migration_version";
    ASSERT_EQ(host->command("hang-write " + rel), 0);
    const pid_t child = ::fork();
    if (child == 0) {
        writeAttr(sys(rel), "8086-193b-i915-GVTg_V5_4-5.2\n");
        ::_exit(0);
    }
    std::this_thread::sleep_for(200ms);
    ::kill(child, SIGKILL);
    int status = 0;
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
    EXPECT_TRUE(WIFSIGNALED(status));
}

TEST(SimfsCli, BadTopologyIsReportedBeforeMounting) {
    TempDir d;
    writeFile(d.path() / "t.json", R"({"parents": [], "bogus": 1})");
    std::filesystem::create_directory(d.path() / "sys");
    const RunResult r =
        runProgram({MDEVMC_SIMFS, (d.path() / "t.json").string(), (d.path() / "sys").string()},
                   {"PATH=/usr/bin:/bin"}, "");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "mdev-simfs: " + (d.path() / "t.json").string() +
                         ": topology: unknown key 'bogus'\n");
}

TEST(SimfsCli, UnmountEndsTheSimulator) {
    if (const std::string why = fuseUnavailable(); !why.empty()) {
        GTEST_SKIP() << why;
    }
    pid_t pid = -1;
    std::string sys;
    {
        SimHost h(MDEVMC_SIMFS,
                  readFile(std::string(MDEVMC_SIMFS_EXAMPLES) + "/target-newer.json"));
        pid = h.pid();
        sys = h.sys().string();
        ASSERT_GT(pid, 0);
        EXPECT_TRUE(processRunning(pid));
    }
    EXPECT_FALSE(processRunning(pid));
    EXPECT_EQ(readFile("/proc/self/mountinfo").find(sys), std::string::npos);
}
