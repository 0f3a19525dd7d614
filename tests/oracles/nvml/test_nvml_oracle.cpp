// The built nvml oracle, run as mdev-migcheck runs it, on fake sysfs roots
// with the fake libnvidia-ml.so.1.
#include "oracle_runner.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <string>

namespace fs = std::filesystem;
using mdevmc::test::oracleEnvironment;
using mdevmc::test::OracleRun;
using mdevmc::test::runOracle;
using nlohmann::json;

namespace {

constexpr const char* kUuid = "6f1c2a3e-8b4d-4e5f-9a0b-1c2d3e4f5a6b";
constexpr const char* kType = "nvidia-222";
constexpr const char* kGpu = "0000:3b:00.0";
constexpr const char* kVf = "0000:3b:00.4";
constexpr const char* kIgpu = "0000:00:02.0";
constexpr const char* kOutside = "0000:66:00.0";

// A GPU with one vGPU whose mdev is kUuid (NVML spells it in upper case).
json sourceScenario(const std::string& guest = "535.129.03",
                    const std::string& opaque = "deadbeef01") {
    return {{"gpus",
             {{{"bus_id", kGpu},
               {"host_driver", "550.54.10"},
               {"vgpu_range", {0x110001, 0x120001}},
               {"vgpus",
                {{{"instance", 7}, {"mdev_uuid", "11111111-2222-3333-4444-555555555555"}},
                 {{"instance", 9},
                  {"mdev_uuid", "6F1C2A3E-8B4D-4E5F-9A0B-1C2D3E4F5A6B"},
                  {"guest_driver", guest},
                  {"guest_vgpu_version", 0x100002},
                  {"opaque", opaque}}}}}}}};
}

json targetScenario(const std::string& hostDriver, json compatibility) {
    return {{"gpus",
             {{{"bus_id", kGpu},
               {"host_driver", hostDriver},
               {"vgpu_range", {0x110001, 0x120001}},
               {"opaque", "0102"}}}},
            {"compatibility", std::move(compatibility)}};
}

class NvmlOracle : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/nvml-oracle-test.XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        base_ = tmpl;
        fs::create_directories(base_ / "empty-lib");
    }
    void TearDown() override { fs::remove_all(base_); }

    // A host: its sysfs with an nvidia GPU (kGpu), one of its VFs (kVf), an
    // i915 GPU (kIgpu), and an mdev_bus entry leading out of the root
    // (kOutside); the fake NVML's scenario beside it.
    fs::path makeHost(const std::string& name, const json& scenario) {
        const fs::path root = base_ / name;
        const fs::path sys = root / "sys";
        fs::create_directories(sys / "bus/pci/drivers/nvidia");
        fs::create_directories(sys / "bus/pci/drivers/i915");
        fs::create_directories(sys / "class/mdev_bus");
        const fs::path pci = sys / "devices/pci0000:00";
        for (const auto& [dev, driver] :
             {std::pair{kGpu, "nvidia"}, std::pair{kVf, "nvidia"}, std::pair{kIgpu, "i915"}}) {
            fs::create_directories(pci / dev);
            fs::create_directory_symlink(std::string("../../../bus/pci/drivers/") + driver,
                                         pci / dev / "driver");
            fs::create_directory_symlink(std::string("../../devices/pci0000:00/") + dev,
                                         sys / "class/mdev_bus" / dev);
        }
        fs::create_directory_symlink(std::string("../") + kGpu, pci / kVf / "physfn");
        const fs::path outside = base_ / ("outside-" + name) / "dev";
        fs::create_directories(outside / "nvidia");
        fs::create_directory_symlink("nvidia", outside / "driver");
        fs::create_directory_symlink("../../../../outside-" + name + "/dev",
                                     sys / "class/mdev_bus" / kOutside);
        setScenario(root, scenario);
        return root;
    }

    static void setScenario(const fs::path& root, const json& scenario) {
        std::ofstream(root / "fake-nvml.json") << scenario.dump(2);
        fs::remove(root / "fake-nvml.log");
    }

    // The NVML calls the fake saw, one per line.
    static std::string calls(const fs::path& root) {
        std::ifstream in(root / "fake-nvml.log");
        return std::string(std::istreambuf_iterator<char>(in), {});
    }
    static int count(const std::string& text, const std::string& line) {
        int n = 0;
        for (std::size_t at = text.find(line + "\n"); at != std::string::npos;
             at = text.find(line + "\n", at + 1)) {
            n += at == 0 || text[at - 1] == '\n';
        }
        return n;
    }

    OracleRun run(const fs::path& root, std::vector<std::string> args,
                  const std::string& libraryPath = FAKE_NVML_DIR, unsigned deadlineMs = 2000) {
        args.insert(args.begin(), NVML_ORACLE);
        return runOracle(args, oracleEnvironment(root, libraryPath, deadlineMs));
    }
    OracleRun record(const fs::path& root, const std::string& parent = kGpu,
                     const std::string& libraryPath = FAKE_NVML_DIR) {
        return run(root, {"record", kUuid, kType, parent}, libraryPath);
    }
    OracleRun check(const fs::path& root, const std::string& token,
                    const std::string& libraryPath = FAKE_NVML_DIR, unsigned deadlineMs = 2000) {
        return run(root, {"check", kUuid, kType, kGpu, token}, libraryPath, deadlineMs);
    }

    // The token recorded for kUuid on a source host with `scenario`.
    std::string recordedToken(const json& scenario) {
        const fs::path src = makeHost("source", scenario);
        const OracleRun r = record(src);
        EXPECT_EQ(r.exitCode, 0);
        EXPECT_EQ(r.out.rfind("token ", 0), 0u) << r.out;
        std::string token = r.out.substr(r.out.find(' ') + 1);
        token.erase(token.find_last_not_of('\n') + 1);
        return token;
    }

    fs::path base_;
};

} // namespace

TEST_F(NvmlOracle, RecordThenCheckIsCompatible) {
    const std::string token = recordedToken(sourceScenario());
    EXPECT_LE(token.size(), 4096u);
    EXPECT_EQ(token.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="),
              std::string::npos);
    const std::string source = calls(base_ / "source");
    EXPECT_EQ(count(source, "nvmlInit_v2"), 1) << source;
    EXPECT_EQ(count(source, "nvmlShutdown"), 1) << source;

    // Compatible only when the opaque data arrives intact.
    const fs::path dst =
        makeHost("target", targetScenario("550.54.10",
                                          {{{"opaque", "deadbeef01"}, {"states", {"live", "cold"}}},
                                           {{"states", {"cold"}}, {"limit", {"other"}}}}));
    const OracleRun r = check(dst, token);
    EXPECT_EQ(r.exitCode, 0);
    EXPECT_EQ(r.out, "compatible\n");
    const std::string target = calls(dst);
    EXPECT_EQ(count(target, "nvmlInit_v2"), 1) << target;
    EXPECT_EQ(count(target, "nvmlShutdown"), 1) << target;
}

TEST_F(NvmlOracle, GuestDriverTooOld) {
    const std::string token = recordedToken(sourceScenario("535.129.03"));
    const fs::path dst =
        makeHost("target", targetScenario("550.90.07", {{{"guest_driver", "535.129.03"},
                                                         {"states", json::array()},
                                                         {"limit", {"guest_driver"}}}}));
    const OracleRun r = check(dst, token);
    EXPECT_EQ(r.exitCode, 0);
    EXPECT_EQ(r.out, "incompatible guest driver 535.129.03 is not supported by this host's vGPU "
                     "manager 550.90.07\n");
}

TEST_F(NvmlOracle, HostDriverLimitWithColdMigrationOnly) {
    const std::string token = recordedToken(sourceScenario());
    const fs::path dst =
        makeHost("target", targetScenario("550.90.07", {{{"source_host_driver", "550.54.10"},
                                                         {"host_driver", "550.90.07"},
                                                         {"states", {"cold", "hibernate"}},
                                                         {"limit", {"host_driver"}}}}));
    const OracleRun r = check(dst, token);
    EXPECT_EQ(r.exitCode, 0);
    EXPECT_EQ(r.out, "incompatible host driver 550.54.10 on the source is not compatible with this "
                     "host's vGPU manager 550.90.07; no live migration; the VM can only be resumed "
                     "here from state cold, hibernate\n");
}

TEST_F(NvmlOracle, GpuAndOtherLimits) {
    const std::string token = recordedToken(sourceScenario());
    const fs::path dst = makeHost("target", targetScenario("550.54.10", {{{"limit", {"gpu"}}}}));
    OracleRun r = check(dst, token);
    EXPECT_EQ(r.out, "incompatible the GPU differs: this host's GPU '0000:3b:00.0' supports vGPU "
                     "versions 0x110001 to 0x120001, the guest runs vGPU version 0x100002\n");
    setScenario(dst, targetScenario("550.54.10", {{{"limit", {"other"}}}}));
    r = check(dst, token);
    EXPECT_EQ(r.out, "incompatible NVML reports an incompatibility (limit code 0x80000000)\n");
}

TEST_F(NvmlOracle, ReasonIsPrintableAscii) {
    const std::string token = recordedToken(sourceScenario("535\x01\x7f"
                                                           "1"));
    const fs::path dst =
        makeHost("target", targetScenario("550.54.10", {{{"limit", {"guest_driver"}}}}));
    const OracleRun r = check(dst, token);
    EXPECT_EQ(r.out, "incompatible guest driver 535??1 is not supported by this host's vGPU "
                     "manager 550.54.10\n");
}

TEST_F(NvmlOracle, LibraryAbsentIsUnclaimed) {
    const fs::path root = makeHost("host", sourceScenario());
    const std::string empty = (base_ / "empty-lib").string();
    EXPECT_EQ(record(root, kGpu, empty).out, "unclaimed\n");
    EXPECT_EQ(check(root, "AQ==", empty).out, "unclaimed\n");
}

TEST_F(NvmlOracle, BrokenLibraryIsUnclaimed) {
    const fs::path root = makeHost("host", sourceScenario());
    EXPECT_EQ(record(root, kGpu, FAKE_NVML_BROKEN_DIR).out, "unclaimed\n");
    EXPECT_EQ(check(root, "AQ==", FAKE_NVML_BROKEN_DIR).out, "unclaimed\n");
}

TEST_F(NvmlOracle, NonNvidiaParentIsUnclaimed) {
    json scenario = sourceScenario();
    scenario["gpus"][0]["bus_id"] = kIgpu; // NVML would answer: the driver decides
    const fs::path root = makeHost("host", scenario);
    const OracleRun r = record(root, kIgpu);
    EXPECT_EQ(r.exitCode, 0);
    EXPECT_EQ(r.out, "unclaimed\n");
    EXPECT_EQ(calls(root), "");
    EXPECT_EQ(record(root, "mtty").out, "unclaimed\n"); // not in mdev_bus
}

TEST_F(NvmlOracle, ParentOutsideTheRootIsUnclaimed) {
    json scenario = sourceScenario();
    scenario["gpus"][0]["bus_id"] = kOutside;
    const fs::path root = makeHost("host", scenario);
    EXPECT_EQ(record(root, kOutside).out, "unclaimed\n");
    EXPECT_EQ(calls(root), "");
}

TEST_F(NvmlOracle, VfParentIsFoundThroughItsPhysicalFunction) {
    const fs::path root = makeHost("host", sourceScenario());
    const OracleRun r = record(root, kVf);
    EXPECT_EQ(r.out.rfind("token ", 0), 0u) << r.out;
}

TEST_F(NvmlOracle, InitFailsDriverNotLoaded) {
    json scenario = sourceScenario();
    scenario["errors"] = {{"nvmlInit_v2", "NVML_ERROR_DRIVER_NOT_LOADED"}};
    const fs::path root = makeHost("host", scenario);
    OracleRun r = record(root);
    EXPECT_EQ(r.exitCode, 0);
    EXPECT_EQ(r.out, "unknown nvmlInit_v2 failed: NVML_ERROR_DRIVER_NOT_LOADED\n");
    EXPECT_EQ(count(calls(root), "nvmlShutdown"), 0);
    setScenario(root, scenario);
    const std::string token = recordedToken(sourceScenario());
    r = check(root, token);
    EXPECT_EQ(r.out, "unknown nvmlInit_v2 failed: NVML_ERROR_DRIVER_NOT_LOADED\n");
}

TEST_F(NvmlOracle, CompatibilityNotSupported) {
    const std::string token = recordedToken(sourceScenario());
    json scenario = targetScenario("550.54.10", json::array());
    scenario["errors"] = {{"nvmlGetVgpuCompatibility", "NVML_ERROR_NOT_SUPPORTED"}};
    const fs::path dst = makeHost("target", scenario);
    const OracleRun r = check(dst, token);
    EXPECT_EQ(r.exitCode, 0);
    EXPECT_EQ(
        r.out,
        "unknown nvmlGetVgpuCompatibility failed for '0000:3b:00.0': NVML_ERROR_NOT_SUPPORTED\n");
    EXPECT_EQ(count(calls(dst), "nvmlShutdown"), 1);
}

TEST_F(NvmlOracle, UnnamedNvmlErrorIsReportedByNumber) {
    json scenario = sourceScenario();
    scenario["errors"] = {{"nvmlDeviceGetActiveVgpus", 4242}};
    const fs::path root = makeHost("host", scenario);
    EXPECT_EQ(record(root).out,
              "unknown nvmlDeviceGetActiveVgpus failed for '0000:3b:00.0': NVML_ERROR_4242\n");
}

TEST_F(NvmlOracle, HangingCallAnswersUnknownWithinTheDeadline) {
    const std::string token = recordedToken(sourceScenario());
    json scenario = targetScenario("550.54.10", json::array());
    scenario["hang"] = {"nvmlGetVgpuCompatibility"};
    const fs::path dst = makeHost("target", scenario);
    const OracleRun r = check(dst, token, FAKE_NVML_DIR, 1000);
    EXPECT_FALSE(r.killed);
    EXPECT_EQ(r.exitCode, 0);
    EXPECT_EQ(r.out, "unknown NVML did not answer within 900 ms\n");
    EXPECT_LT(r.elapsed, std::chrono::milliseconds(3000));
}

TEST_F(NvmlOracle, HangingShutdownKeepsTheAnswer) {
    json scenario = sourceScenario();
    scenario["hang"] = {"nvmlShutdown"};
    const fs::path root = makeHost("host", scenario);
    const OracleRun r = run(root, {"record", kUuid, kType, kGpu}, FAKE_NVML_DIR, 500);
    EXPECT_FALSE(r.killed);
    EXPECT_EQ(r.exitCode, 0);
    EXPECT_EQ(r.out.rfind("token ", 0), 0u) << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1);
}

TEST_F(NvmlOracle, CorruptTokenIsUnknown) {
    const std::string token = recordedToken(sourceScenario());
    const fs::path dst = makeHost("target", targetScenario("550.54.10", json::array()));
    std::string bad = token;
    bad[3] = '*';
    EXPECT_EQ(
        check(dst, bad).out.rfind("unknown token is not valid base64: unexpected character '*' "
                                  "at offset 3",
                                  0),
        0u);
    EXPECT_EQ(check(dst, "AgAAAAA=").out,
              "unknown token format version 2 is not supported (this oracle reads version 1)\n");
    EXPECT_EQ(check(dst, token.substr(0, token.size() - 8)).out.rfind("unknown token declares ", 0),
              0u);
    EXPECT_EQ(check(dst, "AQ==").out, "unknown token is truncated (1 bytes, its header takes 5)\n");
    EXPECT_EQ(check(dst, std::string(5000, 'A')).out,
              "unknown token is too long (5000 characters, at most 4096)\n");
    EXPECT_EQ(count(calls(dst), "nvmlInit_v2"), 0);
}

TEST_F(NvmlOracle, NoInstanceForTheMdev) {
    json scenario = sourceScenario();
    scenario["gpus"][0]["vgpus"].erase(1);
    const fs::path root = makeHost("host", scenario);
    EXPECT_EQ(record(root).out,
              std::string("unknown no vGPU instance for mdev '") + kUuid + "' on '0000:3b:00.0'\n");
}

TEST_F(NvmlOracle, MetadataTooLarge) {
    const fs::path root = makeHost("host", sourceScenario("535.129.03", std::string(8000, 'a')));
    EXPECT_EQ(record(root).out, "unknown vGPU metadata too large (4208 bytes)\n");
}

TEST_F(NvmlOracle, InvalidArgumentsExitTwo) {
    const fs::path root = makeHost("host", sourceScenario());
    const auto env = oracleEnvironment(root.string(), FAKE_NVML_DIR);
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"record", "not-a-uuid", kType, kGpu}, "invalid mdev UUID 'not-a-uuid'"},
        {{"record", "6f1c2a3e-8b4d-4e5f-9a0b-1c2d3e4f5a6", kType, kGpu}, "invalid mdev UUID"},
        {{"record", kUuid, "../x", kGpu}, "invalid mdev type '../x'"},
        {{"record", kUuid, kType, "../../etc"}, "invalid parent device name '../../etc'"},
        {{"record", kUuid, kType, "-0000:3b:00.0"}, "invalid parent device name"},
        {{"record", kUuid, kType, std::string(129, 'a')}, "invalid parent device name"},
        {{"record", kUuid, kType}, "'record' takes 3 arguments, got 2"},
        {{"check", kUuid, kType, kGpu}, "'check' takes 4 arguments, got 3"},
        {{"probe", kUuid, kType, kGpu}, "unknown command 'probe'"},
        {{}, "usage:"},
    };
    for (const auto& [args, message] : cases) {
        std::vector<std::string> argv{NVML_ORACLE};
        argv.insert(argv.end(), args.begin(), args.end());
        const OracleRun r = runOracle(argv, env, true);
        EXPECT_EQ(r.exitCode, 2) << message;
        EXPECT_EQ(r.out, "") << message;
        EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    }
    auto other = env;
    other[2] = "MDEV_MIGCHECK_ORACLE_PROTOCOL=2";
    const OracleRun r = runOracle({NVML_ORACLE, "record", kUuid, kType, kGpu}, other, true);
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("unsupported oracle protocol '2'"), std::string::npos) << r.err;
}
