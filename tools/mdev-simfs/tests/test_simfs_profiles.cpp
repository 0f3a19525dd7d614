// Real driver profiles, mounted: the example topologies, the files real
// hosts expose (pci ids, driver and module links, module versions, SR-IOV
// links, vfio-ap and vfio-ccw layouts), and faults on them and on lookups
// and readlinks, checked with plain syscalls.
#include "attr_syscalls.hpp"
#include "sim_mount.hpp"

#include <atomic>
#include <cerrno>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace mdevsim::test;
using namespace std::chrono_literals;

namespace {

const std::string kT4 = "devices/pci0000:00/0000:00:03.0/0000:3b:00.0";

std::string link(const std::filesystem::path& p) {
    char buf[4096];
    const ssize_t n = ::readlink(p.c_str(), buf, sizeof buf);
    return n < 0 ? "errno " + std::to_string(errno) : std::string(buf, static_cast<std::size_t>(n));
}

// stat(2) of P: 0 or errno.
int statErr(const std::filesystem::path& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 ? 0 : errno;
}

std::string example(const std::string& name) {
    return readFile(std::string(MDEVMC_SIMFS_EXAMPLES) + "/" + name);
}

class SimfsProfiles : public ::testing::Test {
protected:
    void SetUp() override {
        if (const std::string why = fuseUnavailable(); !why.empty()) {
            GTEST_SKIP() << why;
        }
    }
    void mount(const std::string& example_name) {
        host = std::make_unique<SimHost>(MDEVMC_SIMFS, example(example_name));
    }
    std::filesystem::path sys(const std::string& rel) const { return host->sys() / rel; }
    // Waits until the control file shows an access held on KEY.
    bool held(const std::string& key) const {
        for (int i = 0; i < 200; ++i) {
            const auto j = nlohmann::json::parse(readFile(host->control()), nullptr, false);
            if (j.is_object() && j.contains(key) && j[key].contains("waiting")) {
                return true;
            }
            std::this_thread::sleep_for(10ms);
        }
        return false;
    }
    std::unique_ptr<SimHost> host;
};

} // namespace

TEST_F(SimfsProfiles, EveryExampleLoadsAndMounts) {
    int examples = 0;
    for (const auto& e : std::filesystem::directory_iterator(MDEVMC_SIMFS_EXAMPLES)) {
        if (e.path().extension() != ".json") {
            continue;
        }
        SCOPED_TRACE(e.path().filename().string());
        ++examples;
        SimHost h(MDEVMC_SIMFS, readFile(e.path()));
        int parents = 0;
        for (const auto& p : std::filesystem::directory_iterator(h.sys() / "class/mdev_bus")) {
            ++parents;
            EXPECT_TRUE(std::filesystem::is_directory(p.path() / "mdev_supported_types"))
                << p.path();
        }
        EXPECT_GT(parents, 0);
        int devices = 0;
        for (const auto& d : std::filesystem::directory_iterator(h.sys() / "bus/mdev/devices")) {
            ++devices;
            EXPECT_EQ(readAttr(d.path() / "mdev_type/device_api").err, 0) << d.path();
        }
        EXPECT_GT(devices, 0);
    }
    EXPECT_GE(examples, 9);
}

TEST_F(SimfsProfiles, T4HostShowsWhatARealHostShows) {
    mount("t4-host.json");
    const auto parent = sys("class/mdev_bus/0000:3b:00.0");
    EXPECT_EQ(link(parent), "../../" + kT4);
    EXPECT_EQ(readAttr(parent / "vendor").data, "0x10de\n");
    EXPECT_EQ(readAttr(parent / "device").data, "0x1eb8\n");
    EXPECT_EQ(readAttr(parent / "subsystem_vendor").data, "0x10de\n");
    EXPECT_EQ(readAttr(parent / "subsystem_device").data, "0x12a2\n");
    EXPECT_EQ(readAttr(parent / "class").data, "0x030200\n");
    EXPECT_EQ(readAttr(sys("devices/pci0000:00/0000:00:03.0/class")).data, "0x060400\n");
    EXPECT_EQ(link(sys(kT4 + "/driver")), "../../../../bus/pci/drivers/nvidia");
    EXPECT_EQ(std::filesystem::canonical(parent / "driver"),
              std::filesystem::canonical(sys("bus/pci/drivers/nvidia")));
    EXPECT_EQ(std::filesystem::canonical(parent / "driver/module"),
              std::filesystem::canonical(sys("module/nvidia")));
    EXPECT_EQ(readAttr(sys("module/nvidia/version")).data, "550.54.10\n");
    EXPECT_EQ(readAttr(sys("module/nvidia/srcversion")).data, "4E2B9A1C7D0F3E5A6B8C9D01\n");
    EXPECT_EQ(readAttr(sys("module/nvidia_vgpu_vfio/version")).data, "550.54.10\n");
    EXPECT_EQ(readAttr(sys("module/nvidia_vgpu_vfio/srcversion")).err, ENOENT);
    const auto type = parent / "mdev_supported_types/nvidia-231";
    EXPECT_EQ(readAttr(type / "name").data, "GRID T4-2Q\n");
    EXPECT_EQ(readAttr(type / "description").data,
              "num_heads=4, frl_config=60, framebuffer=2048M, max_resolution=5120x2880, "
              "max_instance=8\n");
    EXPECT_EQ(readAttr(type / "migration_version").err, ENOENT);
    const auto dev = sys("bus/mdev/devices/0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3a");
    EXPECT_EQ(readAttr(dev / "migration_version").err, ENOENT);
    EXPECT_EQ(readAttr(dev / "mdev_type/name").data, "GRID T4-2Q\n");
}

TEST_F(SimfsProfiles, NewerDriverDiffersOnlyInModuleVersions) {
    mount("t4-host-newer-driver.json");
    EXPECT_EQ(readAttr(sys("module/nvidia/version")).data, "550.90.07\n");
    EXPECT_EQ(readAttr(sys("module/nvidia_vgpu_vfio/version")).data, "550.90.07\n");
    EXPECT_EQ(readAttr(sys("class/mdev_bus/0000:3b:00.0/device")).data, "0x1eb8\n");
}

TEST_F(SimfsProfiles, SriovVirtualFunctionsAreParents) {
    mount("a10-sriov-host.json");
    const std::string pf = "devices/pci0000:00/0000:41:00.0";
    EXPECT_EQ(link(sys("devices/pci0000:00/0000:41:00.5/physfn")), "../0000:41:00.0");
    EXPECT_EQ(std::filesystem::canonical(sys("class/mdev_bus/0000:41:00.4/physfn")),
              std::filesystem::canonical(sys(pf)));
    EXPECT_EQ(link(sys(pf + "/virtfn1")), "../0000:41:00.5");
    EXPECT_EQ(readAttr(sys(pf + "/device")).data, "0x2236\n");
    EXPECT_EQ(readAttr(sys(pf + "/sriov_numvfs")).data, "4\n");
    EXPECT_FALSE(std::filesystem::exists(sys("class/mdev_bus/0000:41:00.0")));
    EXPECT_EQ(readAttr(sys("class/mdev_bus/0000:41:00.7/vendor")).data, "0x10de\n");
    EXPECT_EQ(link(sys(pf + "/driver")), "../../../bus/pci/drivers/nvidia");
}

TEST_F(SimfsProfiles, GvtgMttyVfioApAndCcwLayouts) {
    mount("gvtg-host.json");
    EXPECT_EQ(readAttr(sys("class/mdev_bus/0000:00:02.0/device")).data, "0x3e92\n");
    EXPECT_EQ(link(sys("devices/pci0000:00/0000:00:02.0/driver")), "../../../bus/pci/drivers/i915");
    EXPECT_TRUE(std::filesystem::is_directory(sys("module/i915")));
    EXPECT_FALSE(std::filesystem::exists(sys("module/i915/version")));

    mount("mtty-host.json");
    const auto mtty = sys("devices/virtual/mtty/mtty");
    EXPECT_EQ(link(sys("class/mdev_bus/mtty")), "../../devices/virtual/mtty/mtty");
    EXPECT_EQ(readAttr(mtty / "mdev_supported_types/mtty-2/name").data, "Dual port serial\n");
    EXPECT_FALSE(std::filesystem::exists(mtty / "mdev_supported_types/mtty-2/description"));
    EXPECT_FALSE(std::filesystem::is_symlink(mtty / "driver"));
    EXPECT_EQ(readAttr(sys("module/mtty/srcversion")).data, "6D1C7A3F0B2E4D5C8A9B0C1D\n");

    mount("vfio-ap-host.json");
    const auto ap = sys("bus/mdev/devices/4e2b9a1c-7d0f-4e5a-8b8c-9d0112233445");
    EXPECT_EQ(link(sys("devices/vfio_ap/matrix/driver")), "../../../bus/matrix/drivers/vfio_ap");
    EXPECT_EQ(readAttr(ap / "matrix").data, "05.0004\n05.0005\n");
    EXPECT_EQ(readAttr(ap / "control_domains").data, "0004\n");
    EXPECT_EQ(readAttr(ap / "mdev_type/device_api").data, "vfio-ap\n");
    EXPECT_EQ(readAttr(ap / "assign_domain").err, EACCES);
    EXPECT_EQ(writeAttr(ap / "assign_domain", "0x0006\n").n, 7);
    EXPECT_NE(host->writes().find("assign_domain\",\"result\":7"), std::string::npos)
        << host->writes();
    EXPECT_EQ(writeAttr(ap / "matrix", "x").err, EACCES);

    mount("vfio-ccw-host.json");
    EXPECT_EQ(link(sys("devices/css0/0.0.0313/driver")), "../../../bus/css/drivers/vfio_ccw");
    EXPECT_EQ(
        readAttr(sys("class/mdev_bus/0.0.0313/mdev_supported_types/vfio_ccw-io/device_api")).data,
        "vfio-ccw\n");
}

TEST_F(SimfsProfiles, FaultsOnTheNewAttributes) {
    mount("t4-host.json");
    ASSERT_EQ(host->command("fail-read module/nvidia/version ENODEV"), 0);
    EXPECT_EQ(readAttr(sys("module/nvidia/version")).err, ENODEV);
    ASSERT_EQ(host->command("fail-read bus/pci/drivers/nvidia/module/srcversion EIO"), 0);
    EXPECT_EQ(readAttr(sys("module/nvidia/srcversion")).err, EIO);
    ASSERT_EQ(host->command("delay-read " + kT4 + "/vendor 300"), 0);
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(readAttr(sys("class/mdev_bus/0000:3b:00.0/vendor")).data, "0x10de\n");
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 300ms);
    ASSERT_EQ(host->command("clear all"), 0);
    EXPECT_EQ(readAttr(sys("module/nvidia/version")).data, "550.54.10\n");
    ASSERT_EQ(host->command("set-attr module/nvidia/version 550.90.07"), 0);
    EXPECT_EQ(readAttr(sys("module/nvidia/version")).data, "550.90.07\n");
    EXPECT_EQ(host->command("set-attr " + kT4 + "/driver x"), EINVAL);

    ASSERT_EQ(host->command("hang-read module/nvidia_vgpu_vfio/version"), 0);
    std::atomic<bool> done{false};
    Io r;
    std::thread reader([&] {
        r = readAttr(sys("module/nvidia_vgpu_vfio/version"));
        done = true;
    });
    EXPECT_TRUE(held("module/nvidia_vgpu_vfio/version"));
    EXPECT_FALSE(done);
    ASSERT_EQ(host->command("release module/nvidia_vgpu_vfio/version"), 0);
    reader.join();
    EXPECT_EQ(r.data, "550.54.10\n");
}

TEST_F(SimfsProfiles, HungLookupReturnsAfterRelease) {
    mount("t4-host.json");
    ASSERT_EQ(host->command("hang-lookup class/mdev_bus/0000:3b:00.0/driver"), 0);
    std::atomic<bool> done{false};
    int err = -1;
    std::thread looker([&] {
        err = statErr(sys("class/mdev_bus/0000:3b:00.0/driver/module"));
        done = true;
    });
    EXPECT_TRUE(held(kT4 + "/driver"));
    std::this_thread::sleep_for(200ms);
    EXPECT_FALSE(done);
    // Other lookups go on meanwhile.
    EXPECT_EQ(readAttr(sys("module/nvidia/version")).data, "550.54.10\n");
    ASSERT_EQ(host->command("release all"), 0);
    looker.join();
    EXPECT_EQ(err, 0);
}

TEST_F(SimfsProfiles, DelayedAndFailedLookups) {
    mount("t4-host.json");
    ASSERT_EQ(host->command("delay-lookup module/nvidia 300"), 0);
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(readAttr(sys("module/nvidia/version")).data, "550.54.10\n");
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 300ms);
    ASSERT_EQ(host->command("fail-lookup " + kT4 + "/vendor EIO"), 0);
    EXPECT_EQ(statErr(sys("class/mdev_bus/0000:3b:00.0/vendor")), EIO);
    EXPECT_EQ(readAttr(sys(kT4 + "/vendor")).err, EIO);
    ASSERT_EQ(host->command("fail-lookup module/nvidia_vgpu_vfio ENOENT"), 0);
    EXPECT_EQ(statErr(sys("module/nvidia_vgpu_vfio/version")), ENOENT);
}

TEST_F(SimfsProfiles, HungReadlinkReturnsAfterRelease) {
    mount("t4-host.json");
    ASSERT_EQ(host->command("hang-readlink class/mdev_bus/0000:3b:00.0"), 0);
    std::atomic<bool> done{false};
    std::string target;
    std::thread reader([&] {
        target = link(sys("class/mdev_bus/0000:3b:00.0"));
        done = true;
    });
    EXPECT_TRUE(held("class/mdev_bus/0000:3b:00.0"));
    EXPECT_FALSE(done);
    ASSERT_EQ(host->command("release class/mdev_bus/0000:3b:00.0"), 0);
    reader.join();
    EXPECT_EQ(target, "../../" + kT4);
}

TEST_F(SimfsProfiles, HungLookupEndsWhenTheCallerIsKilled) {
    mount("t4-host.json");
    ASSERT_EQ(host->command("hang-lookup module/nvidia"), 0);
    const pid_t child = ::fork();
    if (child == 0) {
        statErr(sys("module/nvidia/version"));
        ::_exit(0);
    }
    EXPECT_TRUE(held("module/nvidia"));
    ::kill(child, SIGKILL);
    int status = 0;
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
    EXPECT_TRUE(WIFSIGNALED(status));
}

// A stalled lookup is not answered even when its caller is killed: the
// caller stays in the kernel (uninterruptible) until the stall ends.
TEST_F(SimfsProfiles, StalledLookupHoldsEvenAKilledCaller) {
    mount("t4-host.json");
    ASSERT_EQ(host->command("stall module/nvidia 1500"), 0);
    const auto t0 = std::chrono::steady_clock::now();
    const pid_t child = ::fork();
    if (child == 0) {
        statErr(sys("module/nvidia/version"));
        ::_exit(0);
    }
    EXPECT_TRUE(held("module/nvidia"));
    ::kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 1400ms);
    EXPECT_TRUE(WIFSIGNALED(status));
    // Released early, a stall ends at once.
    ASSERT_EQ(host->command("stall module/nvidia 60000"), 0);
    std::atomic<bool> done{false};
    std::thread looker([&] {
        statErr(sys("module/nvidia/version"));
        done = true;
    });
    EXPECT_TRUE(held("module/nvidia"));
    EXPECT_FALSE(done);
    ASSERT_EQ(host->command("release module/nvidia"), 0);
    looker.join();
    EXPECT_TRUE(done);
}
