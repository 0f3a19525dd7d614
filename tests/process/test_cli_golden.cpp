// The exact output of mdev-migcheck (tables, JSON, help texts) on a
// simulated host, compared byte for byte with tests/golden/<case>.out.
// MDEVMC_REGENERATE_GOLDEN=1 rewrites the files instead (see
// tests/golden/README.md).
#include "sim_mount.hpp"

#include <cstdlib>
#include <filesystem>
#include <gtest/gtest.h>
#include <unistd.h>

using namespace mdevmc::test;

namespace {

const char* kTopology = R"({"parents": [
   {"address": "0000:00:02.0", "vendor": "8086", "device": "193b", "software_version": "5.2",
    "iommu_group_base": 10,
    "types": [{"id": "i915-GVTg_V5_4", "name": "GVTg_V5_4", "available_instances": 3},
              {"id": "i915-GVTg_V5_8", "name": "GVTg_V5_8", "migration": "absent"},
              {"id": "i915-GVTg_V5_2", "name": "GVTg_V5_2", "migration": "ENODEV"}]},
   {"address": "0000:00:03.0", "vendor": "8086", "device": "193b", "software_version": "5.0",
    "iommu_group_base": 20,
    "types": [{"id": "i915-GVTg_V5_4", "name": "GVTg_V5_4", "available_instances": 0}]}],
 "devices": [{"uuid": "c2177883-f1bb-47f0-914d-32a22e3a8804", "parent": "0000:00:02.0",
              "type": "i915-GVTg_V5_4", "device_migration_version": true}]})";

// Two mdevs recorded on a source host: one that exists here (compatible),
// one that does not (refused, with the parents that offer its type).
const char* kDomain = R"(<domain type='kvm'>
  <name>vgpu3</name>
  <uuid>3e1e7d8c-1b4a-4f63-9a43-52f0c1e9d003</uuid>
  <metadata>
    <mdevmc:migcheck xmlns:mdevmc="urn:mdev-migcheck:metadata:1" host="hostA">
      <mdevmc:mdev uuid="c2177883-f1bb-47f0-914d-32a22e3a8804" type="i915-GVTg_V5_4" parent="0000:00:02.0" version="8086-193b-i915-GVTg_V5_4-5.2"/>
      <mdevmc:mdev uuid="0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3a" type="i915-GVTg_V5_4" parent="0000:00:02.0" version="8086-193b-i915-GVTg_V5_4-5.1"/>
    </mdevmc:migcheck>
  </metadata>
  <devices>
    <hostdev mode='subsystem' type='mdev' model='vfio-pci'>
      <source><address uuid='c2177883-f1bb-47f0-914d-32a22e3a8804'/></source>
    </hostdev>
    <hostdev mode='subsystem' type='mdev' model='vfio-pci'>
      <source><address uuid='0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3a'/></source>
    </hostdev>
  </devices>
</domain>
)";

bool regenerating() {
    const char* v = std::getenv("MDEVMC_REGENERATE_GOLDEN");
    return v != nullptr && std::string(v) == "1";
}

// OUTPUT with this machine's name in check's JSON ("host":"NAME") written
// "host":"HOST", as the golden files hold it.
std::string hostless(std::string output) {
    char name[256] = {};
    ::gethostname(name, sizeof name - 1);
    const std::string mine = std::string(R"("host":")") + name + '"';
    for (auto at = output.find(mine); at != std::string::npos; at = output.find(mine, at)) {
        output.replace(at, mine.size(), R"("host":"HOST")");
    }
    return output;
}

// Compares OUTPUT with tests/golden/NAME.out, or rewrites that file.
void expectGolden(const std::string& name, const std::string& raw_output) {
    const std::string output = hostless(raw_output);
    const std::filesystem::path file = std::filesystem::path(MDEVMC_GOLDEN_DIR) / (name + ".out");
    if (regenerating()) {
        writeFile(file, output);
        return;
    }
    ASSERT_TRUE(std::filesystem::exists(file))
        << file << " is missing; create it with MDEVMC_REGENERATE_GOLDEN=1";
    EXPECT_EQ(output, readFile(file))
        << "differs from " << file << " (MDEVMC_REGENERATE_GOLDEN=1 rewrites it)";
}

RunResult run(std::vector<std::string> args, const std::filesystem::path& root,
              const std::string& input = "") {
    args.insert(args.begin(), MDEVMC_CLI);
    return runProgram(args, libvirtEnvironment({"MDEV_MIGCHECK_ROOT=" + root.string()}), input);
}

class CliGolden : public ::testing::Test {
protected:
    void SetUp() override {
        if (const std::string why = fuseUnavailable(); !why.empty()) {
            GTEST_SKIP() << why;
        }
        host = std::make_unique<SimHost>(MDEVMC_SIMFS, kTopology);
    }
    // Runs ARGS, expects EXIT and no stderr, compares stdout with NAME.
    void golden(const std::string& name, const std::vector<std::string>& args, int exit,
                const std::string& input = "") {
        const RunResult r = run(args, host->root(), input);
        EXPECT_EQ(r.exit_code, exit) << name << ": " << r.err;
        EXPECT_EQ(r.err, "") << name;
        expectGolden(name, r.out);
    }
    std::unique_ptr<SimHost> host;
};

} // namespace

TEST(CliGoldenHelp, HelpTexts) {
    const std::filesystem::path nowhere = "/nonexistent";
    RunResult r = run({"--help"}, nowhere);
    EXPECT_EQ(r.exit_code, 0);
    expectGolden("help", r.out);
    r = run({}, nowhere);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, readFile(std::filesystem::path(MDEVMC_GOLDEN_DIR) / "help.out"));
    for (const char* c : {"annotate", "check", "list", "version", "probe", "preflight"}) {
        r = run({c, "--help"}, nowhere);
        EXPECT_EQ(r.exit_code, 0) << c;
        expectGolden(std::string("help-") + c, r.out);
        EXPECT_EQ(run({"help", c}, nowhere).out, r.out) << c;
    }
}

TEST_F(CliGolden, List) {
    golden("list", {"list"}, 0);
    golden("list-json", {"list", "--json"}, 0);
}

TEST_F(CliGolden, Check) {
    golden("check", {"check", "--xml", "-"}, 1, kDomain);
    golden("check-json", {"check", "--xml", "-", "--json"}, 1, kDomain);
}

TEST_F(CliGolden, Probe) {
    golden("probe", {"probe", "--type", "i915-GVTg_V5_4", "8086-193b-i915-GVTg_V5_4-5.1"}, 0);
    golden("probe-json",
           {"probe", "--type", "i915-GVTg_V5_4", "--json", "8086-193b-i915-GVTg_V5_4-5.1"}, 0);
}

TEST_F(CliGolden, Version) {
    golden("version", {"version", "i915-GVTg_V5_4"}, 0);
    golden("version-json", {"version", "i915-GVTg_V5_8", "--json"}, 1);
}
