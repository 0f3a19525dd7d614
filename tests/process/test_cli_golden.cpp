// The exact output of mdev-migcheck (tables, JSON, help texts) on a
// simulated host, compared byte for byte with tests/golden/<case>.out.
// MDEVMC_REGENERATE_GOLDEN=1 rewrites the files instead (see
// tests/golden/README.md).
#include "cli_sample_host.hpp"
#include "sim_mount.hpp"
#include "util/host_name.hpp"

#include <cstdlib>
#include <filesystem>
#include <gtest/gtest.h>
#include <unistd.h>

using namespace mdevmc::test;

namespace {

bool regenerating() {
    const char* v = std::getenv("MDEVMC_REGENERATE_GOLDEN");
    return v != nullptr && std::string(v) == "1";
}

// OUTPUT with what differs between machines and releases spelled as
// placeholders: this host's name ("host" in JSON, host= in a record) as
// @HOST@, the tool's version as @VERSION@.
std::string normalized(std::string output) {
    const auto replaceAll = [&output](const std::string& from, const std::string& to) {
        for (auto at = output.find(from); at != std::string::npos;
             at = output.find(from, at + to.size())) {
            output.replace(at, from.size(), to);
        }
    };
    const std::string host = mdevmc::hostName();
    replaceAll("\"host\":\"" + host + "\"", "\"host\":\"@HOST@\"");
    replaceAll(" host=\"" + host + "\"", " host=\"@HOST@\"");
    replaceAll("\"mdev_migcheck_version\":\"" MDEVMC_VERSION "\"",
               "\"mdev_migcheck_version\":\"@VERSION@\"");
    replaceAll("mdev-migcheck " MDEVMC_VERSION "\n", "mdev-migcheck @VERSION@\n");
    return output;
}

// Compares OUTPUT (normalized) with tests/golden/NAME.out, or rewrites that
// file.
void expectGolden(const std::string& name, const std::string& raw) {
    const std::string output = normalized(raw);
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
    for (const char* c :
         {"annotate", "check", "list", "migration-version", "probe", "preflight", "watch"}) {
        r = run({c, "--help"}, nowhere);
        EXPECT_EQ(r.exit_code, 0) << c;
        expectGolden(std::string("help-") + c, r.out);
        EXPECT_EQ(run({"help", c}, nowhere).out, r.out) << c;
    }
}

// --version and -V print the tool's version; 'version', the old name of
// migration-version, still runs it and says so on stderr.
TEST(CliGoldenHelp, ToolVersion) {
    const std::filesystem::path nowhere = "/nonexistent";
    for (const char* flag : {"--version", "-V"}) {
        const RunResult r = run({flag}, nowhere);
        EXPECT_EQ(r.exit_code, 0) << flag;
        EXPECT_EQ(r.err, "") << flag;
        expectGolden("tool-version", r.out);
    }
    const RunResult r = run({"version", "--help"}, nowhere);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out,
              readFile(std::filesystem::path(MDEVMC_GOLDEN_DIR) / "help-migration-version.out"));
    EXPECT_EQ(r.err, "mdev-migcheck: 'version' is deprecated, use 'migration-version' (and "
                     "'mdev-migcheck --version' for the tool's version)\n");
}

TEST_F(CliGolden, List) {
    golden("list", {"list"}, 0);
    golden("list-json", {"list", "--json"}, 0);
}

TEST_F(CliGolden, Check) {
    golden("check", {"check", "--xml", "-"}, 1, kDomain);
    golden("check-json", {"check", "--xml", "-", "--json"}, 1, kDomain);
    golden("check-no-mdev", {"check", "--xml", "-"}, 0, kPlainDomain);
    golden("check-no-mdev-json", {"check", "--xml", "-", "--json"}, 0, kPlainDomain);
}

TEST_F(CliGolden, Probe) {
    golden("probe", {"probe", "--type", "i915-GVTg_V5_4", "8086-193b-i915-GVTg_V5_4-5.1"}, 0);
    golden("probe-json",
           {"probe", "--type", "i915-GVTg_V5_4", "--json", "8086-193b-i915-GVTg_V5_4-5.1"}, 0);
    golden("probe-uuid", {"probe", "--type", "i915-GVTg_V5_4", "--uuid", kSampleU1, "x"}, 1);
    golden("probe-uuid-json",
           {"probe", "--type", "i915-GVTg_V5_4", "--uuid", kSampleU1, "--json", "x"}, 1);
}

// One line per parent, 'PARENT VERSION', however many parents offer the
// type; the version alone for a type on a parent or for a device.
TEST_F(CliGolden, MigrationVersion) {
    golden("migration-version", {"migration-version", "i915-GVTg_V5_4"}, 0);
    golden("migration-version-one-parent", {"migration-version", "i915-GVTg_V5_1"}, 0);
    golden("migration-version-parent",
           {"migration-version", "i915-GVTg_V5_4", "--parent", "0000:00:03.0"}, 0);
    golden("migration-version-uuid", {"migration-version", kSampleU1}, 0);
    golden("migration-version-json", {"migration-version", "i915-GVTg_V5_8", "--json"}, 1);
    golden("migration-version-uuid-json", {"migration-version", kSampleU1, "--json"}, 0);
}

TEST_F(CliGolden, AnnotateXml) {
    golden("annotate-xml", {"annotate", "--xml", "-"}, 0, kDomain);
    golden("annotate-xml-json", {"annotate", "--xml", "-", "--json"}, 0, kDomain);
    // A domain without mdevs is printed as it came, without an empty record.
    golden("annotate-xml-no-mdev", {"annotate", "--xml", "-"}, 0, kPlainDomain);
    golden("annotate-xml-no-mdev-json", {"annotate", "--xml", "-", "--json"}, 0, kPlainDomain);
}
