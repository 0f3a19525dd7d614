// Vendor oracles between two simulated hosts: the source's `annotate`
// records an oracle token beside the kernel facts, the destination's hook
// asks the oracle of that name, whose answer outranks the fingerprint.
// (a) the example oracle for mtty, src/oracles/example/mtty-example;
// (b) the nvml oracle with the fake libnvidia-ml of tests/oracles/nvml.
#include "sim_mount.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace mdevmc;
using namespace mdevmc::test;
using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kT4Dev = "0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3a";
constexpr const char* kMttyDev = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001";
constexpr const char* kMttySrcversion = "6D1C7A3F0B2E4D5C8A9B0C1D";
const std::string kRefusing = "mdev-migcheck: refusing migration of vgpu: ";
const std::string kT4Subject = "mdev " + std::string(kT4Dev) +
                               " (nvidia-231) on parent "
                               "0000:3b:00.0: ";
const std::string kMttySubject = "mdev " + std::string(kMttyDev) + " (mtty-2) on parent mtty: ";
const std::string kMttyExample = std::string(MDEVMC_EXAMPLE_ORACLES) + "/mtty-example";

json example(const std::string& name) {
    std::ifstream in(std::string(MDEVMC_SIMFS_EXAMPLES) + "/" + name);
    return json::parse(in);
}

std::string domain(const std::string& uuid) {
    return "<domain type='kvm'>\n  <name>vgpu</name>\n"
           "  <uuid>3e1e7d8c-1b4a-4f63-9a43-52f0c1e9d0aa</uuid>\n  <devices>\n"
           "    <hostdev mode='subsystem' type='mdev' model='vfio-pci'>\n"
           "      <source><address uuid='" +
           uuid + "'/></source>\n    </hostdev>\n  </devices>\n</domain>\n";
}

std::string firstLine(const std::string& s) {
    return s.substr(0, s.find('\n'));
}

void install(const fs::path& root, const std::string& name, const fs::path& from,
             const char* dir = "usr/libexec/mdev-migcheck/oracles") {
    fs::create_directories(root / dir);
    fs::copy_file(from, root / dir / name, fs::copy_options::overwrite_existing);
    fs::permissions(root / dir / name, fs::perms(0755));
}

void installScript(const fs::path& root, const std::string& name, const std::string& body,
                   const char* dir = "etc/mdev-migcheck/oracles.d") {
    writeFile(root / dir / name, "#!/bin/sh\n" + body);
    fs::permissions(root / dir / name, fs::perms(0755));
}

class HookOracles : public ::testing::Test {
protected:
    void SetUp() override {
        if (const std::string why = fuseUnavailable(); !why.empty()) {
            GTEST_SKIP() << why;
        }
    }
    void hosts(const json& source_topo, const json& target_topo) {
        source = std::make_unique<SimHost>(MDEVMC_SIMFS, source_topo.dump());
        target = std::make_unique<SimHost>(MDEVMC_SIMFS, target_topo.dump());
        for (const SimHost* h : {source.get(), target.get()}) {
            writeFile(h->root() / "etc/mdev-migcheck/mdev-migcheck.conf",
                      "attr_timeout_ms = 1000\ntimeout_ms = 4000\nsyslog = no\n");
        }
    }
    std::vector<std::string> env(const SimHost& h) const {
        std::vector<std::string> extra{"MDEV_MIGCHECK_ROOT=" + h.root().string()};
        if (!library_path.empty()) {
            extra.push_back("LD_LIBRARY_PATH=" + library_path);
        }
        return libvirtEnvironment(extra);
    }
    std::string annotate(const std::string& xml) {
        const RunResult r = runProgram({MDEVMC_CLI, "annotate", "--xml", "-"}, env(*source), xml);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return r.out;
    }
    RunResult migrate(const std::string& xml) {
        return runProgram({MDEVMC_HOOK, "vgpu", "migrate", "begin", "-"}, env(*target), xml);
    }
    json check(const std::string& xml) {
        const RunResult r =
            runProgram({MDEVMC_CLI, "check", "--xml", "-", "--json"}, env(*target), xml);
        try {
            return json::parse(r.out).at("devices").at(0);
        } catch (const std::exception& e) {
            ADD_FAILURE() << e.what() << ": " << r.out << r.err;
            return json::object();
        }
    }
    std::unique_ptr<SimHost> source, target;
    std::string library_path;
};

} // namespace

// (a) The example oracle.

TEST_F(HookOracles, MttyExampleDecidesCompatible) {
    hosts(example("mtty-host.json"), example("mtty-host.json"));
    install(source->root(), "mtty-example", kMttyExample);
    install(target->root(), "mtty-example", kMttyExample);
    const std::string xml = annotate(domain(kMttyDev));
    EXPECT_NE(xml.find("<mdevmc:oracle name=\"mtty-example\" token=\"mtty-v1:mtty-2:" +
                       std::string(kMttySrcversion) + "\"/>"),
              std::string::npos)
        << xml;
    const RunResult r = migrate(xml);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    const json v = check(xml);
    EXPECT_EQ(v.value("evidence", ""), "oracle:mtty-example");
    EXPECT_EQ(v.value("detail", ""), "oracle mtty-example says compatible");
}

TEST_F(HookOracles, MttyExampleRefusesWhatTheFingerprintWouldAccept) {
    json other = example("mtty-host.json");
    other["modules"]["mtty"]["srcversion"] = "ABCDEF0123456789";
    hosts(example("mtty-host.json"), other);
    install(source->root(), "mtty-example", kMttyExample);
    install(target->root(), "mtty-example", kMttyExample);
    const std::string xml = annotate(domain(kMttyDev));
    const RunResult r = migrate(xml);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(firstLine(r.err), kRefusing + kMttySubject +
                                    "oracle mtty-example: module mtty srcversion " +
                                    kMttySrcversion +
                                    " on the source, ABCDEF0123456789 here (evidence: "
                                    "oracle:mtty-example; source host 'vm')");
    const json v = check(xml);
    EXPECT_EQ(v.value("evidence", ""), "oracle:mtty-example");
    EXPECT_EQ(v.value("reason", ""), "oracle-incompatible");
    // Without the oracle here, the fingerprint (module version 0.1 on both)
    // accepts it, and says why the oracle did not decide.
    fs::remove(target->root() / "usr/libexec/mdev-migcheck/oracles/mtty-example");
    EXPECT_EQ(migrate(xml).exit_code, 0);
    const json fp = check(xml);
    EXPECT_EQ(fp.value("evidence", ""), "fingerprint");
    EXPECT_NE(fp.value("detail", "")
                  .find("(the source's oracle mtty-example is not installed or "
                        "not enabled here)"),
              std::string::npos)
        << fp.dump();
}

TEST_F(HookOracles, MttyExampleDisabledByConfigurationOrMask) {
    json other = example("mtty-host.json");
    other["modules"]["mtty"]["srcversion"] = "ABCDEF0123456789";
    hosts(example("mtty-host.json"), other);
    install(source->root(), "mtty-example", kMttyExample);
    install(target->root(), "mtty-example", kMttyExample);
    const std::string xml = annotate(domain(kMttyDev));
    ASSERT_EQ(migrate(xml).exit_code, 1);
    writeFile(target->root() / "etc/mdev-migcheck/mdev-migcheck.conf",
              "syslog = no\noracles = none\n");
    EXPECT_EQ(migrate(xml).exit_code, 0);
    writeFile(target->root() / "etc/mdev-migcheck/mdev-migcheck.conf", "syslog = no\n");
    fs::create_directories(target->root() / "etc/mdev-migcheck/oracles.d");
    fs::create_symlink("/dev/null", target->root() / "etc/mdev-migcheck/oracles.d/mtty-example");
    EXPECT_EQ(migrate(xml).exit_code, 0);
    EXPECT_EQ(check(xml).value("evidence", ""), "fingerprint");
}

TEST_F(HookOracles, HungOracleFallsBackToTheFingerprintWithANote) {
    hosts(example("mtty-host.json"), example("mtty-host.json"));
    install(source->root(), "mtty-example", kMttyExample);
    // The administrator's copy on the target hangs.
    installScript(target->root(), "mtty-example", "sleep 100\necho compatible\n");
    const std::string xml = annotate(domain(kMttyDev));
    const RunResult r = migrate(xml);
    EXPECT_TRUE(r.finished);
    EXPECT_LT(r.eof_after, 5000ms);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const json v = check(xml);
    EXPECT_EQ(v.value("evidence", ""), "fingerprint");
    const std::string detail = v.value("detail", "");
    EXPECT_NE(detail.find("(oracle mtty-example could not tell: oracle mtty-example did not "
                          "answer within its deadline (timed out))"),
              std::string::npos)
        << detail;
}

TEST_F(HookOracles, MttyExampleLeavesOtherDevicesUnclaimed) {
    hosts(example("t4-host.json"), example("t4-host.json"));
    install(source->root(), "mtty-example", kMttyExample);
    install(target->root(), "mtty-example", kMttyExample);
    const std::string xml = annotate(domain(kT4Dev));
    EXPECT_EQ(xml.find("<mdevmc:oracle"), std::string::npos) << xml;
    EXPECT_EQ(migrate(xml).exit_code, 0);
    EXPECT_EQ(check(xml).value("evidence", ""), "fingerprint");
}

TEST_F(HookOracles, MttyExampleRunDirectly) {
    hosts(example("mtty-host.json"), example("mtty-host.json"));
    const std::vector<std::string> env{
        "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "MDEV_MIGCHECK_ROOT=" + source->root().string(),
        "MDEV_MIGCHECK_ORACLE_PROTOCOL=1", "MDEV_MIGCHECK_DEADLINE_MS=2000"};
    RunResult r = runProgram({kMttyExample, "record", kMttyDev, "mtty-2", "mtty"}, env, "");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "token mtty-v1:mtty-2:" + std::string(kMttySrcversion) + "\n");
    const std::string token = "mtty-v1:mtty-2:" + std::string(kMttySrcversion);
    r = runProgram({kMttyExample, "check", kMttyDev, "mtty-2", "mtty", token}, env, "");
    EXPECT_EQ(r.out, "compatible\n");
    r = runProgram({kMttyExample, "check", kMttyDev, "mtty-1", "mtty", token}, env, "");
    EXPECT_EQ(r.out, "incompatible the source's device is of type mtty-2, this one of type "
                     "mtty-1\n");
    r = runProgram({kMttyExample, "check", kMttyDev, "mtty-2", "mtty", "nvml-token"}, env, "");
    EXPECT_EQ(r.out, "unknown the token is not an mtty-v1 token\n");
    r = runProgram({kMttyExample, "record", kMttyDev, "mtty-2", "0000:3b:00.0"}, env, "");
    EXPECT_EQ(r.out, "unclaimed\n");
    // The caller's bugs.
    r = runProgram({kMttyExample, "record", kMttyDev, "mtty-2"}, env, "");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.out, "");
    r = runProgram({kMttyExample, "record", kMttyDev, "mtty-2", "../mtty"}, env, "");
    EXPECT_EQ(r.exit_code, 2);
    r = runProgram({kMttyExample, "record", kMttyDev, "mtty-2", "mtty"},
                   {"PATH=/usr/bin:/bin", "MDEV_MIGCHECK_ROOT=" + source->root().string()}, "");
    EXPECT_EQ(r.exit_code, 2);
    // The module's srcversion unreadable.
    ASSERT_EQ(source->command("fail-read module/mtty/srcversion EIO"), 0);
    r = runProgram({kMttyExample, "record", kMttyDev, "mtty-2", "mtty"}, env, "");
    EXPECT_EQ(r.out, "unknown cannot read the srcversion of module mtty\n");
}

// (b) NVML, through the fake libnvidia-ml.

#ifdef MDEVMC_NVML_ORACLE

namespace {

// The source's GPU, with the vGPU behind kT4Dev (NVML spells it in upper case).
json nvmlSource() {
    return {{"gpus",
             {{{"bus_id", "0000:3b:00.0"},
               {"host_driver", "550.54.10"},
               {"vgpu_range", {0x110001, 0x120001}},
               {"vgpus",
                {{{"instance", 9},
                  {"mdev_uuid", "0A9D3B9E-42A1-4B8F-9C4E-8D6C1F0E2B3A"},
                  {"guest_driver", "535.129.03"},
                  {"host_driver", "550.54.10"},
                  {"guest_vgpu_version", 0x110002},
                  {"opaque", "deadbeef01"}}}}}}}};
}

json nvmlTarget(const std::string& host_driver, json compatibility = json::array()) {
    return {{"gpus",
             {{{"bus_id", "0000:3b:00.0"},
               {"host_driver", host_driver},
               {"vgpu_range", {0x110001, 0x120001}},
               {"opaque", "0102"}}}},
            {"compatibility", std::move(compatibility)}};
}

class HookNvml : public HookOracles {
protected:
    void nvmlHosts(const json& source_topo, const json& target_topo, const json& target_nvml) {
        hosts(source_topo, target_topo);
        library_path = MDEVMC_FAKE_NVML_DIR;
        install(source->root(), "nvml", MDEVMC_NVML_ORACLE);
        install(target->root(), "nvml", MDEVMC_NVML_ORACLE);
        std::ofstream(source->root() / "fake-nvml.json") << nvmlSource().dump();
        std::ofstream(target->root() / "fake-nvml.json") << target_nvml.dump();
    }
    std::string annotated() {
        const std::string xml = annotate(domain(kT4Dev));
        EXPECT_NE(xml.find("<mdevmc:oracle name=\"nvml\" token=\""), std::string::npos) << xml;
        return xml;
    }
};

} // namespace

TEST_F(HookNvml, NvmlRefusesWhatTheFingerprintAccepts) {
    nvmlHosts(example("t4-host.json"), example("t4-host.json"),
              nvmlTarget("550.54.10", {{{"states", json::array()}, {"limit", {"guest_driver"}}}}));
    const std::string xml = annotated();
    const RunResult r = migrate(xml);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(firstLine(r.err),
              kRefusing + kT4Subject +
                  "oracle nvml: guest driver 535.129.03 is not supported by "
                  "this host's vGPU manager 550.54.10 (evidence: oracle:nvml; source host 'vm')");
    const json v = check(xml);
    EXPECT_EQ(v.value("evidence", ""), "oracle:nvml");
    EXPECT_EQ(v.value("reason", ""), "oracle-incompatible");
}

TEST_F(HookNvml, NvmlAcceptsANewerDriverThatIdenticalRefuses) {
    nvmlHosts(example("t4-host.json"), example("t4-host-newer-driver.json"),
              nvmlTarget("550.90.07"));
    const std::string xml = annotated();
    const RunResult r = migrate(xml);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const json v = check(xml);
    EXPECT_EQ(v.value("evidence", ""), "oracle:nvml");
    EXPECT_EQ(v.value("detail", ""), "oracle nvml says compatible");
}

TEST_F(HookNvml, WithoutAWorkingLibraryTheFingerprintDecides) {
    nvmlHosts(example("t4-host.json"), example("t4-host-newer-driver.json"),
              nvmlTarget("550.90.07"));
    const std::string xml = annotated();
    const fs::path empty = target->root() / "empty-lib";
    fs::create_directories(empty);
    for (const std::string& dir :
         std::vector<std::string>{empty.string(), MDEVMC_FAKE_NVML_BROKEN_DIR}) {
        library_path = dir;
        const RunResult r = migrate(xml);
        EXPECT_EQ(r.exit_code, 1) << dir;
        EXPECT_EQ(
            firstLine(r.err),
            kRefusing + kT4Subject +
                "host driver nvidia '550.54.10' on the source, '550.90.07' here "
                "(driver_version = identical); vendor module nvidia_vgpu_vfio '550.54.10' "
                "on the source, '550.90.07' here (driver_version = identical) (oracle nvml does "
                "not claim the device here) (evidence: fingerprint; source host 'vm')")
            << dir;
        const json v = check(xml);
        EXPECT_EQ(v.value("evidence", ""), "fingerprint") << dir;
    }
    // Same driver on both sides: the fingerprint accepts, with the note.
    nvmlHosts(example("t4-host.json"), example("t4-host.json"), nvmlTarget("550.54.10"));
    const std::string same = annotated();
    const fs::path none = target->root() / "empty-lib";
    fs::create_directories(none);
    library_path = none.string();
    EXPECT_EQ(migrate(same).exit_code, 0);
    const json v = check(same);
    EXPECT_EQ(v.value("evidence", ""), "fingerprint");
    EXPECT_NE(v.value("detail", "").find("(oracle nvml does not claim the device here)"),
              std::string::npos)
        << v.dump();
}

TEST_F(HookNvml, NoLibraryOnTheSourceRecordsNoToken) {
    nvmlHosts(example("t4-host.json"), example("t4-host.json"), nvmlTarget("550.54.10"));
    library_path.clear();
    const std::string xml = annotate(domain(kT4Dev));
    EXPECT_EQ(xml.find("<mdevmc:oracle"), std::string::npos) << xml;
    EXPECT_NE(xml.find("<mdevmc:fact name=\"driver.version\""), std::string::npos);
    library_path = MDEVMC_FAKE_NVML_DIR;
    EXPECT_EQ(migrate(xml).exit_code, 0);
    EXPECT_EQ(check(xml).value("evidence", ""), "fingerprint");
}

#endif
