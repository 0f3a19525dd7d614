// mdev-migcheck doctor on a simulated host: a hook entry beneath the root, a
// fake libvirt daemon (a real process named virtqemud, with its pidfile),
// libvirt's test driver holding running domains, and plain-file sysfs.
#include "fake_sysfs.hpp"
#include "subprocess.hpp"

#include <csignal>
#include <ctime>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace mdevmc::test;
using Json = nlohmann::ordered_json;

namespace {

constexpr const char* kU1 = "c2177883-f1bb-47f0-914d-32a22e3a8804";
constexpr const char* kU2 = "0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3a";
constexpr const char* kP1 = "0000:00:02.0";
constexpr const char* kEntry = "etc/libvirt/hooks/qemu.d/90-mdev-migcheck";

// A node for libvirt's test driver: "recorded" carries a record of its
// mdev, "unrecorded" has an mdev and none, "plain" has no mdev.
std::string node() {
    return std::string(R"(<node>
  <domain type='test'>
    <name>recorded</name>
    <uuid>6695eb01-f6a4-8304-79aa-97f2502e1001</uuid>
    <metadata>
      <mdevmc:migcheck xmlns:mdevmc="urn:mdev-migcheck:metadata:1" host="hostA">
        <mdevmc:mdev uuid=")") +
           kU1 + R"(" type="i915-GVTg_V5_4" parent="0000:00:02.0" version="v1"/>
      </mdevmc:migcheck>
    </metadata>
    <memory>1048576</memory><vcpu>1</vcpu><os><type>hvm</type></os>
    <devices>
      <hostdev mode='subsystem' type='mdev' model='vfio-pci'>
        <source><address uuid=')" +
           kU1 + R"('/></source>
      </hostdev>
    </devices>
  </domain>
  <domain type='test'>
    <name>unrecorded</name>
    <uuid>6695eb01-f6a4-8304-79aa-97f2502e1002</uuid>
    <memory>1048576</memory><vcpu>1</vcpu><os><type>hvm</type></os>
    <devices>
      <hostdev mode='subsystem' type='mdev' model='vfio-pci'>
        <source><address uuid=')" +
           kU2 + R"('/></source>
      </hostdev>
    </devices>
  </domain>
  <domain type='test'>
    <name>plain</name>
    <uuid>6695eb01-f6a4-8304-79aa-97f2502e1003</uuid>
    <memory>1048576</memory><vcpu>1</vcpu><os><type>hvm</type></os>
  </domain>
</node>
)";
}

// A process named virtqemud (a copy of sleep under that name), killed and
// reaped when the test ends.
class FakeDaemon {
public:
    explicit FakeDaemon(const std::filesystem::path& dir) {
        const auto exe = dir / "virtqemud";
        std::filesystem::copy_file("/bin/sleep", exe);
        std::filesystem::permissions(exe, std::filesystem::perms::owner_all);
        pid_ = ::fork();
        if (pid_ == 0) {
            ::execl(exe.c_str(), "virtqemud", "3600", static_cast<char*>(nullptr));
            ::_exit(127);
        }
    }
    ~FakeDaemon() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    FakeDaemon(const FakeDaemon&) = delete;
    FakeDaemon& operator=(const FakeDaemon&) = delete;
    pid_t pid() const { return pid_; }
    // Its comm once it has executed (fork then exec: wait for the name).
    bool named() const {
        for (int i = 0; i < 1000; ++i) {
            std::string comm;
            try {
                comm = readFile("/proc/" + std::to_string(pid_) + "/comm");
            } catch (...) {
            }
            if (comm == "virtqemud\n") {
                return true;
            }
            ::usleep(2000);
        }
        return false;
    }

private:
    pid_t pid_ = -1;
};

// Waits until the clock's second is past T (so that what starts now starts
// strictly after T, at the second resolution of the daemon's start time).
void waitPastSecond(std::time_t t) {
    while (std::time(nullptr) <= t) {
        ::usleep(20000);
    }
}

std::time_t entryTime(const std::filesystem::path& p) {
    struct stat st {};
    EXPECT_EQ(::lstat(p.c_str(), &st), 0);
    return std::max(st.st_ctim.tv_sec, st.st_mtim.tv_sec);
}

class CliDoctor : public ::testing::Test {
protected:
    void SetUp() override {
        sys.addType(kP1, "i915-GVTg_V5_4", "8086-193b-i915-GVTg_V5_4-5.2");
        sys.addType(kP1, "i915-GVTg_V5_8", "");
        // The parent's driver, for the fingerprint.
        std::filesystem::create_directories(dir.path() / "sys/bus/pci/drivers/i915");
        std::filesystem::create_directory_symlink("../../../bus/pci/drivers/i915",
                                                  sys.parentDir(kP1) / "driver");
        writeFile(dir.path() / "etc/mdev-migcheck/mdev-migcheck.conf", "syslog = no\n");
        writeFile(dir.path() / "node.xml", node());
        std::filesystem::create_directories(dir.path() / "run");
        std::filesystem::create_directories(dir.path() / "bin");
    }
    void installHook() {
        const auto e = dir.path() / kEntry;
        std::filesystem::create_directories(e.parent_path());
        std::filesystem::create_symlink(MDEVMC_HOOK, e);
    }
    void writePidfile(pid_t pid) {
        writeFile(dir.path() / "run/virtqemud.pid", std::to_string(pid) + "\n");
    }
    RunResult doctor(std::vector<std::string> extra = {}) {
        std::vector<std::string> args{MDEVMC_CLI, "doctor", "-c",
                                      "test://" + (dir.path() / "node.xml").string()};
        args.insert(args.end(), extra.begin(), extra.end());
        return runProgram(args, libvirtEnvironment({"MDEV_MIGCHECK_ROOT=" + dir.path().string()}),
                          "");
    }
    static const Json& item(const Json& doc, const std::string& name) {
        for (const auto& c : doc["checks"]) {
            if (c["name"] == name) {
                return c;
            }
        }
        throw std::runtime_error("no check " + name);
    }

    TempDir dir;
    FakeSysfs sys{dir.path()};
};

} // namespace

TEST_F(CliDoctor, DaemonStartedAfterTheHookRunsIt) {
    installHook();
    // A whole second later at least: the start time has the precision of a
    // clock tick, and is rounded down to it.
    waitPastSecond(entryTime(dir.path() / kEntry) + 1);
    FakeDaemon daemon(dir.path() / "bin");
    ASSERT_TRUE(daemon.named());
    writePidfile(daemon.pid());
    const RunResult r = doctor({"--json"});
    const Json doc = Json::parse(r.out);
    EXPECT_EQ(item(doc, "hook")["status"], "ok") << r.out;
    const Json& d = item(doc, "daemon");
    EXPECT_EQ(d["status"], "ok") << r.out;
    ASSERT_EQ(d["details"].size(), 1U);
    EXPECT_NE(d["details"][0].get<std::string>().find(
                  "virtqemud (pid " + std::to_string(daemon.pid()) + ", found by pidfile"),
              std::string::npos)
        << r.out;
    EXPECT_NE(d["details"][0].get<std::string>().find("after the hook was installed"),
              std::string::npos);
    EXPECT_EQ(item(doc, "config")["status"], "ok");
    // One unrecorded VM: a problem, with the command that records it.
    const Json& vms = item(doc, "vms");
    EXPECT_EQ(vms["status"], "problem");
    EXPECT_EQ(vms["summary"], "3 running domain(s) on test://" +
                                  (dir.path() / "node.xml").string() + ", 2 with mdevs");
    ASSERT_EQ(vms["details"].size(), 1U) << r.out;
    EXPECT_EQ(vms["details"][0], std::string("domain unrecorded: mdev ") + kU2 +
                                     " not recorded (its migration would be refused); run: "
                                     "mdev-migcheck annotate unrecorded");
    EXPECT_EQ(doc["status"], "problem");
    EXPECT_EQ(r.exit_code, 1);
}

TEST_F(CliDoctor, DaemonStartedBeforeTheHookIsAWarningWithTheReload) {
    FakeDaemon daemon(dir.path() / "bin");
    ASSERT_TRUE(daemon.named());
    writePidfile(daemon.pid());
    // The entry appears in a later second than the daemon started.
    waitPastSecond(std::time(nullptr));
    installHook();
    const RunResult r = doctor();
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.out.find("warning daemon: the running libvirt daemon may not run the hook"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("before the hook was installed"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("if you have not reloaded it since, run: systemctl reload virtqemud"),
              std::string::npos)
        << r.out;
}

TEST_F(CliDoctor, MissingOrNotExecutableHookEntry) {
    RunResult r = doctor();
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.out.find("problem hook: the hook entry '" + (dir.path() / kEntry).string() +
                         "' is missing"),
              std::string::npos)
        << r.out;
    // No pidfile and not the real root: no daemon is looked for in /proc.
    EXPECT_NE(r.out.find("unknown daemon: no running virtqemud or libvirtd found"),
              std::string::npos)
        << r.out;
    writeFile(dir.path() / kEntry, "#!/bin/sh\n");
    ::chmod((dir.path() / kEntry).c_str(), 0644);
    r = doctor();
    EXPECT_NE(r.out.find("' is not an executable file: libvirt skips it"), std::string::npos)
        << r.out;
}

TEST_F(CliDoctor, EveryConfigErrorWithItsFileAndLine) {
    installHook();
    const auto conf = dir.path() / "etc/mdev-migcheck/mdev-migcheck.conf";
    writeFile(conf, "syslog = no\ntimeuot_ms = 100\nmode = strict\n");
    writeFile(dir.path() / "etc/mdev-migcheck/mdev-migcheck.conf.d/10-x.conf",
              "\nallow_unrecorded = maybe\n");
    const RunResult r = doctor({"--json"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "");
    const Json doc = Json::parse(r.out);
    const Json& c = item(doc, "config");
    EXPECT_EQ(c["status"], "problem");
    EXPECT_EQ(c["details"],
              Json::array({conf.string() + ":2: unknown key 'timeuot_ms'",
                           conf.string() + ":3: 'mode' takes enforce or audit, not 'strict'",
                           (conf.string() + ".d/10-x.conf:2: 'allow_unrecorded' takes yes or "
                                            "no, not 'maybe'")}));

    // list still works, warning on stderr with every error; check refuses
    // to decide, as the hook does.
    const auto env = libvirtEnvironment({"MDEV_MIGCHECK_ROOT=" + dir.path().string()});
    const RunResult l = runProgram({MDEVMC_CLI, "list"}, env, "");
    EXPECT_EQ(l.exit_code, 0) << l.err;
    EXPECT_NE(l.out.find("i915-GVTg_V5_4"), std::string::npos);
    EXPECT_EQ(std::count(l.err.begin(), l.err.end(), '\n'), 3) << l.err;
    EXPECT_NE(l.err.find("mdev-migcheck: warning: " + conf.string() +
                         ":2: unknown key 'timeuot_ms' (ignored here"),
              std::string::npos)
        << l.err;
    const RunResult k = runProgram(
        {MDEVMC_CLI, "check", "--xml", std::string(MDEVMC_SAMPLES_DIR) + "/vgpu-annotated.xml"},
        env, "");
    EXPECT_EQ(k.exit_code, 2);
    EXPECT_NE(k.err.find("10-x.conf:2"), std::string::npos) << k.err;
}

TEST_F(CliDoctor, LibvirtUnreachableIsUnknownAndTheRestIsChecked) {
    installHook();
    const RunResult r =
        runProgram({MDEVMC_CLI, "doctor", "--json", "-c",
                    "test://" + (dir.path() / "no-such-node.xml").string()},
                   libvirtEnvironment({"MDEV_MIGCHECK_ROOT=" + dir.path().string()}), "");
    const Json doc = Json::parse(r.out);
    const Json& vms = item(doc, "vms");
    EXPECT_EQ(vms["status"], "unknown");
    EXPECT_EQ(vms["summary"].get<std::string>().rfind("cannot ask libvirt: ", 0), 0U) << r.out;
    EXPECT_EQ(item(doc, "hook")["status"], "ok");
    EXPECT_EQ(item(doc, "config")["status"], "ok");
    // The per-type evidence: the protocol where the type has the
    // attribute, the kernel fingerprint where it has not.
    const Json& types = item(doc, "types");
    ASSERT_EQ(types["types"].size(), 2U) << r.out;
    EXPECT_EQ(types["types"][0]["type"], "i915-GVTg_V5_4");
    EXPECT_EQ(types["types"][0]["evidence"], "protocol");
    EXPECT_EQ(types["types"][1]["type"], "i915-GVTg_V5_8");
    EXPECT_EQ(types["types"][1]["evidence"], "fingerprint") << r.out;
    EXPECT_EQ(types["types"][1]["why"],
              "no migration_version attribute; kernel facts of driver i915");
    // Unknowns alone do not fail the doctor.
    EXPECT_EQ(doc["status"], "unknown");
    EXPECT_EQ(r.exit_code, 0) << r.out;
}

// An upgrade replaces the hook entry: the postinst's stamp says when the
// hook first came, and a daemon started between the two runs it.
TEST_F(CliDoctor, TheInstallStampOutlivesAnUpgradedEntry) {
    const auto stamp = dir.path() / "var/lib/mdev-migcheck/hook-installed";
    writeFile(stamp, "");
    // First installed an hour ago (the stamp's mtime), entry replaced now.
    const std::time_t hour_ago = std::time(nullptr) - 3600;
    const timespec times[2] = {{hour_ago, 0}, {hour_ago, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, stamp.c_str(), times, 0), 0);
    FakeDaemon daemon(dir.path() / "bin");
    ASSERT_TRUE(daemon.named());
    writePidfile(daemon.pid());
    waitPastSecond(std::time(nullptr));
    installHook();
    Json doc = Json::parse(doctor({"--json"}).out);
    const Json& d = item(doc, "daemon");
    EXPECT_EQ(d["status"], "ok") << doc.dump();
    EXPECT_NE(d["details"][0].get<std::string>().find("by '" + stamp.string() + "'"),
              std::string::npos)
        << doc.dump();
    // Without the stamp (the package was removed in between), the entry's
    // own time counts.
    std::filesystem::remove(stamp);
    doc = Json::parse(doctor({"--json"}).out);
    EXPECT_EQ(item(doc, "daemon")["status"], "warning") << doc.dump();
}
