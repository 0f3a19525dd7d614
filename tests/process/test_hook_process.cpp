// The hook binary run as libvirt runs it: argv DOMAIN OP SUBOP EXTRA, the
// domain XML on stdin, libvirt's environment, stdout and stderr on pipes.
#include "domain/domain_xml.hpp"
#include "fake_sysfs.hpp"
#include "subprocess.hpp"

#include <cstring>
#include <gtest/gtest.h>
#include <map>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

using namespace mdevmc;
using namespace mdevmc::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kU1 = "c2177883-f1bb-47f0-914d-32a22e3a8804";
constexpr const char* kP1 = "0000:00:02.0";
constexpr const char* kType = "i915-GVTg_V5_4";

std::string sample(const std::string& name) {
    return readFile(std::string(MDEVMC_SAMPLES_DIR) + "/" + name);
}

} // namespace

class HookProcess : public ::testing::Test {
protected:
    void SetUp() override {
        sys.addType(kP1, kType, "8086-193b-i915-GVTg_V5_4-5.3");
        sys.addDevice(kU1, kP1, kType);
        writeFile(dir.path() / "etc/mdev-migcheck/mdev-migcheck.conf",
                  "attr_timeout_ms = 300\ntimeout_ms = 2000\nsyslog = no\n");
    }
    RunResult hook(const std::string& domain, const std::string& op, const std::string& subop,
                   const std::string& xml) {
        return runProgram({MDEVMC_HOOK, domain, op, subop, "-"},
                          libvirtEnvironment({"MDEV_MIGCHECK_ROOT=" + dir.path().string()}), xml);
    }
    std::filesystem::path attr() const { return sys.typeDir(kP1, kType) / "migration_version"; }

    TempDir dir;
    FakeSysfs sys{dir.path()};
};

TEST_F(HookProcess, EveryOtherOpExitsZeroSilently) {
    for (const auto& [op, subop] :
         std::vector<std::pair<std::string, std::string>>{{"prepare", "begin"},
                                                          {"start", "begin"},
                                                          {"stopped", "end"},
                                                          {"release", "end"},
                                                          {"migrate", "end"},
                                                          {"restore", "end"},
                                                          {"attach", "begin"},
                                                          {"frobnicate", "-"}}) {
        const RunResult r = hook("vgpu1", op, subop, sample("vgpu-annotated.xml"));
        EXPECT_EQ(r.exit_code, 0) << op;
        EXPECT_EQ(r.out, "") << op;
        EXPECT_EQ(r.err, "") << op;
        EXPECT_TRUE(r.finished);
    }
    EXPECT_EQ(readFile(attr()), "8086-193b-i915-GVTg_V5_4-5.3\n"); // nothing written
}

// Accepted: exit 0 and nothing on stdout (libvirt would mark the domain
// tainted by a hook that printed its XML).
TEST_F(HookProcess, MigrateAcceptedPrintsNothing) {
    const RunResult r = hook("vgpu1", "migrate", "begin", sample("vgpu-annotated.xml"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(r.out, "");
    // The plain file took the write: it was checked, not skipped.
    EXPECT_EQ(readFile(attr()), "8086-193b-i915-GVTg_V5_4-5.2\n");
}

TEST_F(HookProcess, MigrateRefusedWhenTheWriteFails) {
    // A directory where the attribute should be: open(O_WRONLY) fails with EISDIR.
    std::filesystem::remove(attr());
    std::filesystem::create_directory(attr());
    const RunResult r = hook("vgpu1", "migrate", "begin", sample("vgpu-annotated.xml"));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, std::string("mdev-migcheck: refusing migration of vgpu1: mdev ") + kU1 +
                         " (i915-GVTg_V5_4) on parent 0000:00:02.0: reading this host's "
                         "migration_version failed (EINVAL: Invalid argument); the driver "
                         "has the attribute, so this may be transient: retry (evidence: protocol; "
                         "source host 'hostA')\n");
}

TEST_F(HookProcess, NoMdevDomainPrintsNothing) {
    for (const std::string op : {"migrate", "restore", "started", "reconnect"}) {
        const RunResult r = hook("plain", op, "begin", sample("no-mdev.xml"));
        EXPECT_EQ(r.exit_code, 0);
        EXPECT_EQ(r.out, "");
        EXPECT_EQ(r.err, "");
    }
}

// A domain XML without a record at migrate begin is an offline migration or
// a live one the source has not recorded: accepted there with a note, and
// the live one (the only one followed by prepare begin) refused at prepare.
constexpr const char* kDomainUuid = "3e1e7d8c-1b4a-4f63-9a43-52f0c1e9d001";

TEST_F(HookProcess, UnrecordedLiveMigrationIsRefusedAtPrepare) {
    const std::string xml = sample("vgpu-one-mdev.xml");
    const auto note = dir.path() / "run/mdev-migcheck/incoming" / kDomainUuid;
    const RunResult m = hook("vgpu1", "migrate", "begin", xml);
    EXPECT_EQ(m.exit_code, 0) << m.err;
    EXPECT_EQ(m.out, "");
    EXPECT_EQ(m.err, "");
    ASSERT_TRUE(std::filesystem::exists(note));
    EXPECT_NE(readFile(note).find(std::string("mdev=") + kU1 + "\n"), std::string::npos);

    const RunResult p = hook("vgpu1", "prepare", "begin", xml);
    EXPECT_EQ(p.exit_code, 1);
    EXPECT_EQ(p.out, "");
    EXPECT_EQ(p.err, std::string("mdev-migcheck: refusing migration of vgpu1: mdev ") + kU1 +
                         ": the source host recorded nothing for it: if the VM has just started "
                         "there, retry in a moment; if it has run there since before "
                         "mdev-migcheck was installed, record it with annotate; next: on the "
                         "source host: mdev-migcheck annotate vgpu1\n");
    EXPECT_FALSE(std::filesystem::exists(note));
    // The note stood for one migration: a later start passes.
    const RunResult again = hook("vgpu1", "prepare", "begin", xml);
    EXPECT_EQ(again.exit_code, 0) << again.err;
}

TEST_F(HookProcess, LiveMigrationToAHostWhereTheDomainIsDefinedIsRefusedToo) {
    const std::string xml = sample("vgpu-one-mdev.xml");
    writeFile(dir.path() / "etc/libvirt/qemu/vgpu1.xml", xml);
    EXPECT_EQ(hook("vgpu1", "migrate", "begin", xml).exit_code, 0);
    EXPECT_EQ(hook("vgpu1", "prepare", "begin", xml).exit_code, 1);
}

TEST_F(HookProcess, OfflineMigrationThenAStartPasses) {
    const std::string xml = sample("vgpu-one-mdev.xml");
    const RunResult m = hook("vgpu1", "migrate", "begin", xml);
    EXPECT_EQ(m.exit_code, 0) << m.err;
    // libvirt defines the domain here after an offline migration.
    writeFile(dir.path() / "etc/libvirt/qemu/vgpu1.xml", xml);
    const RunResult p = hook("vgpu1", "prepare", "begin", xml);
    EXPECT_EQ(p.exit_code, 0) << p.err;
    EXPECT_EQ(p.err, "");
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "run/mdev-migcheck/incoming" / kDomainUuid));
}

TEST_F(HookProcess, StaleOrCorruptNotesNeverFailAStart) {
    const std::string xml = sample("vgpu-one-mdev.xml");
    const auto note = dir.path() / "run/mdev-migcheck/incoming" / kDomainUuid;
    writeFile(note, std::string("domain=vgpu1\nuuid=") + kDomainUuid +
                        "\nat-ms=1000\ndefinition=absent\nmdev=" + kU1 + "\n");
    RunResult p = hook("vgpu1", "prepare", "begin", xml);
    EXPECT_EQ(p.exit_code, 0) << p.err;
    EXPECT_FALSE(std::filesystem::exists(note));
    writeFile(note, "domain=vgpu1\nuuid=../../x\n");
    p = hook("vgpu1", "prepare", "begin", xml);
    EXPECT_EQ(p.exit_code, 0) << p.err;
    EXPECT_EQ(p.err, "");
    EXPECT_FALSE(std::filesystem::exists(note));
}

TEST_F(HookProcess, RecordedMigrationLeavesNoNote) {
    ASSERT_EQ(hook("vgpu1", "migrate", "begin", sample("vgpu-annotated.xml")).exit_code, 0);
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "run/mdev-migcheck/incoming"));
}

TEST_F(HookProcess, UnrecordedRestoreIsRefused) {
    const RunResult r = hook("vgpu1", "restore", "begin", sample("vgpu-one-mdev.xml"));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("the save image carries no record of it"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "run/mdev-migcheck/incoming"));
}

TEST_F(HookProcess, HungWriteIsRefusedInTimeAndLeavesNoPipeOpen) {
    // A FIFO with no writer as the attribute: opening it never returns,
    // like a driver callback that hangs.
    std::filesystem::remove(attr());
    ASSERT_EQ(::mkfifo(attr().c_str(), 0600), 0);
    const RunResult r = hook("vgpu1", "migrate", "begin", sample("vgpu-annotated.xml"));
    EXPECT_TRUE(r.finished);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("did not finish within 300 ms (timed out)"), std::string::npos) << r.err;
    EXPECT_LT(r.eof_after, 2000ms);
}

TEST_F(HookProcess, StdinIsConsumedEvenWhenIgnored) {
    // Larger than a pipe buffer: a hook that did not read it would block libvirt.
    const std::string big = "<domain><name>x</name><description>" + std::string(1 << 20, 'a') +
                            "</description></domain>";
    const RunResult r = hook("x", "prepare", "begin", big);
    EXPECT_TRUE(r.finished);
    EXPECT_EQ(r.exit_code, 0);
}

TEST_F(HookProcess, BadConfigRefusesMdevDomainsOnly) {
    writeFile(dir.path() / "etc/mdev-migcheck/mdev-migcheck.conf",
              "timeout = 5\nsyslog = no\nmode = strict\n");
    const RunResult plain = hook("plain", "migrate", "begin", sample("no-mdev.xml"));
    EXPECT_EQ(plain.exit_code, 0);
    const RunResult r = hook("vgpu1", "migrate", "begin", sample("vgpu-annotated.xml"));
    EXPECT_EQ(r.exit_code, 1);
    // Every error, each with its file and line.
    const std::string conf = dir.path().string() + "/etc/mdev-migcheck/mdev-migcheck.conf";
    EXPECT_EQ(r.err, "mdev-migcheck: refusing migration of vgpu1: " + conf +
                         ":1: unknown key 'timeout'; " + conf +
                         ":3: 'mode' takes enforce or audit, not 'strict'\n");
}

// The hook is one executable: a copy with nothing beside it makes the
// check itself.
TEST_F(HookProcess, CopyAloneChecksByItself) {
    TempDir lonely;
    const auto copy = lonely.path() / "mdev-migcheck-hook";
    std::filesystem::copy_file(MDEVMC_HOOK, copy);
    const RunResult r =
        runProgram({copy.string(), "vgpu1", "migrate", "begin", "-"},
                   libvirtEnvironment({"MDEV_MIGCHECK_ROOT=" + dir.path().string()}),
                   sample("vgpu-annotated.xml"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(readFile(attr()), "8086-193b-i915-GVTg_V5_4-5.2\n"); // checked, not skipped
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(lonely.path()),
                            std::filesystem::directory_iterator()),
              1);
}

// "--help" or "-h" alone gets the usage on stdout; libvirt's four arguments
// never do, even for a domain named "--help".
TEST_F(HookProcess, HelpAloneOnlyPrintsUsage) {
    for (const char* flag : {"--help", "-h"}) {
        const RunResult r = runProgram({MDEVMC_HOOK, flag}, libvirtEnvironment(), "");
        EXPECT_EQ(r.exit_code, 0) << flag;
        EXPECT_EQ(r.out.rfind("Usage: mdev-migcheck-hook", 0), 0U) << r.out;
        EXPECT_NE(r.out.find("DOMAIN OPERATION SUB-OPERATION EXTRA"), std::string::npos);
        EXPECT_EQ(r.err, "");
    }
    RunResult r = hook("--help", "prepare", "begin", sample("vgpu-annotated.xml"));
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "");
    r = hook("-h", "migrate", "begin", sample("vgpu-annotated.xml"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, ""); // checked and accepted, not usage
    EXPECT_EQ(readFile(attr()), "8086-193b-i915-GVTg_V5_4-5.2\n");
}

namespace {

// A datagram socket standing in for the journal's, and the entries sent to
// it, each parsed from the native protocol into its fields.
class JournalSocket {
public:
    explicit JournalSocket(std::filesystem::path path) : path_(std::move(path)) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::strncpy(a.sun_path, path_.c_str(), sizeof(a.sun_path) - 1);
        if (::bind(fd_, reinterpret_cast<const sockaddr*>(&a), sizeof(a)) != 0) {
            throw std::runtime_error("bind failed");
        }
    }
    ~JournalSocket() { ::close(fd_); }
    JournalSocket(const JournalSocket&) = delete;
    JournalSocket& operator=(const JournalSocket&) = delete;
    const std::filesystem::path& path() const { return path_; }

    // Every entry queued (the hook has exited: nothing more will come).
    std::vector<std::map<std::string, std::string>> entries() const {
        std::vector<std::map<std::string, std::string>> out;
        std::vector<char> buf(1 << 17);
        for (;;) {
            const ssize_t n = ::recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT);
            if (n < 0) {
                break;
            }
            out.push_back(parse(std::string(buf.data(), static_cast<std::size_t>(n))));
        }
        return out;
    }

private:
    // NAME=value lines, or NAME, a 64-bit little-endian length, the value.
    static std::map<std::string, std::string> parse(const std::string& d) {
        std::map<std::string, std::string> f;
        std::size_t pos = 0;
        while (pos < d.size()) {
            const std::size_t nl = d.find('\n', pos);
            const std::size_t eq = d.find('=', pos);
            if (eq != std::string::npos && eq < nl) {
                f[d.substr(pos, eq - pos)] = d.substr(eq + 1, nl - eq - 1);
                pos = nl + 1;
                continue;
            }
            const std::string name = d.substr(pos, nl - pos);
            std::uint64_t len = 0;
            for (int i = 7; i >= 0; --i) {
                len = (len << 8U) |
                      static_cast<unsigned char>(d[nl + 1 + static_cast<std::size_t>(i)]);
            }
            f[name] = d.substr(nl + 9, len);
            pos = nl + 9 + len + 1;
        }
        return f;
    }
    std::filesystem::path path_;
    int fd_ = -1;
};

} // namespace

// Each verdict reaches the journal as one structured entry, by the native
// protocol, with the fields an operator queries it by.
TEST_F(HookProcess, VerdictsAreStructuredJournalEntries) {
    writeFile(dir.path() / "etc/mdev-migcheck/mdev-migcheck.conf",
              "attr_timeout_ms = 300\ntimeout_ms = 2000\nsyslog = yes\n");
    std::filesystem::remove(attr());
    std::filesystem::create_directory(attr()); // the write fails: refused
    const JournalSocket journal(dir.path() / "journal.sock");
    const RunResult r =
        runProgram({MDEVMC_HOOK, "vgpu1", "migrate", "begin", "-"},
                   libvirtEnvironment({"MDEV_MIGCHECK_ROOT=" + dir.path().string(),
                                       "MDEV_MIGCHECK_JOURNAL_SOCKET=" + journal.path().string()}),
                   sample("vgpu-annotated.xml"));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    const auto entries = journal.entries();
    ASSERT_EQ(entries.size(), 1U);
    const auto& e = entries[0];
    EXPECT_EQ(e.at("MESSAGE_ID"), "6c1f3b0e9a4d4f0b8e2a7d5c93e1b804");
    EXPECT_EQ(e.at("SYSLOG_IDENTIFIER"), "mdev-migcheck");
    EXPECT_EQ(e.at("PRIORITY"), "4");
    EXPECT_EQ(e.at("DOMAIN"), "vgpu1");
    EXPECT_EQ(e.at("DOMAIN_UUID"), "3e1e7d8c-1b4a-4f63-9a43-52f0c1e9d001");
    EXPECT_EQ(e.at("MDEV_UUID"), kU1);
    EXPECT_EQ(e.at("MDEV_TYPE"), kType);
    EXPECT_EQ(e.at("VERDICT"), "refused");
    EXPECT_EQ(e.at("REASON"), "target-read-failed");
    EXPECT_EQ(e.at("EVIDENCE"), "protocol");
    EXPECT_EQ(e.at("SOURCE_HOST"), "hostA");
    EXPECT_EQ(e.at("MESSAGE"),
              std::string("migrate of domain vgpu1: refused [protocol]: mdev ") + kU1 +
                  " (i915-GVTg_V5_4) on parent 0000:00:02.0: reading this host's "
                  "migration_version failed (EINVAL: Invalid argument); the driver has the "
                  "attribute, so this may be transient: retry (source host 'hostA')");
}

// A value from the domain XML cannot forge a field: it is escaped.
TEST_F(HookProcess, JournalFieldsAreEscaped) {
    writeFile(dir.path() / "etc/mdev-migcheck/mdev-migcheck.conf",
              "attr_timeout_ms = 300\ntimeout_ms = 2000\nsyslog = yes\n");
    const JournalSocket journal(dir.path() / "journal.sock");
    const RunResult r =
        runProgram({MDEVMC_HOOK, "vm\nVERDICT=accepted", "migrate", "begin", "-"},
                   libvirtEnvironment({"MDEV_MIGCHECK_ROOT=" + dir.path().string(),
                                       "MDEV_MIGCHECK_JOURNAL_SOCKET=" + journal.path().string()}),
                   sample("vgpu-one-mdev.xml"));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    const auto entries = journal.entries();
    ASSERT_EQ(entries.size(), 1U);
    EXPECT_EQ(entries[0].at("DOMAIN"), "vm\\nVERDICT=accepted");
    EXPECT_EQ(entries[0].at("VERDICT"), "refused");
    EXPECT_EQ(entries[0].at("REASON"), "no-source-version");
}
