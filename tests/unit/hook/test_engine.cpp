#include "domain/domain_xml.hpp"
#include "fake_sysfs.hpp"
#include "hook/engine.hpp"
#include "scripted_io.hpp"

#include <cerrno>
#include <functional>
#include <gtest/gtest.h>

using namespace mdevmc;
using mdevmc::test::FakeSysfs;
using mdevmc::test::readFile;
using mdevmc::test::ScriptedAttrIo;
using mdevmc::test::TempDir;

namespace {

constexpr const char* kU1 = "c2177883-f1bb-47f0-914d-32a22e3a8804";
const std::string kAttr =
    "sys/devices/pci0000:00/0000:00:02.0/mdev_supported_types/i915-GVTg_V5_4/migration_version";

std::string sample(const std::string& name) {
    return readFile(std::string(MDEVMC_SAMPLES_DIR) + "/" + name);
}

} // namespace

class HookEngineTest : public ::testing::Test {
protected:
    void SetUp() override {
        sys.addType("0000:00:02.0", "i915-GVTg_V5_4", "x");
        sys.addDevice(kU1, "0000:00:02.0", "i915-GVTg_V5_4");
        auto r = Root::open(dir.path().string());
        ASSERT_TRUE(r);
        root.emplace(std::move(*r));
        io.lookupsFrom(*root);
    }
    int run(const std::vector<std::string>& args, const std::string& xml) {
        out.clear();
        err.clear();
        HookContext ctx{*root, io,  config,  config_error, log, "hostB",
                        out,   err, nullptr, nullptr,      ""};
        ctx.spawn_recorder = [this](const std::string& dom, const std::string&) -> Result<void> {
            spawned.push_back(dom);
            return {};
        };
        ctx.answered = answered;
        return runHook(args, xml, ctx);
    }

    TempDir dir;
    FakeSysfs sys{dir.path()};
    std::optional<Root> root;
    ScriptedAttrIo io;
    Config config;
    std::optional<Error> config_error;
    SysLog log{false};
    std::string out;
    std::string err;
    std::vector<std::string> spawned;
    std::function<void(int)> answered;
};

TEST_F(HookEngineTest, IgnoredOpsDoNothing) {
    for (const auto& op : std::vector<std::vector<std::string>>{{"vgpu1", "prepare", "begin", "-"},
                                                                {"vgpu1", "start", "begin", "-"},
                                                                {"vgpu1", "stopped", "end", "-"},
                                                                {"vgpu1", "release", "end", "-"},
                                                                {"vgpu1", "migrate", "end", "-"},
                                                                {"vgpu1", "bogus", "begin", "-"}}) {
        EXPECT_EQ(run(op, sample("vgpu-annotated.xml")), 0) << op[1];
        EXPECT_EQ(out, "");
        EXPECT_EQ(err, "");
    }
    EXPECT_TRUE(io.log.empty());
    EXPECT_EQ(io.read_count, 0);
    EXPECT_TRUE(spawned.empty());
}

// libvirt marks a domain whose XML a hook printed as tainted: an accepted
// check prints nothing (the recorder stores this host's record after the
// start).
TEST_F(HookEngineTest, AcceptPrintsNothing) {
    io.onRead(kAttr, "8086-193b-i915-GVTg_V5_4-5.3\n");
    io.onWrite(kAttr, 0);
    EXPECT_EQ(run({"vgpu1", "migrate", "begin", "-"}, sample("vgpu-annotated.xml")), 0);
    EXPECT_EQ(err, "");
    EXPECT_EQ(out, "");
    ASSERT_EQ(io.log.size(), 1U);
    EXPECT_EQ(io.log[0].data, "8086-193b-i915-GVTg_V5_4-5.2\n");
    EXPECT_EQ(run({"vgpu1", "restore", "begin", "-"}, sample("vgpu-annotated.xml")), 0);
    EXPECT_EQ(out, "");
    EXPECT_TRUE(spawned.empty()); // the recorder starts at `started begin`
}

TEST_F(HookEngineTest, AuditAcceptancePrintsNothingEither) {
    config.mode = Mode::Audit;
    io.onRead(kAttr, "8086-193b-i915-GVTg_V5_4-5.1\n");
    io.onWrite(kAttr, EINVAL);
    EXPECT_EQ(run({"vgpu1", "migrate", "begin", "-"}, sample("vgpu-annotated.xml")), 0);
    EXPECT_EQ(out, "");
    EXPECT_EQ(err, "");
}

TEST_F(HookEngineTest, RefusalExitsOneWithTheReason) {
    io.onRead(kAttr, "8086-193b-i915-GVTg_V5_4-5.1\n");
    io.onWrite(kAttr, EINVAL);
    EXPECT_EQ(run({"vgpu1", "migrate", "begin", "-"}, sample("vgpu-annotated.xml")), 1);
    EXPECT_EQ(out, "");
    EXPECT_EQ(err, std::string("mdev-migcheck: refusing migration of vgpu1: mdev ") + kU1 +
                       " (i915-GVTg_V5_4) on parent 0000:00:02.0: target driver rejected "
                       "the source migration_version (EINVAL: Invalid argument): the "
                       "source's '8086-193b-i915-GVTg_V5_4-5.2', this host's "
                       "'8086-193b-i915-GVTg_V5_4-5.1' (evidence: protocol; source host "
                       "'hostA')\n");
}

// A check hands its answer over (HookContext::answered) once it is known,
// with everything it prints already there, and then returns the same code.
TEST_F(HookEngineTest, TheAnswerIsHandedOverOnceWithWhatIsPrinted) {
    std::vector<std::pair<int, std::string>> answers;
    answered = [this, &answers](int rc) { answers.emplace_back(rc, err); };
    io.onRead(kAttr, "8086-193b-i915-GVTg_V5_4-5.1\n");
    io.onWrite(kAttr, EINVAL);
    EXPECT_EQ(run({"vgpu1", "migrate", "begin", "-"}, sample("vgpu-annotated.xml")), 1);
    ASSERT_EQ(answers.size(), 1U);
    EXPECT_EQ(answers[0].first, 1);
    EXPECT_EQ(answers[0].second, err);
    EXPECT_NE(err.find("refusing migration of vgpu1"), std::string::npos);

    io.onWrite(kAttr, 0);
    EXPECT_EQ(run({"vgpu1", "migrate", "begin", "-"}, sample("vgpu-annotated.xml")), 0);
    ASSERT_EQ(answers.size(), 2U);
    EXPECT_EQ(answers[1].first, 0);
    EXPECT_EQ(run({"vgpu1", "migrate", "begin", "-"}, "<domain><name>x</name></domain>"), 0);
    ASSERT_EQ(answers.size(), 3U);
    EXPECT_EQ(answers[2].first, 0);
    EXPECT_EQ(run({"vgpu1", "migrate", "begin", "-"}, "<domain"), 0); // nothing to check
    ASSERT_EQ(answers.size(), 4U);
    // Operations that check nothing return without one.
    EXPECT_EQ(run({"vgpu1", "stopped", "end", "-"}, sample("vgpu-annotated.xml")), 0);
    EXPECT_EQ(answers.size(), 4U);
}

TEST_F(HookEngineTest, RestoreIsCheckedToo) {
    io.onRead(kAttr, "v\n");
    io.onWrite(kAttr, ENODEV);
    EXPECT_EQ(run({"vgpu1", "restore", "begin", "-"}, sample("vgpu-annotated.xml")), 1);
    EXPECT_EQ(err.rfind("mdev-migcheck: refusing restore of vgpu1: ", 0), 0U);
}

TEST_F(HookEngineTest, UnrecordedRestoreNamesTheCommandsThatRecordTheImage) {
    const std::string xml =
        "<domain type='kvm'><name>vm 1</name><uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>"
        "<devices><hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='" +
        std::string(kU1) + "'/></source></hostdev></devices></domain>";
    EXPECT_EQ(run({"vm 1", "restore", "begin", "-"}, xml), 1);
    EXPECT_EQ(out, "");
    EXPECT_EQ(err, std::string("mdev-migcheck: refusing restore of vm 1: mdev ") + kU1 +
                       ": the save image carries no record of it (images saved before "
                       "mdev-migcheck was installed have none); next: on this host: "
                       "mdev-migcheck annotate --managed-save 'vm 1' (or --save-image "
                       "FILE)\n");
    // A migration keeps its own advice, given at prepare begin (migrate
    // begin cannot tell a live migration from an offline one).
    EXPECT_EQ(run({"vm 1", "migrate", "begin", "-"}, xml), 0);
    EXPECT_EQ(run({"vm 1", "prepare", "begin", "-"}, xml), 1);
    EXPECT_NE(err.find("next: on the source host: mdev-migcheck annotate 'vm 1'"),
              std::string::npos)
        << err;
}

TEST_F(HookEngineTest, NoMdevPrintsNothing) {
    EXPECT_EQ(run({"plain", "migrate", "begin", "-"}, sample("no-mdev.xml")), 0);
    EXPECT_EQ(out, "");
    EXPECT_EQ(err, "");
    EXPECT_EQ(run({"plain", "started", "begin", "-"}, sample("no-mdev.xml")), 0);
    EXPECT_TRUE(spawned.empty());
}

TEST_F(HookEngineTest, UnparseableXmlIsRefusedForMigrationOnly) {
    EXPECT_EQ(run({"vm", "migrate", "begin", "-"}, "<domain><hostdev type='mdev'>"), 1);
    EXPECT_NE(err.find("cannot check its mdevs: domain XML is not well-formed"), std::string::npos);
    EXPECT_EQ(run({"vm", "started", "begin", "-"}, "<domain><hostdev type='mdev'>"), 0);
    EXPECT_EQ(err, "");
}

TEST_F(HookEngineTest, ConfigErrorRefusesOnlyDomainsWithMdevs) {
    config_error = Error{"/etc/mdev-migcheck/mdev-migcheck.conf:3: unknown key 'x'", EINVAL};
    EXPECT_EQ(run({"plain", "migrate", "begin", "-"}, sample("no-mdev.xml")), 0);
    EXPECT_EQ(run({"vgpu1", "migrate", "begin", "-"}, sample("vgpu-annotated.xml")), 1);
    EXPECT_EQ(err, "mdev-migcheck: refusing migration of vgpu1: "
                   "/etc/mdev-migcheck/mdev-migcheck.conf:3: unknown key 'x'\n");
    EXPECT_TRUE(io.log.empty());
}

TEST_F(HookEngineTest, StartedSpawnsTheRecorderAndPrintsNothing) {
    EXPECT_EQ(run({"vgpu1", "started", "begin", "-"}, sample("vgpu-one-mdev.xml")), 0);
    EXPECT_EQ(run({"vgpu1", "reconnect", "begin", "-"}, sample("vgpu-one-mdev.xml")), 0);
    EXPECT_EQ(out, "");
    EXPECT_EQ(spawned, (std::vector<std::string>{"3e1e7d8c-1b4a-4f63-9a43-52f0c1e9d001",
                                                 "3e1e7d8c-1b4a-4f63-9a43-52f0c1e9d001"}));
    EXPECT_TRUE(io.log.empty());
}

TEST_F(HookEngineTest, RecorderFailureNeverFailsTheStart) {
    HookContext ctx{*root, io, config, config_error, log, "hostB", out, err, nullptr, nullptr, ""};
    ctx.spawn_recorder = [](const std::string&, const std::string&) -> Result<void> {
        return fail("cannot start '/usr/bin/mdev-migcheck': No such file or directory", ENOENT);
    };
    EXPECT_EQ(runHook({"vgpu1", "started", "begin", "-"}, sample("vgpu-one-mdev.xml"), ctx), 0);
    EXPECT_EQ(out, "");
}

TEST_F(HookEngineTest, TooFewArgumentsIsNotAFailure) {
    EXPECT_EQ(run({"vgpu1"}, sample("vgpu-one-mdev.xml")), 0);
}
