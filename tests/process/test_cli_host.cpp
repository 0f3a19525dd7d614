// list, version and probe on a simulated host (mdev-simfs), and the
// recorder the hook starts at `started begin`.
#include "sim_mount.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <thread>

using namespace mdevmc::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kU1 = "c2177883-f1bb-47f0-914d-32a22e3a8804";

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

class CliHost : public ::testing::Test {
protected:
    void SetUp() override {
        if (const std::string why = fuseUnavailable(); !why.empty()) {
            GTEST_SKIP() << why;
        }
        host = std::make_unique<SimHost>(MDEVMC_SIMFS, kTopology);
    }
    RunResult cli(std::vector<std::string> args) {
        args.insert(args.begin(), MDEVMC_CLI);
        return runProgram(args, libvirtEnvironment({"MDEV_MIGCHECK_ROOT=" + host->root().string()}),
                          "");
    }
    std::unique_ptr<SimHost> host;
};

} // namespace

TEST_F(CliHost, List) {
    const RunResult r = cli({"list"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Types with a migration_version attribute (even an unreadable one)
    // give the protocol as evidence, the others the kernel fingerprint.
    EXPECT_EQ(r.out,
              "PARENT        TYPE            NAME       API       AVAILABLE  DRIVER  EVIDENCE     "
              "MIGRATION_VERSION\n"
              "0000:00:02.0  i915-GVTg_V5_2  GVTg_V5_2  vfio-pci  1          -       protocol     "
              "(ENODEV)\n"
              "0000:00:02.0  i915-GVTg_V5_4  GVTg_V5_4  vfio-pci  3          -       protocol     "
              "8086-193b-i915-GVTg_V5_4-5.2\n"
              "0000:00:02.0  i915-GVTg_V5_8  GVTg_V5_8  vfio-pci  1          -       fingerprint  "
              "(absent)\n"
              "0000:00:03.0  i915-GVTg_V5_4  GVTg_V5_4  vfio-pci  0          -       protocol     "
              "8086-193b-i915-GVTg_V5_4-5.0\n"
              "\n"
              "UUID                                  PARENT        TYPE            EVIDENCE  "
              "MIGRATION_VERSION\n"
              "c2177883-f1bb-47f0-914d-32a22e3a8804  0000:00:02.0  i915-GVTg_V5_4  protocol  "
              "8086-193b-i915-GVTg_V5_4-5.2 (per device)\n");
    const RunResult j = cli({"list", "--json"});
    ASSERT_EQ(j.exit_code, 0);
    const auto doc = nlohmann::ordered_json::parse(j.out);
    ASSERT_EQ(doc["types"].size(), 4U) << j.out;
    EXPECT_EQ(doc["types"][2], nlohmann::ordered_json::parse(R"({
        "parent": "0000:00:02.0", "type": "i915-GVTg_V5_8", "name": "GVTg_V5_8",
        "device_api": "vfio-pci", "available_instances": 1, "driver": null,
        "driver_version": null, "evidence": "fingerprint", "migration_version": null,
        "migration_version_error": "ENOENT"})"));
    EXPECT_EQ(doc["types"][0]["migration_version_error"], "ENODEV");
    EXPECT_EQ(doc["types"][1]["migration_version"], "8086-193b-i915-GVTg_V5_4-5.2");
    EXPECT_TRUE(doc["types"][1]["migration_version_error"].is_null());
    ASSERT_EQ(doc["devices"].size(), 1U);
    EXPECT_EQ(doc["devices"][0], nlohmann::ordered_json::parse(R"({
        "uuid": "c2177883-f1bb-47f0-914d-32a22e3a8804", "parent": "0000:00:02.0",
        "type": "i915-GVTg_V5_4", "per_device": true, "evidence": "protocol",
        "migration_version": "8086-193b-i915-GVTg_V5_4-5.2", "migration_version_error": null})"));
}

// The value alone for a device or a type on a parent; 'PARENT VERSION'
// lines for a type, whatever the number of parents.
TEST_F(CliHost, MigrationVersion) {
    RunResult r = cli({"migration-version", kU1});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "8086-193b-i915-GVTg_V5_4-5.2\n");
    r = cli({"migration-version", "i915-GVTg_V5_4"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "0000:00:02.0 8086-193b-i915-GVTg_V5_4-5.2\n"
                     "0000:00:03.0 8086-193b-i915-GVTg_V5_4-5.0\n");
    r = cli({"migration-version", "i915-GVTg_V5_4", "--parent", "0000:00:03.0"});
    EXPECT_EQ(r.out, "8086-193b-i915-GVTg_V5_4-5.0\n");
    r = cli({"migration-version", "i915-GVTg_V5_8"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "mdev-migcheck migration-version: type i915-GVTg_V5_8 on parent 0000:00:02.0: "
                     "migration_version is absent: no migration support\n");
    r = cli({"migration-version", "i915-GVTg_V5_8", "--json"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(nlohmann::ordered_json::parse(r.out), nlohmann::ordered_json::parse(R"([
        {"parent": "0000:00:02.0", "type": "i915-GVTg_V5_8", "uuid": null,
         "migration_version": null, "migration_version_error": "ENOENT"}])"));
    r = cli({"migration-version", "i915-GVTg_V5_4", "--json"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(nlohmann::ordered_json::parse(r.out), nlohmann::ordered_json::parse(R"([
        {"parent": "0000:00:02.0", "type": "i915-GVTg_V5_4", "uuid": null,
         "migration_version": "8086-193b-i915-GVTg_V5_4-5.2", "migration_version_error": null},
        {"parent": "0000:00:03.0", "type": "i915-GVTg_V5_4", "uuid": null,
         "migration_version": "8086-193b-i915-GVTg_V5_4-5.0", "migration_version_error": null}])"));
    // One parent: still 'PARENT VERSION', as for two.
    r = cli({"migration-version", "i915-GVTg_V5_8", "--parent", "0000:00:02.0"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
    r = cli({"migration-version", "i915-GVTg_V5_2"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "mdev-migcheck migration-version: type i915-GVTg_V5_2 on parent 0000:00:02.0: "
                     "migration_version cannot be read: ENODEV: No such device\n");
    r = cli({"migration-version", "nvidia-63"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err,
              "mdev-migcheck migration-version: no parent on this host offers type 'nvidia-63'\n");
    r = cli({"migration-version", "0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3a"});
    EXPECT_EQ(r.exit_code, 2);
    // The error of a lower layer names the command too.
    EXPECT_EQ(r.err.rfind("mdev-migcheck migration-version: mdev "
                          "0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3a does not exist on this host",
                          0),
              0U)
        << r.err;
    r = cli({"migration-version", "../../etc"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err,
              "mdev-migcheck migration-version: '../../etc' is neither a UUID nor a valid mdev "
              "type id\n");
    // The deprecated name runs the same command and says so.
    r = cli({"version", "i915-GVTg_V5_4", "--parent", "0000:00:03.0"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "8086-193b-i915-GVTg_V5_4-5.0\n");
    EXPECT_EQ(r.err, "mdev-migcheck: 'version' is deprecated, use 'migration-version' (and "
                     "'mdev-migcheck --version' for the tool's version)\n");
}

TEST_F(CliHost, Probe) {
    RunResult r = cli({"probe", "--type", "i915-GVTg_V5_4", "8086-193b-i915-GVTg_V5_4-5.1"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "0000:00:02.0: accepted\n"
                     "0000:00:03.0: rejected (EINVAL: Invalid argument)\n");
    r = cli({"probe", "--type", "i915-GVTg_V5_4", "--parent", "0000:00:03.0",
             "8086-193b-i915-GVTg_V5_4-5.1"});
    EXPECT_EQ(r.exit_code, 1);
    r = cli({"probe", "--type", "i915-GVTg_V5_4", "--uuid", kU1, "--json",
             "8086-193b-i915-GVTg_V5_4-5.2"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(nlohmann::ordered_json::parse(r.out),
              nlohmann::ordered_json::parse(
                  R"([{"parent": "0000:00:02.0", "type": "i915-GVTg_V5_4", "uuid": ")" +
                  std::string(kU1) +
                  R"(", "accepts": true, "result": "accepted", "errno": null}])"));
    r = cli({"probe", "--type", "i915-GVTg_V5_4", "--json", "8086-193b-i915-GVTg_V5_4-5.1"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(nlohmann::ordered_json::parse(r.out), nlohmann::ordered_json::parse(R"([
        {"parent": "0000:00:02.0", "type": "i915-GVTg_V5_4", "uuid": null, "accepts": true,
         "result": "accepted", "errno": null},
        {"parent": "0000:00:03.0", "type": "i915-GVTg_V5_4", "uuid": null, "accepts": false,
         "result": "rejected", "errno": "EINVAL"}])"));
    r = cli({"probe", "--type", "i915-GVTg_V5_8", "8086-193b-i915-GVTg_V5_8-5.2"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "0000:00:02.0: no migration_version attribute (no migration support)\n");
    r = cli({"probe", "--type", "i915-GVTg_V5_4", "bad\tversion"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("non-printable or non-ASCII byte at offset 3"), std::string::npos);
    r = cli({"probe", "--type", "i915-GVTg_V5_8", "--uuid", kU1, "v"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "mdev-migcheck probe: mdev " + std::string(kU1) +
                         " is of type i915-GVTg_V5_4, not i915-GVTg_V5_8\n");
    r = cli({"probe", "8086"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "mdev-migcheck probe: --type TYPE is required\n");
    // Every probe write reached the driver exactly once (a missing attribute
    // cannot be opened, so nothing is written to it).
    const std::string w = host->writes();
    EXPECT_EQ(std::count(w.begin(), w.end(), '\n'), 6) << w;
}

// The libvirt forms of check and annotate, on libvirt's test driver
// (tests/data/test-node.xml: vgpu-running with mdevs kU1, which exists
// here, and one that does not; plain-running without mdevs).
TEST_F(CliHost, DomainFormsThroughLibvirt) {
    writeFile(host->root() / "etc/mdev-migcheck/mdev-migcheck.conf", "syslog = no\n");
    const std::string uri = "test://" + std::string(MDEVMC_TEST_NODE);
    RunResult r = cli({"check", "-c", uri, "vgpu-running"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.out.substr(0, r.out.find('\n')),
              "UUID                                  TYPE  VERDICT  EVIDENCE  REASON");
    EXPECT_NE(r.out.find(std::string(kU1) +
                         "  -     refused  none      the source host recorded nothing for it"),
              std::string::npos)
        << r.out;
    r = cli({"check", "--connect=" + uri, "--json", "vgpu-running"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    auto doc = nlohmann::ordered_json::parse(r.out);
    EXPECT_EQ(doc["domain"], "vgpu-running");
    EXPECT_EQ(doc["compatible"], false);
    ASSERT_EQ(doc["devices"].size(), 2U);
    EXPECT_EQ(doc["devices"][0]["uuid"], kU1);
    EXPECT_EQ(doc["devices"][0]["reason"], "no-source-version");
    r = cli({"check", "-c", uri, "plain-running"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "domain plain-running has no mdev hostdev: nothing to check\n");
    r = cli({"check", "-c", uri, "nosuch"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err.rfind("mdev-migcheck check: ", 0), 0U) << r.err;

    r = cli({"annotate", "-c", uri, "--all", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    doc = nlohmann::ordered_json::parse(r.out);
    ASSERT_EQ(doc.size(), 2U) << r.out;
    // libvirt lists the domains in no particular order.
    const bool vgpu_first = doc[0]["domain"] == "vgpu-running";
    const auto& vgpu = doc[vgpu_first ? 0 : 1];
    const auto& plain = doc[vgpu_first ? 1 : 0];
    EXPECT_EQ(vgpu["domain"], "vgpu-running");
    EXPECT_EQ(vgpu["outcome"], "recorded");
    ASSERT_EQ(vgpu["devices"].size(), 2U);
    EXPECT_EQ(vgpu["devices"][0],
              nlohmann::ordered_json::parse(R"({"uuid": ")" + std::string(kU1) + R"(",
        "type": "i915-GVTg_V5_4", "parent": "0000:00:02.0",
        "migration_version": "8086-193b-i915-GVTg_V5_4-5.2", "migration_version_error": null,
        "oracle": null})"));
    EXPECT_TRUE(vgpu["devices"][1]["migration_version"].is_null());
    EXPECT_EQ(vgpu["devices"][1]["migration_version_error"], "ENOENT");
    EXPECT_EQ(plain, nlohmann::ordered_json::parse(R"({"domain": "plain-running",
        "domain_uuid": "6695eb01-f6a4-8304-79aa-97f2502e1940", "outcome": "no-mdev",
        "devices": []})"));
    r = cli({"annotate", "-c", uri, "plain-running"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "domain plain-running: no mdev, nothing to record\n");
}

// The hook at `started begin` starts `mdev-migcheck annotate --wait` and
// returns at once; the child outlives it, in its own session, holding none
// of the caller's pipes.
TEST(RecorderSpawn, DetachedChildOutlivesTheHook) {
    TempDir t;
    const auto libexec = t.path() / "libexec/mdev-migcheck";
    std::filesystem::create_directories(libexec);
    std::filesystem::create_directories(t.path() / "bin");
    const std::filesystem::path hook_dir = std::filesystem::path(MDEVMC_HOOK).parent_path();
    std::filesystem::copy_file(hook_dir / "mdev-migcheck-hook", libexec / "mdev-migcheck-hook");
    const auto marker = t.path() / "marker";
    // Records its arguments, session and open descriptors, then outlives
    // the hook by seconds.
    writeFile(t.path() / "bin/mdev-migcheck",
              "#!/bin/sh\n"
              "ls -l /proc/$$/fd > " +
                  marker.string() + ".fds\n" +
                  "printf 'args %s\\npid %s\\nsid %s\\n' \"$*\" $$ "
                  "\"$(ps -o sid= -p $$ | tr -d ' ')\" > " +
                  marker.string() + ".tmp\n" + "mv " + marker.string() + ".tmp " + marker.string() +
                  "\n" + "sleep 3\n" + "echo done >> " + marker.string() + "\n");
    std::filesystem::permissions(t.path() / "bin/mdev-migcheck", std::filesystem::perms::owner_all);
    const RunResult r = runProgram(
        {(libexec / "mdev-migcheck-hook").string(), "vgpu1", "started", "begin", "-"},
        libvirtEnvironment(), readFile(std::string(MDEVMC_SAMPLES_DIR) + "/vgpu-one-mdev.xml"));
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "");
    EXPECT_TRUE(r.finished);
    EXPECT_LT(r.eof_after, 2000ms); // not the child's 3 s
    for (int i = 0; i < 200 && !std::filesystem::exists(marker); ++i) {
        std::this_thread::sleep_for(10ms);
    }
    const std::string m = readFile(marker);
    EXPECT_NE(m.find("args annotate --wait --name=vgpu1 -- 3e1e7d8c-1b4a-4f63-9a43-52f0c1e9d001"),
              std::string::npos)
        << m;
    EXPECT_EQ(m.find("done"), std::string::npos); // still running after the hook returned
    const auto line = [&](const std::string& key) {
        const auto at = m.find(key + " ");
        return at == std::string::npos
                   ? std::string()
                   : m.substr(at + key.size() + 1, m.find('\n', at) - at - key.size() - 1);
    };
    EXPECT_EQ(line("pid"), line("sid")); // a session of its own
    // Its descriptors: the standard ones on /dev/null (the shell keeps its
    // stdout aside while `ls > file` runs), no pipe or socket of the caller's.
    const std::string fds = readFile(marker.string() + ".fds");
    for (const char* fd : {" 0 -> /dev/null", " 2 -> /dev/null"}) {
        EXPECT_NE(fds.find(fd), std::string::npos) << fds;
    }
    EXPECT_EQ(fds.find("pipe:"), std::string::npos) << fds;
    EXPECT_EQ(fds.find("socket:"), std::string::npos) << fds;
    const pid_t child = std::stoi(line("pid"));
    EXPECT_TRUE(processRunning(child));
    ::kill(child, SIGKILL);
}

TEST(RecorderSpawn, NoMdevNoChild) {
    TempDir t;
    const RunResult r =
        runProgram({MDEVMC_HOOK, "plain", "started", "begin", "-"}, libvirtEnvironment(),
                   readFile(std::string(MDEVMC_SAMPLES_DIR) + "/no-mdev.xml"));
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "");
}
