// Two simulated hosts (two mdev-simfs mounts): the source records its
// versions with `mdev-migcheck annotate`, the destination's hook runs as
// libvirt runs it.  Each case asserts the exit code, the first stderr line,
// that the hook prints no XML (libvirt would taint the domain), the record
// the destination's recorder then makes, and what the simulator saw written.
#include "domain/domain_xml.hpp"
#include "sim_mount.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <linux/kcmp.h>
#include <optional>
#include <set>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

using namespace mdevmc;
using namespace mdevmc::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kU1 = "c2177883-f1bb-47f0-914d-32a22e3a8804";
constexpr const char* kU2 = "0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3a";
const std::string kAttr = "devices/pci0000:00/0000:00:02.0/mdev_supported_types/nvidia-63/"
                          "migration_version";

struct TypeDef {
    std::string id = "nvidia-63";
    std::string migration = "supported";
    int available = 4;
};

struct ParentDef {
    std::string address = "0000:00:02.0";
    std::string device = "1eb8";
    std::string version = "2.1";
    std::vector<TypeDef> types{TypeDef{}};
};

struct DevDef {
    std::string uuid;
    std::string parent = "0000:00:02.0";
    std::string type = "nvidia-63";
};

std::string topology(const std::vector<ParentDef>& parents, const std::vector<DevDef>& devs) {
    std::string j = "{\"parents\": [";
    int base = 10;
    for (std::size_t i = 0; i < parents.size(); ++i) {
        const auto& p = parents[i];
        j += (i ? "," : "") + std::string("{\"address\": \"") + p.address +
             "\", \"vendor\": \"10de\", \"device\": \"" + p.device +
             "\", \"software_version\": \"" + p.version +
             "\", \"iommu_group_base\": " + std::to_string(base) + ", \"types\": [";
        base += 10;
        for (std::size_t k = 0; k < p.types.size(); ++k) {
            j += (k ? "," : "") + std::string("{\"id\": \"") + p.types[k].id +
                 "\", \"migration\": \"" + p.types[k].migration +
                 "\", \"available_instances\": " + std::to_string(p.types[k].available) + "}";
        }
        j += "]}";
    }
    j += "], \"devices\": [";
    for (std::size_t i = 0; i < devs.size(); ++i) {
        j += (i ? "," : "") + std::string("{\"uuid\": \"") + devs[i].uuid + "\", \"parent\": \"" +
             devs[i].parent + "\", \"type\": \"" + devs[i].type + "\"}";
    }
    return j + "]}";
}

std::string domain(const std::vector<std::string>& uuids) {
    std::string x = "<domain type='kvm'>\n  <name>vgpu</name>\n"
                    "  <uuid>3e1e7d8c-1b4a-4f63-9a43-52f0c1e9d0aa</uuid>\n  <devices>\n";
    for (const auto& u : uuids) {
        x += "    <hostdev mode='subsystem' type='mdev' model='vfio-pci'>\n"
             "      <source><address uuid='" +
             u + "'/></source>\n    </hostdev>\n";
    }
    return x + "  </devices>\n</domain>\n";
}

std::string firstLine(const std::string& s) {
    return s.substr(0, s.find('\n'));
}

class HookMatrix : public ::testing::Test {
protected:
    void SetUp() override {
        if (const std::string why = fuseUnavailable(); !why.empty()) {
            GTEST_SKIP() << why;
        }
    }
    void hosts(const std::string& source_topo, const std::string& target_topo) {
        source = std::make_unique<SimHost>(MDEVMC_SIMFS, source_topo);
        target = std::make_unique<SimHost>(MDEVMC_SIMFS, target_topo);
        writeFile(target->root() / "etc/mdev-migcheck/mdev-migcheck.conf",
                  "attr_timeout_ms = 500\ntimeout_ms = 3000\nsyslog = no\n");
    }
    // The source's annotated XML.
    std::string annotate(const std::string& xml) { return annotateOn(*source, xml); }
    // XML annotated on HOST, as its recorder records it.
    static std::string annotateOn(const SimHost& host, const std::string& xml) {
        const RunResult r =
            runProgram({MDEVMC_CLI, "annotate", "--xml", "-"},
                       libvirtEnvironment({"MDEV_MIGCHECK_ROOT=" + host.root().string()}), xml);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return r.out;
    }
    RunResult migrate(const std::string& xml) {
        return runProgram({MDEVMC_HOOK, "vgpu", "migrate", "begin", "-"},
                          libvirtEnvironment({"MDEV_MIGCHECK_ROOT=" + target->root().string()}),
                          xml);
    }
    std::optional<Metadata> metadataOf(const std::string& xml) {
        auto d = DomainXml::parse(xml);
        if (!d) {
            ADD_FAILURE() << d.error().message;
            return std::nullopt;
        }
        return d->metadata();
    }
    // Waits (up to 5 s) until the target's simulator holds one access.
    bool waitUntilHeld() const {
        for (int i = 0; i < 500; ++i) {
            if (readFile(target->control()).find("\"waiting\":1") != std::string::npos) {
                return true;
            }
            std::this_thread::sleep_for(10ms);
        }
        return false;
    }
    std::unique_ptr<SimHost> source, target;
};

const std::string kRefusing = "mdev-migcheck: refusing migration of vgpu: ";

} // namespace

TEST_F(HookMatrix, CompatibleSameVersion) {
    hosts(topology({ParentDef{}}, {{kU1}}), topology({ParentDef{}}, {{kU1}}));
    const std::string xml = annotate(domain({kU1}));
    const RunResult r = migrate(xml);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(r.out, ""); // no XML: libvirt would mark the domain tainted
    const auto m = metadataOf(annotateOn(*target, xml));
    ASSERT_TRUE(m && m->entries.size() == 1);
    EXPECT_EQ(m->entries[0].version, "10de-1eb8-nvidia-63-2.1");
    EXPECT_EQ(target->writes(), "{\"data\":\"10de-1eb8-nvidia-63-2.1\\n\",\"path\":\"" + kAttr +
                                    "\",\"result\":24}\n");
    EXPECT_EQ(source->writes(), ""); // the source is only read
}

TEST_F(HookMatrix, CompatibleNewerMinorOnTargetAndTheTargetsRecordIsItsOwn) {
    ParentDef newer;
    newer.version = "2.4";
    hosts(topology({ParentDef{}}, {{kU1}}), topology({newer}, {{kU1}}));
    const std::string xml = annotate(domain({kU1}));
    const RunResult r = migrate(xml);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "");
    const auto m = metadataOf(annotateOn(*target, xml));
    ASSERT_TRUE(m && m->entries.size() == 1);
    EXPECT_EQ(m->entries[0].version, "10de-1eb8-nvidia-63-2.4");
    EXPECT_NE(target->writes().find("\"data\":\"10de-1eb8-nvidia-63-2.1\\n\""), std::string::npos);
}

TEST_F(HookMatrix, IncompatibleOlderMinorOtherMajorOtherDevice) {
    struct Case {
        const char* what;
        std::string device;
        std::string version;
    };
    for (const Case& c : {Case{"older minor", "1eb8", "2.0"}, Case{"other major", "1eb8", "3.1"},
                          Case{"other device id", "1eb9", "2.1"}}) {
        ParentDef p;
        p.device = c.device;
        p.version = c.version;
        hosts(topology({ParentDef{}}, {{kU1}}), topology({p}, {{kU1}}));
        const RunResult r = migrate(annotate(domain({kU1})));
        EXPECT_EQ(r.exit_code, 1) << c.what;
        EXPECT_EQ(r.out, "");
        EXPECT_EQ(firstLine(r.err), kRefusing + "mdev " + kU1 +
                                        " (nvidia-63) on parent 0000:00:02.0: target driver "
                                        "rejected the source migration_version (EINVAL: Invalid "
                                        "argument): the source's '10de-1eb8-nvidia-63-2.1', this "
                                        "host's '10de-" +
                                        c.device + "-nvidia-63-" + c.version +
                                        "' (evidence: protocol; source host 'vm')")
            << c.what;
        EXPECT_NE(target->writes().find("\"result\":\"EINVAL\""), std::string::npos) << c.what;
    }
}

TEST_F(HookMatrix, VersionOfAnotherTypeIsRejectedByTheDriver) {
    hosts(topology({ParentDef{}}, {{kU1}}), topology({ParentDef{}}, {{kU1}}));
    std::string xml = annotate(domain({kU1}));
    const auto at = xml.find("10de-1eb8-nvidia-63-2.1");
    ASSERT_NE(at, std::string::npos);
    xml.replace(at, 23, "10de-1eb8-nvidia-64-2.1");
    const RunResult r = migrate(xml);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(firstLine(r.err),
              kRefusing + "mdev " + kU1 +
                  " (nvidia-63) on parent 0000:00:02.0: target driver rejected "
                  "the source migration_version (EINVAL: Invalid argument): the source's "
                  "'10de-1eb8-nvidia-64-2.1', this host's '10de-1eb8-nvidia-63-2.1' (evidence: "
                  "protocol; source host 'vm')");
}

TEST_F(HookMatrix, TypeMismatchWritesNothing) {
    ParentDef p;
    p.types.push_back(TypeDef{"nvidia-64"});
    hosts(topology({ParentDef{}}, {{kU1}}), topology({p}, {{kU1, "0000:00:02.0", "nvidia-64"}}));
    const RunResult r = migrate(annotate(domain({kU1})));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(firstLine(r.err), kRefusing + "mdev " + kU1 +
                                    ": type mismatch: the source has 'nvidia-63', this host has "
                                    "'nvidia-64' on parent 0000:00:02.0 (source host 'vm')");
    EXPECT_EQ(target->writes(), "");
}

TEST_F(HookMatrix, AttributeAbsentOnSource) {
    ParentDef absent;
    absent.types[0].migration = "absent";
    hosts(topology({absent}, {{kU1}}), topology({ParentDef{}}, {{kU1}}));
    const std::string xml = annotate(domain({kU1}));
    const auto m = metadataOf(xml);
    ASSERT_TRUE(m && m->entries.size() == 1);
    EXPECT_EQ(m->entries[0].error, "ENOENT");
    EXPECT_FALSE(m->entries[0].fingerprint.facts.empty());
    // Mixed hosts: the protocol cannot tell, the kernel facts decide.
    const RunResult r = migrate(xml);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(target->writes(), "");
}

TEST_F(HookMatrix, AttributeAbsentOnTarget) {
    ParentDef absent;
    absent.types[0].migration = "absent";
    hosts(topology({ParentDef{}}, {{kU1}}), topology({absent}, {{kU1}}));
    const RunResult r = migrate(annotate(domain({kU1})));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(target->writes(), "");
}

TEST_F(HookMatrix, ReadErrnoOnSourceAndOnTarget) {
    ParentDef enodev;
    enodev.types[0].migration = "ENODEV";
    hosts(topology({enodev}, {{kU1}}), topology({ParentDef{}}, {{kU1}}));
    // A failed read on the source is not "unsupported": the facts decide.
    RunResult r = migrate(annotate(domain({kU1})));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    hosts(topology({ParentDef{}}, {{kU1}}), topology({enodev}, {{kU1}}));
    r = migrate(annotate(domain({kU1})));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(firstLine(r.err), kRefusing + "mdev " + kU1 +
                                    " (nvidia-63) on parent 0000:00:02.0: reading this host's "
                                    "migration_version failed (ENODEV: No such device); the "
                                    "driver has the attribute, so this may be transient: retry "
                                    "(evidence: protocol; source host 'vm')");
    EXPECT_EQ(target->writes(), "");
}

TEST_F(HookMatrix, UuidMissingOnTargetReportsParentsAndCapacity) {
    ParentDef ok;
    ok.types[0].available = 0; // compatible, but no room
    ParentDef newer;
    newer.address = "0000:00:03.0";
    newer.version = "2.5";
    newer.types[0].available = 3;
    ParentDef other;
    other.address = "0000:00:04.0";
    other.device = "1eb9";
    hosts(topology({ParentDef{}}, {{kU1}}), topology({ok, newer, other}, {}));
    // Without provisioning (test_hook_provision creates the device).
    writeFile(target->root() / "etc/mdev-migcheck/mdev-migcheck.conf",
              "attr_timeout_ms = 500\ntimeout_ms = 3000\nsyslog = no\nprovision = no\n");
    const RunResult r = migrate(annotate(domain({kU1})));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(firstLine(r.err),
              kRefusing + "mdev " + kU1 +
                  " (nvidia-63): does not exist on this host. "
                  "Parents offering nvidia-63: 0000:00:02.0: compatible (protocol), 0 "
                  "instance(s) available; 0000:00:03.0: compatible (protocol), 3 instance(s) "
                  "available; 0000:00:04.0: rejects the version (EINVAL: Invalid argument), 4 "
                  "instance(s) available; next: create it on a compatible parent with a free "
                  "instance: mdevctl start -u " +
                  kU1 + " -p 0000:00:03.0 --type nvidia-63 (source host 'vm')");
    const std::string w = target->writes();
    EXPECT_EQ(std::count(w.begin(), w.end(), '\n'), 3); // one type-level probe per parent
}

TEST_F(HookMatrix, WriteHangPastTheDeadline) {
    hosts(topology({ParentDef{}}, {{kU1}}), topology({ParentDef{}}, {{kU1}}));
    ASSERT_EQ(target->command("hang-write " + kAttr), 0);
    const RunResult r = migrate(annotate(domain({kU1})));
    EXPECT_TRUE(r.finished);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(firstLine(r.err),
              kRefusing + "mdev " + kU1 +
                  " (nvidia-63) on parent 0000:00:02.0: target driver did not answer the "
                  "migration_version write within 500 ms (timed out) (evidence: protocol; source "
                  "host 'vm')");
    EXPECT_LT(r.eof_after, 2500ms);
    // The killed worker's write was interrupted: it never reached the driver.
    for (int i = 0; i < 100 && target->writes().empty(); ++i) {
        std::this_thread::sleep_for(20ms);
    }
    EXPECT_EQ(target->writes(), "{\"data\":\"10de-1eb8-nvidia-63-2.1\\n\",\"path\":\"" + kAttr +
                                    "\",\"result\":\"EINTR\"}\n");
}

// The check goes on past a late access: the child stuck in the first
// device's write is replaced by one that replays what was done, takes that
// write as timed out and checks the second device, on another parent.
TEST_F(HookMatrix, CheckGoesOnAfterAHungWrite) {
    ParentDef second;
    second.address = "0000:00:03.0";
    const auto both = [&second] {
        return topology({ParentDef{}, second}, {{kU1}, {kU2, "0000:00:03.0"}});
    };
    hosts(both(), both());
    ASSERT_EQ(target->command("hang-write " + kAttr), 0);
    const RunResult r = migrate(annotate(domain({kU1, kU2})));
    EXPECT_TRUE(r.finished);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(firstLine(r.err),
              kRefusing + "mdev " + kU1 +
                  " (nvidia-63) on parent 0000:00:02.0: target driver did not answer the "
                  "migration_version write within 500 ms (timed out) (evidence: protocol; source "
                  "host 'vm')");
    EXPECT_EQ(r.err.find(kU2), std::string::npos) << r.err; // checked, and compatible
    EXPECT_LT(r.eof_after, 2500ms);
    const std::string other = "devices/pci0000:00/0000:00:03.0/mdev_supported_types/nvidia-63/"
                              "migration_version";
    for (int i = 0; i < 100 && target->writes().find("EINTR") == std::string::npos; ++i) {
        std::this_thread::sleep_for(20ms);
    }
    const std::string w = target->writes();
    EXPECT_NE(w.find("\"path\":\"" + kAttr + "\",\"result\":\"EINTR\""), std::string::npos) << w;
    EXPECT_NE(w.find("\"path\":\"" + other + "\""), std::string::npos) << w;
    EXPECT_EQ(std::count(w.begin(), w.end(), '\n'), 2) << w; // neither write made twice
}

TEST_F(HookMatrix, ShortWrite) {
    hosts(topology({ParentDef{}}, {{kU1}}), topology({ParentDef{}}, {{kU1}}));
    ASSERT_EQ(target->command("short-write " + kAttr + " 10"), 0);
    const RunResult r = migrate(annotate(domain({kU1})));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(
        firstLine(r.err),
        kRefusing + "mdev " + kU1 +
            " (nvidia-63) on parent 0000:00:02.0: target driver took only 10 of 24 bytes of the "
            "source migration_version '10de-1eb8-nvidia-63-2.1' (short write) (evidence: "
            "protocol; source host 'vm')");
}

TEST_F(HookMatrix, DeviceVanishingMidCheck) {
    hosts(topology({ParentDef{}}, {{kU1}}), topology({ParentDef{}}, {{kU1}}));
    // Hold the hook's read of the attribute; once it waits there (the device
    // was found), the device vanishes, then the read goes on.
    ASSERT_EQ(target->command("hang-read " + kAttr), 0);
    const std::string xml = annotate(domain({kU1}));
    RunResult r;
    std::thread hook([&] { r = migrate(xml); });
    EXPECT_TRUE(waitUntilHeld());
    ASSERT_EQ(target->command("vanish " + std::string(kU1)), 0);
    ASSERT_EQ(target->command("release all"), 0);
    hook.join();
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(firstLine(r.err), kRefusing + "mdev " + kU1 +
                                    " (nvidia-63) on parent 0000:00:02.0: the device disappeared "
                                    "from this host during the check (source host 'vm')");
    EXPECT_FALSE(std::filesystem::exists(target->sys() / "bus/mdev/devices" / kU1));
}

std::string exeOf(pid_t pid) {
    std::error_code ec;
    return std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec).string();
}

pid_t parentOf(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("PPid:", 0) == 0) {
            return static_cast<pid_t>(std::stoi(line.substr(5)));
        }
    }
    return pid_t{0};
}

// The check child of a hook this test process runs: a process running the
// hook whose parent runs it too and is this process's child (other tests
// may run hooks at the same time).
std::set<pid_t> checkChildren() {
    const std::string hook = std::filesystem::canonical(MDEVMC_HOOK).string();
    std::set<pid_t> out;
    for (const auto& e : std::filesystem::directory_iterator("/proc")) {
        const std::string name = e.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        const auto pid = static_cast<pid_t>(std::stoi(name));
        const pid_t watcher = parentOf(pid);
        if (exeOf(pid) == hook && exeOf(watcher) == hook && parentOf(watcher) == ::getpid()) {
            out.insert(pid);
        }
    }
    return out;
}

// A check child that dies without an answer (killed here while it waits
// in a read) is seen by the watcher at once: the migration is refused,
// saying so, long before any deadline.
TEST_F(HookMatrix, CheckChildKilledWithoutAnAnswer) {
    hosts(topology({ParentDef{}}, {{kU1}}), topology({ParentDef{}}, {{kU1}}));
    writeFile(target->root() / "etc/mdev-migcheck/mdev-migcheck.conf",
              "attr_timeout_ms = 20000\ntimeout_ms = 30000\nsyslog = no\n");
    ASSERT_EQ(target->command("hang-read " + kAttr), 0);
    const std::string xml = annotate(domain({kU1}));
    RunResult r;
    std::thread hook([&] { r = migrate(xml); });
    EXPECT_TRUE(waitUntilHeld());
    const auto children = checkChildren();
    ASSERT_EQ(children.size(), 1U);
    const auto killed = std::chrono::steady_clock::now();
    EXPECT_EQ(::kill(*children.begin(), SIGKILL), 0);
    hook.join();
    const auto answered = std::chrono::steady_clock::now() - killed;
    ASSERT_EQ(target->command("release all"), 0);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(firstLine(r.err),
              kRefusing + "the check ended without an answer (killed by signal 9)");
    EXPECT_LT(answered, 5s); // not the 20 s access deadline
}

// Whether the hook's first check child shares its watcher's memory: in
// every build but those with AddressSanitizer (engine_main.cpp).
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kFirstChildSharesMemory = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kFirstChildSharesMemory = false;
#else
constexpr bool kFirstChildSharesMemory = true;
#endif
#else
constexpr bool kFirstChildSharesMemory = true;
#endif

// Whether processes A and B share their memory (kcmp KCMP_VM); nullopt
// where the kernel has no kcmp.
std::optional<bool> shareMemory(pid_t a, pid_t b) {
    const long r = ::syscall(SYS_kcmp, a, b, KCMP_VM, 0, 0);
    if (r < 0) {
        return std::nullopt;
    }
    return r == 0;
}

// The first check child shares the watcher's memory, which spares the copy
// of its page tables and every page written; the child that replaces it
// after it was killed for a late access is a fork, with memory of its own,
// and the check still goes on to the second device and refuses the first.
TEST_F(HookMatrix, FirstCheckChildSharesMemoryItsReplacementDoesNot) {
    ParentDef second;
    second.address = "0000:00:03.0";
    const auto both = [&second] {
        return topology({ParentDef{}, second}, {{kU1}, {kU2, "0000:00:03.0"}});
    };
    hosts(both(), both());
    writeFile(target->root() / "etc/mdev-migcheck/mdev-migcheck.conf",
              "attr_timeout_ms = 1000\ntimeout_ms = 20000\nsyslog = no\n");
    const std::string other = "devices/pci0000:00/0000:00:03.0/mdev_supported_types/nvidia-63/"
                              "migration_version";
    ASSERT_EQ(target->command("hang-read " + kAttr), 0);
    ASSERT_EQ(target->command("hang-read " + other), 0);
    const std::string xml = annotate(domain({kU1, kU2}));
    RunResult r;
    std::thread hook([&] { r = migrate(xml); });
    EXPECT_TRUE(waitUntilHeld());
    const auto first = checkChildren();
    ASSERT_EQ(first.size(), 1U);
    const pid_t watcher = parentOf(*first.begin());
    const auto shared = shareMemory(watcher, *first.begin());
    if (!shared) {
        (void)target->command("release all");
        hook.join();
        GTEST_SKIP() << "kcmp is not available in this kernel (" << std::strerror(errno) << ")";
    }
    EXPECT_EQ(*shared, kFirstChildSharesMemory);
    // Killed after 1 s in the first read; its replacement waits in the second.
    std::set<pid_t> next;
    for (int i = 0; i < 500 && next.empty(); ++i) {
        std::this_thread::sleep_for(10ms);
        next = checkChildren();
        for (const pid_t pid : first) {
            next.erase(pid);
        }
    }
    ASSERT_EQ(next.size(), 1U);
    EXPECT_TRUE(waitUntilHeld());
    EXPECT_EQ(shareMemory(watcher, *next.begin()), std::optional<bool>(false));
    ASSERT_EQ(target->command("release all"), 0);
    hook.join();
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(firstLine(r.err).rfind(kRefusing + "mdev " + kU1 + " (nvidia-63)", 0), 0U) << r.err;
    EXPECT_NE(firstLine(r.err).find("timed out"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find(kU2), std::string::npos) << r.err; // checked, and compatible
}

TEST_F(HookMatrix, NoRecordedSourceVersion) {
    hosts(topology({ParentDef{}}, {{kU1}}), topology({ParentDef{}}, {{kU1}}));
    // Accepted at migrate begin (it may be offline), refused at prepare
    // begin, which only a live migration reaches.
    const RunResult m = migrate(domain({kU1}));
    EXPECT_EQ(m.exit_code, 0) << m.err;
    EXPECT_EQ(m.out, "");
    const RunResult r = runProgram(
        {MDEVMC_HOOK, "vgpu", "prepare", "begin", "-"},
        libvirtEnvironment({"MDEV_MIGCHECK_ROOT=" + target->root().string()}), domain({kU1}));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(firstLine(r.err), kRefusing + "mdev " + kU1 +
                                    ": the source host recorded nothing for it: if the VM has "
                                    "just started there, retry in a moment; if it has run there "
                                    "since before mdev-migcheck was installed, record it with "
                                    "annotate; next: on the source host: mdev-migcheck annotate "
                                    "vgpu");
    EXPECT_EQ(target->writes(), "");
}

TEST_F(HookMatrix, TwoDevicesOneBadBothReported) {
    ParentDef src;
    src.types.push_back(TypeDef{"nvidia-64"});
    ParentDef dst = src;
    dst.types[1].migration = "EIO";
    hosts(topology({src}, {{kU1}, {kU2, "0000:00:02.0", "nvidia-64"}}),
          topology({dst}, {{kU1}, {kU2, "0000:00:02.0", "nvidia-64"}}));
    const RunResult r = migrate(annotate(domain({kU1, kU2})));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(firstLine(r.err), kRefusing + "mdev " + kU2 +
                                    " (nvidia-64) on parent 0000:00:02.0: reading this host's "
                                    "migration_version failed (EIO: Input/output error); the "
                                    "driver has the attribute, so this may be transient: retry "
                                    "(evidence: protocol; source host 'vm')");
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1); // only the failing one
    // The compatible device was probed, the failing one could not be.
    EXPECT_NE(target->writes().find("10de-1eb8-nvidia-63-2.1"), std::string::npos);
}

// The simulator stops while the hook's lookup of the device waits in it:
// the lookup never returns, not even to a signal.  The hook's own process
// touches no path beneath the root, so it still refuses within its budget
// and closes libvirt's pipes; only its abandoned worker stays behind.
TEST_F(HookMatrix, SimulatorStoppedDuringALookup) {
    hosts(topology({ParentDef{}}, {{kU1}}), topology({ParentDef{}}, {{kU1}}));
    const std::string xml = annotate(domain({kU1}));
    ASSERT_EQ(target->command("hang-lookup bus/mdev/devices/" + std::string(kU1)), 0);
    RunResult r;
    std::thread hook([&] { r = migrate(xml); });
    EXPECT_TRUE(waitUntilHeld());
    ASSERT_EQ(::kill(target->pid(), SIGSTOP), 0);
    hook.join();
    ASSERT_EQ(::kill(target->pid(), SIGCONT), 0);
    EXPECT_TRUE(r.finished);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(firstLine(r.err).rfind(kRefusing + "mdev " + kU1 + " (nvidia-63): ", 0), 0U);
    EXPECT_NE(firstLine(r.err).find("resolve '" + target->sys().string() + "/bus/mdev/devices/" +
                                    kU1 + "' timed out"),
              std::string::npos)
        << r.err;
    EXPECT_LT(r.eof_after, 2500ms); // attr_timeout_ms = 500, timeout_ms = 3000
}

// A lookup that ignores signals for a while (the simulator's stall) is
// bounded the same way.
TEST_F(HookMatrix, StalledLookupIsBounded) {
    hosts(topology({ParentDef{}}, {{kU1}}), topology({ParentDef{}}, {{kU1}}));
    const std::string xml = annotate(domain({kU1}));
    ASSERT_EQ(target->command("stall bus/mdev/devices/" + std::string(kU1) + " 4000"), 0);
    const RunResult r = migrate(xml);
    EXPECT_TRUE(r.finished);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("' timed out"), std::string::npos) << r.err;
    EXPECT_LT(r.eof_after, 2500ms);
}

// The configuration on a hung mount: read by the worker, bounded by the
// default attribute deadline, and an error (never the defaults).
TEST_F(HookMatrix, ConfigurationOnAHungMountIsBounded) {
    hosts(topology({ParentDef{}}, {{kU1}}), topology({ParentDef{}}, {{kU1}}));
    const std::string xml = annotate(domain({kU1}));
    ASSERT_EQ(target->command("stall class/mdev_bus/x.conf 6000"), 0);
    const std::string conf = (target->sys() / "class/mdev_bus/x.conf").string();
    const RunResult r =
        runProgram({MDEVMC_HOOK, "vgpu", "migrate", "begin", "-"},
                   libvirtEnvironment({"MDEV_MIGCHECK_ROOT=" + target->root().string(),
                                       "MDEV_MIGCHECK_CONFIG=" + conf}),
                   xml);
    EXPECT_TRUE(r.finished);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(firstLine(r.err),
              kRefusing + "cannot read configuration file '" + conf + "' (timed out)");
    EXPECT_LT(r.eof_after, 4000ms); // the default attr_timeout_ms is 2000
}

// Slow reads that fit the budget: accepted, and nothing handed back (the
// recorder makes this host's record after the start).
TEST_F(HookMatrix, SlowReadsThatFitTheBudgetAreAccepted) {
    const std::vector<std::string> uuids{kU1, kU2, "11111111-2222-4333-8444-555555555555",
                                         "66666666-7777-4888-8999-aaaaaaaaaaaa"};
    std::vector<DevDef> devs;
    for (const auto& u : uuids) {
        devs.push_back(DevDef{u});
    }
    hosts(topology({ParentDef{}}, devs), topology({ParentDef{}}, devs));
    const std::string xml = annotate(domain(uuids));
    ASSERT_EQ(target->command("delay-read " + kAttr + " 300"), 0);
    const RunResult r = migrate(xml);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "");
}

namespace {

// DOMAIN with each hostdev at a guest PCI address (slot 5, 6, ...).
std::string domainAt(const std::vector<std::string>& uuids) {
    std::string x = domain(uuids);
    int slot = 5;
    for (std::size_t at = x.find("</source>"); at != std::string::npos;
         at = x.find("</source>", at + 1)) {
        const std::string addr = "<address type='pci' domain='0x0000' bus='0x00' slot='0x0" +
                                 std::to_string(slot++) + "' function='0x0'/>";
        x.insert(at + 9, addr);
    }
    return x;
}

// XML with the hostdev source's UUID FROM replaced by TO (the record keeps
// FROM), as `virsh migrate --xml` or a hook rewrites it.
std::string rewriteUuid(std::string xml, const std::string& from, const std::string& to) {
    for (const char* q : {"'", "\""}) {
        const std::string key = "<address uuid=" + (q + from + q) + "/>";
        if (const auto at = xml.find(key); at != std::string::npos) {
            return xml.replace(at, key.size(), "<address uuid=" + (q + to + q) + "/>");
        }
    }
    ADD_FAILURE() << "no hostdev " << from << " in " << xml;
    return xml;
}

} // namespace

TEST_F(HookMatrix, RewrittenUuidIsMatchedByGuestAddress) {
    hosts(topology({ParentDef{}}, {{kU1}, {kU2}}), topology({ParentDef{}}, {{kU2}}));
    const std::string recorded = annotate(domainAt({kU1}));
    ASSERT_NE(recorded.find("address=\"0000:00:05.0\""), std::string::npos) << recorded;
    const RunResult r = migrate(rewriteUuid(recorded, kU1, kU2));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(target->writes(), "{\"data\":\"10de-1eb8-nvidia-63-2.1\\n\",\"path\":\"" + kAttr +
                                    "\",\"result\":24}\n");
    // The operator's view: how the record was matched.
    const RunResult c =
        runProgram({MDEVMC_CLI, "check", "--xml", "-", "--json"},
                   libvirtEnvironment({"MDEV_MIGCHECK_ROOT=" + target->root().string()}),
                   rewriteUuid(recorded, kU1, kU2));
    ASSERT_EQ(c.exit_code, 0) << c.err;
    EXPECT_NE(
        c.out.find("\"matched_by\":\"guest-address\",\"source_uuid\":\"" + std::string(kU1) + "\""),
        std::string::npos)
        << c.out;
    EXPECT_NE(c.out.find("matched by guest address 0000:00:05.0 to the source's record of mdev " +
                         std::string(kU1)),
              std::string::npos)
        << c.out;
}

TEST_F(HookMatrix, RewrittenUuidsThatCannotBeToldApartAreRefused) {
    // Two hostdevs of one type, both rewritten, and their addresses
    // dropped: either record could be either device.
    hosts(topology({ParentDef{}}, {{kU1}, {kU2}}),
          topology({ParentDef{}}, {{"11111111-2222-4333-8444-555555555555"},
                                   {"66666666-7777-4888-8999-aaaaaaaaaaaa"}}));
    std::string xml = annotate(domain({kU1, kU2}));
    xml = rewriteUuid(xml, kU1, "11111111-2222-4333-8444-555555555555");
    xml = rewriteUuid(xml, kU2, "66666666-7777-4888-8999-aaaaaaaaaaaa");
    const RunResult r = migrate(xml);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(firstLine(r.err),
              kRefusing +
                  "mdev 11111111-2222-4333-8444-555555555555: the source host recorded no mdev "
                  "with this UUID, and 2 of the source's records left unmatched could be it, and "
                  "nothing tells them apart (mdev " +
                  kU1 + " (type nvidia-63); mdev " + kU2 +
                  " (type nvidia-63)); next: keep the hostdev's UUID, or its guest PCI address "
                  "(<address type='pci'>), as on the source, so that its record can be matched "
                  "(source host 'vm')");
    EXPECT_EQ(r.err.find("annotate"), std::string::npos);
    EXPECT_EQ(target->writes(), "");
}
