// The mdev-migcheck CLI's offline commands, run as an operator runs them.
#include "domain/domain_xml.hpp"
#include "fake_sysfs.hpp"
#include "subprocess.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace mdevmc;
using namespace mdevmc::test;

namespace {

constexpr const char* kU1 = "c2177883-f1bb-47f0-914d-32a22e3a8804";
constexpr const char* kU2 = "0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3a";

std::string samplePath(const std::string& name) {
    return std::string(MDEVMC_SAMPLES_DIR) + "/" + name;
}

} // namespace

class CliOffline : public ::testing::Test {
protected:
    void SetUp() override {
        sys.addType("0000:00:02.0", "nvidia-63", "10de-1eb8-nvidia-63-2.1");
        sys.addDevice(kU1, "0000:00:02.0", "nvidia-63");
        sys.addDevice(kU2, "0000:00:02.0", "nvidia-63", "10de-1eb8-nvidia-63-2.1-dev");
    }
    RunResult cli(std::vector<std::string> args, const std::string& input = "") {
        args.insert(args.begin(), MDEVMC_CLI);
        return runProgram(args, libvirtEnvironment({"MDEV_MIGCHECK_ROOT=" + dir.path().string()}),
                          input);
    }
    TempDir dir;
    FakeSysfs sys{dir.path()};
};

// check run on the host that made the record says so, and what asks the
// hosts the VM could go to.
TEST_F(CliOffline, CheckOnTheSourceSaysItAnswersForItself) {
    writeFile(dir.path() / "etc/machine-id", "22222222222222222222222222222222\n");
    const RunResult a = cli({"annotate", "--xml", samplePath("vgpu-two-mdevs.xml")});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    ASSERT_NE(a.out.find("host-id=\"22222222222222222222222222222222\""), std::string::npos)
        << a.out;
    RunResult r = cli({"check", "--xml", "-"}, a.out);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("mdev-migcheck check: note: domain "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("was recorded on this host"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("'mdev-migcheck preflight "), std::string::npos) << r.err;
    // Recorded elsewhere: no note.
    std::string other = a.out;
    other.replace(other.find("22222222222222222222222222222222"), 32,
                  "33333333333333333333333333333333");
    r = cli({"check", "--xml", "-", "--json"}, other);
    EXPECT_EQ(r.err, "");
}

TEST_F(CliOffline, AnnotateRecordsThisHostsVersions) {
    const RunResult r = cli({"annotate", "--xml", samplePath("vgpu-two-mdevs.xml")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto xml = DomainXml::parse(r.out);
    ASSERT_TRUE(xml);
    const auto m = xml->metadata();
    ASSERT_TRUE(m.has_value());
    ASSERT_EQ(m->entries.size(), 2U);
    EXPECT_EQ(m->entries[0].version, "10de-1eb8-nvidia-63-2.1");
    EXPECT_EQ(m->entries[1].version, "10de-1eb8-nvidia-63-2.1-dev"); // per-device attribute
    EXPECT_EQ(m->entries[1].parent, "0000:00:02.0");
}

TEST_F(CliOffline, AnnotateFromStdinThenCheckRoundTrip) {
    const RunResult a = cli({"annotate", "--xml", "-"}, readFile(samplePath("vgpu-one-mdev.xml")));
    ASSERT_EQ(a.exit_code, 0) << a.err;
    const RunResult c = cli({"check", "--xml", "-"}, a.out);
    EXPECT_EQ(c.exit_code, 0) << c.err;
    EXPECT_NE(c.out.find("UUID"), std::string::npos);
    EXPECT_NE(c.out.find(std::string(kU1) + "  nvidia-63  compatible"), std::string::npos) << c.out;
}

TEST_F(CliOffline, CheckRefusedWithJson) {
    const RunResult c = cli({"check", "--json", "--xml", samplePath("vgpu-one-mdev.xml")});
    EXPECT_EQ(c.exit_code, 1);
    const auto doc = nlohmann::ordered_json::parse(c.out);
    EXPECT_EQ(doc["domain"], "vgpu1");
    EXPECT_EQ(doc["compatible"], false);
    // Who answered comes first: preflight reads it from other hosts.
    auto key = doc.begin();
    EXPECT_EQ(key.key(), "mdev_migcheck_version");
    EXPECT_EQ(key.value(), MDEVMC_VERSION);
    EXPECT_EQ((++key).key(), "host");
    EXPECT_TRUE(doc["host"].is_string());
    EXPECT_EQ((++key).key(), "domain");
    ASSERT_EQ(doc["devices"].size(), 1U) << c.out;
    const auto& dev = doc["devices"][0];
    EXPECT_EQ(dev["uuid"], kU1);
    // Nothing recorded, so no type; refused before the lookup, so no parent.
    EXPECT_TRUE(dev["type"].is_null());
    EXPECT_TRUE(dev["parent"].is_null());
    EXPECT_EQ(dev["verdict"], "refused");
    EXPECT_EQ(dev["reason"], "no-source-version");
    EXPECT_TRUE(dev["errno"].is_null());
    EXPECT_EQ(dev["candidates"], nlohmann::ordered_json::array());
}

TEST_F(CliOffline, CheckCompatibleWithJson) {
    const RunResult a = cli({"annotate", "--xml", samplePath("vgpu-two-mdevs.xml")});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    const RunResult c = cli({"check", "--xml", "-", "--json"}, a.out);
    EXPECT_EQ(c.exit_code, 0) << c.err;
    const auto doc = nlohmann::ordered_json::parse(c.out);
    EXPECT_EQ(doc["domain"], "vgpu2");
    EXPECT_EQ(doc["compatible"], true);
    ASSERT_EQ(doc["devices"].size(), 2U) << c.out;
    EXPECT_EQ(doc["devices"][0]["verdict"], "compatible");
    EXPECT_EQ(doc["devices"][1]["uuid"], kU2);
    EXPECT_EQ(doc["devices"][1]["reason"], "compatible");
}

TEST_F(CliOffline, CheckNoMdev) {
    const RunResult c = cli({"check", "--xml", samplePath("no-mdev.xml")});
    EXPECT_EQ(c.exit_code, 0);
    EXPECT_EQ(c.out, "domain plain has no mdev hostdev: nothing to check\n");
}

TEST_F(CliOffline, UsageErrorsExitTwoAndNameTheProblem) {
    RunResult r = cli({"check"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "mdev-migcheck check: expected one DOMAIN, or --xml FILE (see --help)\n");
    r = cli({"annotate", "--xml", "-", "--all"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--xml takes no domain"), std::string::npos);
    r = cli({"check", "--xml"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("option '--xml' needs a value"), std::string::npos);
    r = cli({"check", "--bogus", "--xml", "-"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("unknown option '--bogus'"), std::string::npos);
    r = cli({"frob"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("unknown command 'frob'"), std::string::npos);
    r = cli({"check", "--xml", "/nonexistent/dom.xml"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "mdev-migcheck check: cannot read '/nonexistent/dom.xml' (ENOENT: No such "
                     "file or directory)\n");
    r = cli({"annotate", "--xml", "-"}, "<domain><oops></domain>");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(
        r.err.rfind("mdev-migcheck annotate: standard input: domain XML is not well-formed", 0), 0U)
        << r.err;
    r = cli({});
    EXPECT_EQ(r.exit_code, 2);
}

TEST_F(CliOffline, HelpEverywhere) {
    RunResult r = cli({"--help"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("Commands:"), std::string::npos);
    for (const char* c : {"annotate", "check", "list", "migration-version", "probe"}) {
        r = cli({c, "--help"});
        EXPECT_EQ(r.exit_code, 0) << c;
        EXPECT_EQ(r.out.rfind(std::string("Usage: mdev-migcheck ") + c, 0), 0U) << r.out;
    }
    for (const char* v : {"--version", "-V"}) {
        r = cli({v});
        EXPECT_EQ(r.exit_code, 0);
        EXPECT_EQ(r.out, std::string("mdev-migcheck ") + MDEVMC_VERSION + "\n");
    }
}

// Every error of a command is prefixed with it, whichever layer found it:
// a missing file, a bad root, a configuration error, a missing device.
TEST_F(CliOffline, EveryErrorNamesTheCommand) {
    writeFile(dir.path() / "etc/mdev-migcheck/mdev-migcheck.conf", "timeout = 5\n");
    RunResult r = cli({"check", "--xml", samplePath("vgpu-annotated.xml")});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err.rfind("mdev-migcheck check: ", 0), 0U) << r.err;
    // A command that only reads warns, naming the file and line, and goes on.
    r = cli({"list"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.rfind("mdev-migcheck: warning: ", 0), 0U) << r.err;
    EXPECT_NE(r.err.find("mdev-migcheck.conf:1: unknown key 'timeout'"), std::string::npos)
        << r.err;
    std::filesystem::remove(dir.path() / "etc/mdev-migcheck/mdev-migcheck.conf");
    r = cli({"migration-version", "0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3b"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err.rfind("mdev-migcheck migration-version: ", 0), 0U) << r.err;
    r = cli(
        {"probe", "--type", "nvidia-63", "--uuid", "0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3b", "v"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err.rfind("mdev-migcheck probe: ", 0), 0U) << r.err;
    r = cli({"annotate", "--xml", "/nonexistent/dom.xml"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err.rfind("mdev-migcheck annotate: cannot read", 0), 0U) << r.err;
}

// --xml with --json prints what was recorded as JSON, not the XML; a
// domain without mdevs gets no empty record.
TEST_F(CliOffline, AnnotateXmlJsonAndNoMdev) {
    RunResult r = cli({"annotate", "--xml", samplePath("vgpu-two-mdevs.xml"), "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto doc = nlohmann::ordered_json::parse(r.out);
    ASSERT_EQ(doc.size(), 1U);
    EXPECT_EQ(doc[0]["domain"], "vgpu2");
    EXPECT_EQ(doc[0]["outcome"], "recorded");
    ASSERT_EQ(doc[0]["devices"].size(), 2U);
    EXPECT_EQ(doc[0]["devices"][1]["migration_version"], "10de-1eb8-nvidia-63-2.1-dev");
    const std::string plain = readFile(samplePath("no-mdev.xml"));
    r = cli({"annotate", "--xml", "-"}, plain);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.find("migcheck"), std::string::npos) << r.out;
    EXPECT_FALSE(DomainXml::parse(r.out)->metadata().has_value());
    r = cli({"annotate", "--xml", "-", "--json"}, plain);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    doc = nlohmann::ordered_json::parse(r.out);
    EXPECT_EQ(doc[0]["outcome"], "no-mdev");
    EXPECT_EQ(doc[0]["devices"], nlohmann::ordered_json::array());
}

TEST_F(CliOffline, BadRootIsAnError) {
    const RunResult r = runProgram({MDEVMC_CLI, "check", "--xml", samplePath("vgpu-one-mdev.xml")},
                                   libvirtEnvironment({"MDEV_MIGCHECK_ROOT=relative/root"}), "");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "mdev-migcheck check: MDEV_MIGCHECK_ROOT: root directory 'relative/root' is "
                     "not an absolute path\n");
}

// Commands that talk to no daemon never load libvirt: with a libvirt.so.0
// that has none of its entry points first on the library path they work,
// and a daemon command says which library it cannot use.
TEST_F(CliOffline, CommandsWithoutADaemonDoNotLoadLibvirt) {
    const std::string broken = std::string("LD_LIBRARY_PATH=") + MDEVMC_FAKE_LIBVIRT_BROKEN_DIR;
    const auto env = libvirtEnvironment({"MDEV_MIGCHECK_ROOT=" + dir.path().string(), broken});
    const RunResult version = runProgram({MDEVMC_CLI, "--version"}, env, "");
    EXPECT_EQ(version.exit_code, 0) << version.err;
    const RunResult list = runProgram({MDEVMC_CLI, "list"}, env, "");
    EXPECT_EQ(list.exit_code, 0) << list.err;
    EXPECT_NE(list.out.find(kU1), std::string::npos) << list.out;
    const RunResult annotate =
        runProgram({MDEVMC_CLI, "annotate", "--xml", samplePath("vgpu-one-mdev.xml")}, env, "");
    ASSERT_EQ(annotate.exit_code, 0) << annotate.err;
    const RunResult check = runProgram({MDEVMC_CLI, "check", "--xml", "-"}, env, annotate.out);
    EXPECT_EQ(check.exit_code, 0) << check.err;

    const RunResult daemon =
        runProgram({MDEVMC_CLI, "check", "-c", "test:///default", "vm"}, env, "");
    EXPECT_EQ(daemon.exit_code, 2);
    EXPECT_NE(daemon.err.find("cannot connect to 'test:///default'"), std::string::npos)
        << daemon.err;
    EXPECT_NE(daemon.err.find("libvirt.so.0"), std::string::npos) << daemon.err;
}
