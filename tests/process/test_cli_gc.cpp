// mdev-migcheck gc against libvirt's test driver (a node XML written by
// each test) and a simulated host (mdev-simfs): it removes what the hook
// created for a domain that is gone, keeps what a running or defined domain
// has, skips a corrupt journal entry with a message, counts a device
// already gone as removed, and never removes a device it did not create.
#include "check/created.hpp"
#include "sim_mount.hpp"

#include <ctime>
#include <gtest/gtest.h>
#include <sys/stat.h>

using namespace mdevmc;
using namespace mdevmc::test;

namespace {

constexpr const char* kParent = "0000:00:02.0";
// The domains of the test driver's node.
constexpr const char* kRunningDom = "6695eb01-f6a4-8304-79aa-97f2502e1a01";
constexpr const char* kDefinedDom = "6695eb01-f6a4-8304-79aa-97f2502e1a02";
constexpr const char* kUserDom = "6695eb01-f6a4-8304-79aa-97f2502e1a03";
constexpr const char* kGoneDom = "6695eb01-f6a4-8304-79aa-97f2502e1a04";
// The mdevs.
constexpr const char* kForGone = "c2177883-f1bb-47f0-914d-000000000001";
constexpr const char* kForRunning = "c2177883-f1bb-47f0-914d-000000000002";
constexpr const char* kForDefined = "c2177883-f1bb-47f0-914d-000000000003";
constexpr const char* kAlreadyGone = "c2177883-f1bb-47f0-914d-000000000004";
constexpr const char* kReplaced = "c2177883-f1bb-47f0-914d-000000000005";
constexpr const char* kNotJournalled = "c2177883-f1bb-47f0-914d-000000000006";
constexpr const char* kInUse = "c2177883-f1bb-47f0-914d-000000000007";
constexpr const char* kCorrupt = "c2177883-f1bb-47f0-914d-000000000008";

std::string hostdev(const std::string& uuid) {
    return "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='" + uuid +
           "'/></source></hostdev>";
}

std::string testDomain(const std::string& name, const std::string& uuid, const std::string& devs,
                       const std::string& runstate) {
    return "<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'><name>" +
           name + "</name><uuid>" + uuid +
           "</uuid><memory>1048576</memory><vcpu>1</vcpu><os><type>hvm</type></os><devices>" +
           devs + "</devices><test:runstate>" + runstate + "</test:runstate></domain>";
}

class CliGc : public ::testing::Test {
protected:
    void SetUp() override {
        if (const std::string why = fuseUnavailable(); !why.empty()) {
            GTEST_SKIP() << why;
        }
        const std::string dev = "\", \"parent\": \"0000:00:02.0\", \"type\": \"nvidia-63\"}";
        host = std::make_unique<SimHost>(
            MDEVMC_SIMFS,
            std::string("{\"parents\": [{\"address\": \"0000:00:02.0\", \"vendor\": \"10de\", "
                        "\"device\": \"1eb8\", \"software_version\": \"2.1\", \"types\": [{\"id\": "
                        "\"nvidia-63\", "
                        "\"available_instances\": 16}, {\"id\": \"nvidia-64\", "
                        "\"available_instances\": 16}]}], \"devices\": [") +
                "{\"uuid\": \"" + kForGone + dev + ", {\"uuid\": \"" + kForRunning + dev +
                ", {\"uuid\": \"" + kForDefined + dev + ", {\"uuid\": \"" + kNotJournalled + dev +
                ", {\"uuid\": \"" + kInUse + dev + ", {\"uuid\": \"" + kReplaced +
                "\", \"parent\": \"0000:00:02.0\", \"type\": \"nvidia-64\"}]}");
        writeFile(host->root() / "etc/mdev-migcheck/mdev-migcheck.conf",
                  "attr_timeout_ms = 1000\nsyslog = no\n");
        writeFile(node(), "<node>" + testDomain("running", kRunningDom, hostdev(kForRunning), "1") +
                              testDomain("defined", kDefinedDom, "", "5") +
                              testDomain("user", kUserDom, hostdev(kInUse), "1") + "</node>\n");
        // A fake mdevctl that logs its arguments and MDEVCTL_ENV_ROOT.
        std::filesystem::create_directories(bin());
        writeFile(bin() / "mdevctl", "#!/bin/sh\necho \"$MDEVCTL_ENV_ROOT $*\" >>'" +
                                         (host->root() / "mdevctl.log").string() + "'\n");
        ::chmod((bin() / "mdevctl").c_str(), 0755);
    }
    std::filesystem::path node() const { return host->root() / "node.xml"; }
    std::filesystem::path bin() const { return host->root() / "bin"; }
    CreatedJournal journal() const {
        return CreatedJournal((host->root() / "run/mdev-migcheck").string());
    }
    void journalled(const std::string& mdev, const std::string& domain_uuid,
                    const std::string& type = "nvidia-63", std::int64_t age = 1000) {
        CreatedEntry e;
        e.mdev = mdev;
        e.parent = kParent;
        e.type = type;
        e.domain = "vm " + domain_uuid.substr(domain_uuid.size() - 2);
        e.domain_uuid = domain_uuid;
        e.time = static_cast<std::int64_t>(::time(nullptr)) - age;
        ASSERT_TRUE(journal().write(e));
    }
    RunResult gc(const std::vector<std::string>& extra = {}) {
        std::vector<std::string> argv{MDEVMC_CLI, "gc", "--connect=test://" + node().string()};
        argv.insert(argv.end(), extra.begin(), extra.end());
        return runProgram(argv,
                          {"LC_ALL=C", "PATH=" + bin().string() + ":/usr/bin:/bin", "HOME=/root",
                           "MDEV_MIGCHECK_ROOT=" + host->root().string()},
                          "");
    }
    bool exists(const std::string& uuid) const {
        return std::filesystem::exists(host->sys() / "bus/mdev/devices" / uuid);
    }
    bool hasEntry(const std::string& uuid) const {
        return std::filesystem::exists(host->root() / "run/mdev-migcheck/created" / uuid);
    }
    std::unique_ptr<SimHost> host;
};

TEST_F(CliGc, RemovesOnlyWhatItCreatedForDomainsNoLongerHere) {
    journalled(kForGone, kGoneDom);
    journalled(kForRunning, kRunningDom);
    journalled(kForDefined, kDefinedDom);
    journalled(kAlreadyGone, kGoneDom);
    journalled(kReplaced, kGoneDom); // created as nvidia-63; an nvidia-64 holds it now
    journalled(kInUse, kGoneDom);    // the domain "user" runs with it
    const std::string corrupt = (host->root() / "run/mdev-migcheck/created" / kCorrupt).string();
    writeFile(corrupt, std::string("format=1\nmdev=../../../sys/bus/mdev/devices/") + kForRunning +
                           "\nparent=0000:00:02.0\n");

    const RunResult r = gc();
    EXPECT_EQ(r.exit_code, 1) << r.err; // the corrupt entry
    EXPECT_EQ(r.err, "mdev-migcheck gc: skipping journal entry '" + corrupt +
                         "': line 2: mdev '../../../sys/bus/mdev/devices/" + kForRunning +
                         "' is not a UUID\n");
    const std::string sub = " (nvidia-63) on parent 0000:00:02.0, created for domain 'vm ";
    EXPECT_EQ(r.out,
              std::string("mdev ") + kForGone + sub + "04': removed (domain " + kGoneDom +
                  " is gone)\n" + "mdev " + kForRunning + sub +
                  "01': kept: domain 'running' is running and defined here\n" + "mdev " +
                  kForRunning + sub + "01': defined with mdevctl (auto start)\n" + "mdev " +
                  kForDefined + sub + "02': kept: domain 'defined' is defined here\n" + "mdev " +
                  kForDefined + sub + "02': defined with mdevctl (auto start)\n" + "mdev " +
                  kAlreadyGone + sub + "04': already gone, counted as removed (domain " + kGoneDom +
                  " is gone)\n" + "mdev " + kReplaced + sub +
                  "04': not removed: the device now under its UUID is of type 'nvidia-64' on "
                  "parent '0000:00:02.0', not the one created; journal entry dropped\n" +
                  "mdev " + kInUse + sub + "04': kept: a running domain uses it\n");
    EXPECT_FALSE(exists(kForGone));
    EXPECT_FALSE(hasEntry(kForGone));
    EXPECT_TRUE(exists(kForRunning));
    EXPECT_TRUE(hasEntry(kForRunning));
    EXPECT_TRUE(exists(kForDefined));
    auto defined = journal().find(kForDefined);
    ASSERT_TRUE(defined && *defined);
    EXPECT_TRUE((*defined)->mdevctl_defined);
    // Both kept devices of defined domains are defined with mdevctl, beneath
    // the root (MDEVCTL_ENV_ROOT).
    const std::string define = host->root().string() + " define --uuid ";
    const std::string rest = " --parent 0000:00:02.0 --type nvidia-63 --auto\n";
    const std::string mdevctl_log = define + kForRunning + rest + define + kForDefined + rest;
    EXPECT_EQ(readFile(host->root() / "mdevctl.log"), mdevctl_log);
    EXPECT_FALSE(hasEntry(kAlreadyGone));
    EXPECT_TRUE(exists(kReplaced)); // not ours: never removed
    EXPECT_FALSE(hasEntry(kReplaced));
    EXPECT_TRUE(exists(kInUse));
    EXPECT_TRUE(hasEntry(kInUse));
    EXPECT_TRUE(exists(kNotJournalled));
    EXPECT_TRUE(std::filesystem::exists(corrupt)); // reported, never acted on
    // Only the one device was removed.
    const std::string w = host->writes();
    EXPECT_EQ(w, std::string("{\"data\":\"1\",\"path\":\"devices/pci0000:00/0000:00:02.0/") +
                     kForGone + "/remove\",\"result\":1}\n");

    // A second run: the defined device is not defined again.
    const RunResult again = gc();
    EXPECT_EQ(again.out.find("defined with mdevctl"), std::string::npos) << again.out;
    EXPECT_EQ(readFile(host->root() / "mdevctl.log"), mdevctl_log);
}

TEST_F(CliGc, ARecentEntryWaitsUnlessItsDomainWasReleased) {
    journalled(kForGone, kGoneDom, "nvidia-63", 5);
    RunResult r = gc();
    EXPECT_EQ(r.exit_code, 0) << r.err;
    // 5 s, or 6 when a second turned between the entry and the gc.
    EXPECT_TRUE(
        r.out.find("kept: created 5 s ago, its domain may still be arriving (--grace 120)") !=
            std::string::npos ||
        r.out.find("kept: created 6 s ago, its domain may still be arriving (--grace 120)") !=
            std::string::npos)
        << r.out;
    EXPECT_TRUE(exists(kForGone));
    r = gc({"--domain", kGoneDom});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find(": removed (domain "), std::string::npos) << r.out;
    EXPECT_FALSE(exists(kForGone));
    EXPECT_FALSE(hasEntry(kForGone));
}

TEST_F(CliGc, AnEmptyJournalAsksNothing) {
    // No journal at all: not even the connection is opened.
    const RunResult r = runProgram(
        {MDEVMC_CLI, "gc", "--connect=test:///nonexistent/node.xml"},
        {"LC_ALL=C", "PATH=/usr/bin:/bin", "MDEV_MIGCHECK_ROOT=" + host->root().string()}, "");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "");
}

TEST_F(CliGc, BadOptionsAreUsageErrors) {
    RunResult r = gc({"--domain", "nope"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "mdev-migcheck gc: --domain 'nope' is not a UUID\n");
    r = gc({"--grace", "-1"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "mdev-migcheck gc: --grace '-1' is not a number of seconds (0 to 31536000)\n");
}

TEST_F(CliGc, WhatTheHookCreatedIsRemovedOnceItsDomainIsGone) {
    // A source host records vm9's device; the hook, run as libvirt runs it
    // on this host, creates it; vm9 never shows up here (its migration
    // failed), and the gc started at its release end removes the device.
    const std::string u = "c2177883-f1bb-47f0-914d-000000000009";
    const std::string vm9 = "6695eb01-f6a4-8304-79aa-97f2502e1a09";
    const SimHost source(
        MDEVMC_SIMFS,
        std::string(
            "{\"parents\": [{\"address\": \"0000:00:02.0\", "
            "\"vendor\": \"10de\", \"device\": \"1eb8\", \"software_version\": \"2.1\", \"types\": "
            "[{\"id\": \"nvidia-63\"}]}], \"devices\": [{\"uuid\": \"") +
            u + "\", \"parent\": \"0000:00:02.0\", \"type\": \"nvidia-63\"}]}");
    const std::string xml = std::string("<domain type='kvm'><name>vm9</name><uuid>") + vm9 +
                            "</uuid><devices>" + hostdev(u) + "</devices></domain>";
    RunResult r =
        runProgram({MDEVMC_CLI, "annotate", "--xml", "-"},
                   libvirtEnvironment({"MDEV_MIGCHECK_ROOT=" + source.root().string()}), xml);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = runProgram({MDEVMC_HOOK, "vm9", "migrate", "begin", "-"},
                   libvirtEnvironment({"MDEV_MIGCHECK_ROOT=" + host->root().string()}), r.out);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(exists(u));
    EXPECT_TRUE(hasEntry(u));
    r = gc({"--domain=" + vm9});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "mdev " + u +
                         " (nvidia-63) on parent 0000:00:02.0, created for domain 'vm9': removed "
                         "(domain " +
                         vm9 + " is gone)\n");
    EXPECT_FALSE(exists(u));
    EXPECT_FALSE(hasEntry(u));
}

} // namespace
