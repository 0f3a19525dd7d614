// Fidelity: the real mdevctl, looking at a mounted simulator bind-mounted on
// /sys in a private mount namespace, sees what the topology says.
#include "sim_mount.hpp"

#include <gtest/gtest.h>

using namespace mdevsim::test;

namespace {

std::string missingFacility() {
    if (std::string why = fuseUnavailable(); !why.empty()) {
        return why;
    }
    if (::access("/usr/sbin/mdevctl", X_OK) != 0 && ::access("/usr/bin/mdevctl", X_OK) != 0) {
        return "mdevctl is not installed";
    }
    const RunResult r =
        runProgram({"/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/true"},
                   {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, "");
    if (r.exit_code != 0) {
        return "cannot create a mount namespace: " + r.err;
    }
    return "";
}

// Runs SCRIPT in a private mount namespace where /sys is the simulator.
RunResult inNamespace(const SimHost& h, const std::string& script) {
    return runProgram({"/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
                       "mount --bind '" + h.sys().string() + "' /sys && " + script},
                      {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"}, "");
}

const char* kTopology = R"({"parents": [
   {"address": "0000:00:02.0", "vendor": "8086", "device": "193b",
    "software_version": "5.2", "iommu_group_base": 10,
    "types": [
      {"id": "i915-GVTg_V5_4", "name": "GVTg_V5_4", "description": "low_gm_size: 128MB",
       "available_instances": 4},
      {"id": "i915-GVTg_V5_8", "name": "GVTg_V5_8", "available_instances": 2,
       "migration": "absent"}]},
   {"address": "0000:3b:00.0", "vendor": "10de", "device": "1eb8",
    "software_version": "2.1", "iommu_group_base": 40,
    "types": [{"id": "nvidia-63", "name": "GRID T4-1B", "available_instances": 16}]}],
 "devices": [
   {"uuid": "c2177883-f1bb-47f0-914d-32a22e3a8804", "parent": "0000:00:02.0",
    "type": "i915-GVTg_V5_4"},
   {"uuid": "0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3a", "parent": "0000:3b:00.0",
    "type": "nvidia-63"}]})";

} // namespace

TEST(SimfsMdevctl, TypesAndListMatchTheTopology) {
    if (const std::string why = missingFacility(); !why.empty()) {
        GTEST_SKIP() << why;
    }
    SimHost h(MDEVMC_SIMFS, kTopology);
    const RunResult types = inNamespace(h, "mdevctl types");
    ASSERT_EQ(types.exit_code, 0) << types.err;
    EXPECT_EQ(types.out, "0000:00:02.0\n"
                         "  i915-GVTg_V5_4\n"
                         "    Available instances: 4\n"
                         "    Device API: vfio-pci\n"
                         "    Name: GVTg_V5_4\n"
                         "    Description: low_gm_size: 128MB\n"
                         "  i915-GVTg_V5_8\n"
                         "    Available instances: 2\n"
                         "    Device API: vfio-pci\n"
                         "    Name: GVTg_V5_8\n"
                         "    Description: simulated i915-GVTg_V5_8\n"
                         "0000:3b:00.0\n"
                         "  nvidia-63\n"
                         "    Available instances: 16\n"
                         "    Device API: vfio-pci\n"
                         "    Name: GRID T4-1B\n"
                         "    Description: simulated nvidia-63\n"
                         "\n");
    const RunResult list = inNamespace(h, "mdevctl list");
    ASSERT_EQ(list.exit_code, 0) << list.err;
    EXPECT_EQ(list.out, "c2177883-f1bb-47f0-914d-32a22e3a8804 0000:00:02.0 i915-GVTg_V5_4 manual\n"
                        "0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3a 0000:3b:00.0 nvidia-63 manual\n"
                        "\n");
}

TEST(SimfsMdevctl, StartCreatesADevice) {
    if (const std::string why = missingFacility(); !why.empty()) {
        GTEST_SKIP() << why;
    }
    SimHost h(MDEVMC_SIMFS, kTopology);
    const std::string nu = "11111111-2222-4333-8444-555555555555";
    const RunResult r =
        inNamespace(h, "mdevctl start -u " + nu + " -p 0000:3b:00.0 -t nvidia-63 && mdevctl list");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find(nu + " 0000:3b:00.0 nvidia-63 manual"), std::string::npos) << r.out;
    // The device exists outside the namespace too, and took one instance.
    EXPECT_TRUE(std::filesystem::exists(h.sys() / "bus/mdev/devices" / nu / "mdev_type"));
    EXPECT_EQ(readFile(h.sys() / "class/mdev_bus/0000:3b:00.0/mdev_supported_types/nvidia-63/"
                                 "available_instances"),
              "15\n");
    const RunResult stop = inNamespace(h, "mdevctl stop -u " + nu);
    EXPECT_EQ(stop.exit_code, 0) << stop.err;
    EXPECT_FALSE(std::filesystem::exists(h.sys() / "bus/mdev/devices" / nu));
}

// The real-driver example topologies, as mdevctl sees them.
TEST(SimfsMdevctl, ListsDevicesOnRealDriverProfiles) {
    if (const std::string why = missingFacility(); !why.empty()) {
        GTEST_SKIP() << why;
    }
    const std::string examples = MDEVMC_SIMFS_EXAMPLES;
    {
        SimHost h(MDEVMC_SIMFS, readFile(examples + "/t4-host.json"));
        const RunResult list = inNamespace(h, "mdevctl list");
        ASSERT_EQ(list.exit_code, 0) << list.err;
        EXPECT_EQ(list.out, "0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3a 0000:3b:00.0 nvidia-231 manual\n"
                            "\n");
        const RunResult types = inNamespace(h, "mdevctl types");
        ASSERT_EQ(types.exit_code, 0) << types.err;
        EXPECT_NE(types.out.find("  nvidia-231\n"
                                 "    Available instances: 8\n"
                                 "    Device API: vfio-pci\n"
                                 "    Name: GRID T4-2Q\n"
                                 "    Description: num_heads=4, frl_config=60, framebuffer=2048M, "
                                 "max_resolution=5120x2880, max_instance=8\n"),
                  std::string::npos)
            << types.out;
        const std::string nu = "11111111-2222-4333-8444-555555555555";
        const RunResult start = inNamespace(
            h, "mdevctl start -u " + nu + " -p 0000:3b:00.0 -t nvidia-232 && mdevctl list");
        ASSERT_EQ(start.exit_code, 0) << start.err;
        EXPECT_NE(start.out.find(nu + " 0000:3b:00.0 nvidia-232 manual"), std::string::npos)
            << start.out;
    }
    {
        SimHost h(MDEVMC_SIMFS, readFile(examples + "/a10-sriov-host.json"));
        const RunResult list = inNamespace(h, "mdevctl list");
        ASSERT_EQ(list.exit_code, 0) << list.err;
        EXPECT_EQ(list.out, "5b1e7c2a-3d4f-4a6b-8c9d-0e1f2a3b4c5d 0000:41:00.4 nvidia-592 manual\n"
                            "\n");
    }
    {
        SimHost h(MDEVMC_SIMFS, readFile(examples + "/mtty-host.json"));
        const RunResult list = inNamespace(h, "mdevctl list");
        ASSERT_EQ(list.exit_code, 0) << list.err;
        EXPECT_EQ(list.out, "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001 mtty mtty-2 manual\n\n");
        const RunResult types = inNamespace(h, "mdevctl types");
        ASSERT_EQ(types.exit_code, 0) << types.err;
        EXPECT_EQ(types.out, "mtty\n"
                             "  mtty-1\n"
                             "    Available instances: 24\n"
                             "    Device API: vfio-pci\n"
                             "    Name: Single port serial\n"
                             "  mtty-2\n"
                             "    Available instances: 12\n"
                             "    Device API: vfio-pci\n"
                             "    Name: Dual port serial\n"
                             "\n");
    }
}
