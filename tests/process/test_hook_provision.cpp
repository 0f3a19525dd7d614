// Provisioning at migrate begin, on simulated hosts (mdev-simfs): the
// source records its devices with `mdev-migcheck annotate`, the
// destination's hook, run as libvirt runs it, creates a missing device with
// the same UUID on a parent that fits, journals it under the run directory
// (ROOT/run/mdev-migcheck) and checks it as an existing one; or refuses,
// naming each parent and why.
#include "check/created.hpp"
#include "sim_mount.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <thread>

using namespace mdevmc;
using namespace mdevmc::test;

namespace {

const std::string kType = "nvidia-63";

std::string uuidOf(int n) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "c2177883-f1bb-47f0-914d-%012d", n);
    return buf;
}

std::string domainUuidOf(int n) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "3e1e7d8c-1b4a-4f63-9a43-%012d", n);
    return buf;
}

struct Parent {
    std::string address;
    int available = 4;
    std::string device = "1eb8"; // another id: the driver rejects the version
};

std::string topology(const std::vector<Parent>& parents,
                     const std::vector<std::pair<std::string, std::string>>& devices) {
    std::string j = "{\"parents\": [";
    int base = 10;
    for (std::size_t i = 0; i < parents.size(); ++i) {
        const auto& p = parents[i];
        j += (i ? "," : "") + std::string("{\"address\": \"") + p.address +
             "\", \"vendor\": \"10de\", \"device\": \"" + p.device +
             "\", \"software_version\": \"2.1\", \"iommu_group_base\": " + std::to_string(base) +
             ", \"types\": [{\"id\": \"" + kType +
             "\", \"migration\": \"supported\", \"available_instances\": " +
             std::to_string(p.available) + "}]}";
        base += 20;
    }
    j += "], \"devices\": [";
    for (std::size_t i = 0; i < devices.size(); ++i) {
        j += (i ? "," : "") + std::string("{\"uuid\": \"") + devices[i].first +
             "\", \"parent\": \"" + devices[i].second + "\", \"type\": \"" + kType + "\"}";
    }
    return j + "]}";
}

std::string domainXml(const std::string& name, const std::string& uuid,
                      const std::vector<std::string>& mdevs) {
    std::string x = "<domain type='kvm'>\n  <name>" + name + "</name>\n  <uuid>" + uuid +
                    "</uuid>\n  <devices>\n";
    for (const auto& u : mdevs) {
        x += "    <hostdev mode='subsystem' type='mdev' model='vfio-pci'>\n"
             "      <source><address uuid='" +
             u + "'/></source>\n    </hostdev>\n";
    }
    return x + "  </devices>\n</domain>\n";
}

std::string firstLine(const std::string& s) {
    return s.substr(0, s.find('\n'));
}

class HookProvision : public ::testing::Test {
protected:
    void SetUp() override {
        if (const std::string why = fuseUnavailable(); !why.empty()) {
            GTEST_SKIP() << why;
        }
    }
    // The source holds every device of MDEVS on parent 0000:00:02.0.
    void hosts(const std::vector<std::string>& mdevs, const std::vector<Parent>& target_parents,
               const std::string& extra_config = "") {
        std::vector<std::pair<std::string, std::string>> devs;
        for (const auto& u : mdevs) {
            devs.emplace_back(u, "0000:00:02.0");
        }
        source = std::make_unique<SimHost>(MDEVMC_SIMFS, topology({{"0000:00:02.0", 16}}, devs));
        target = std::make_unique<SimHost>(MDEVMC_SIMFS, topology(target_parents, {}));
        writeFile(target->root() / "etc/mdev-migcheck/mdev-migcheck.conf",
                  "attr_timeout_ms = 1000\ntimeout_ms = 8000\nsyslog = no\n" + extra_config);
    }
    std::string annotate(const std::string& xml) {
        const RunResult r =
            runProgram({MDEVMC_CLI, "annotate", "--xml", "-"},
                       libvirtEnvironment({"MDEV_MIGCHECK_ROOT=" + source->root().string()}), xml);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return r.out;
    }
    RunResult migrate(const std::string& name, const std::string& xml) {
        return runProgram({MDEVMC_HOOK, name, "migrate", "begin", "-"},
                          libvirtEnvironment({"MDEV_MIGCHECK_ROOT=" + target->root().string()}),
                          xml);
    }
    bool existsOnTarget(const std::string& uuid) const {
        return std::filesystem::exists(target->sys() / "bus/mdev/devices" / uuid);
    }
    std::string parentOnTarget(const std::string& uuid) const {
        const auto link = target->sys() / "bus/mdev/devices" / uuid;
        return std::filesystem::canonical(link).parent_path().filename().string();
    }
    long available(const std::string& parent) const {
        return std::stol(readFile(target->sys() / "class/mdev_bus" / parent /
                                  "mdev_supported_types" / kType / "available_instances"));
    }
    CreatedJournal journal() const {
        return CreatedJournal((target->root() / "run/mdev-migcheck").string());
    }
    std::vector<CreatedEntry> entries() const {
        std::vector<CreatedEntry> out;
        auto list = journal().list();
        EXPECT_TRUE(list) << list.error().message;
        for (const auto& rec : *list) {
            EXPECT_TRUE(rec.entry) << rec.path << ": " << rec.entry.error().message;
            if (rec.entry) {
                out.push_back(*rec.entry);
            }
        }
        return out;
    }
    std::unique_ptr<SimHost> source, target;
};

const std::string kRefusing = "mdev-migcheck: refusing migration of vm1: ";

TEST_F(HookProvision, OneParentCreatesTheSameUuidAndJournalsIt) {
    const std::string u = uuidOf(1);
    hosts({u}, {{"0000:00:02.0", 2}});
    const std::string xml = annotate(domainXml("vm1", domainUuidOf(1), {u}));
    const auto before = ::time(nullptr);
    const RunResult r = migrate("vm1", xml);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_TRUE(existsOnTarget(u));
    EXPECT_EQ(parentOnTarget(u), "0000:00:02.0");
    EXPECT_EQ(available("0000:00:02.0"), 1);
    // The create, then the usual check of the device (its type's probe).
    const std::string w = target->writes();
    EXPECT_NE(w.find("\"data\":\"" + u +
                     "\",\"path\":\"devices/pci0000:00/0000:00:02.0/"
                     "mdev_supported_types/nvidia-63/create\",\"result\":36"),
              std::string::npos)
        << w;
    // Accepted without XML on stdout (libvirt would taint the domain): this
    // host's record comes from the recorder once the VM runs here.
    EXPECT_EQ(r.out, "");
    const auto e = entries();
    ASSERT_EQ(e.size(), 1U);
    EXPECT_EQ(e[0].mdev, u);
    EXPECT_EQ(e[0].parent, "0000:00:02.0");
    EXPECT_EQ(e[0].type, kType);
    EXPECT_EQ(e[0].domain, "vm1");
    EXPECT_EQ(e[0].domain_uuid, domainUuidOf(1));
    EXPECT_GE(e[0].time, before);
    EXPECT_LE(e[0].time, ::time(nullptr));
    EXPECT_FALSE(e[0].mdevctl_defined);
    // The source's device is only read.
    EXPECT_EQ(source->writes(), "");
}

TEST_F(HookProvision, SourcesParentAddressIsPreferredThenNameOrder) {
    const std::string u = uuidOf(1);
    // 0000:00:01.0 comes first in name order, but the source's parent is
    // 0000:00:02.0.
    hosts({u}, {{"0000:00:01.0", 2}, {"0000:00:02.0", 2}, {"0000:00:03.0", 2}});
    const std::string xml = annotate(domainXml("vm1", domainUuidOf(1), {u}));
    RunResult r = migrate("vm1", xml);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(parentOnTarget(u), "0000:00:02.0");

    // Without room on the source's parent: the first in name order.
    hosts({u}, {{"0000:00:03.0", 2}, {"0000:00:02.0", 0}, {"0000:00:01.0", 2}});
    r = migrate("vm1", annotate(domainXml("vm1", domainUuidOf(1), {u})));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(parentOnTarget(u), "0000:00:01.0");
    const auto e = entries();
    ASSERT_EQ(e.size(), 1U);
    EXPECT_EQ(e[0].parent, "0000:00:01.0");
}

TEST_F(HookProvision, NoCapacityIsRefusedNamingEachParentAndTheCommand) {
    const std::string u = uuidOf(1);
    hosts({u}, {{"0000:00:02.0", 0}, {"0000:00:03.0", 0}});
    const RunResult r = migrate("vm1", annotate(domainXml("vm1", domainUuidOf(1), {u})));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(firstLine(r.err),
              kRefusing + "mdev " + u +
                  " (nvidia-63): does not exist on this host. Parents offering nvidia-63: "
                  "0000:00:02.0: compatible (protocol), 0 instance(s) available; 0000:00:03.0: "
                  "compatible (protocol), 0 instance(s) available; creating it here failed: "
                  "0000:00:02.0: no instance left; 0000:00:03.0: no instance left; next: no "
                  "compatible parent has a free instance of nvidia-63; 0000:00:02.0 would take "
                  "it once one is freed (its devices: mdevctl list -p 0000:00:02.0), then: "
                  "mdevctl start -u " +
                  u + " -p 0000:00:02.0 --type nvidia-63 (source host 'vm')");
    EXPECT_FALSE(existsOnTarget(u));
    EXPECT_TRUE(entries().empty());
    EXPECT_EQ(target->writes().find("/create"), std::string::npos);
}

TEST_F(HookProvision, IncompatibleParentsCreateNothing) {
    const std::string u = uuidOf(1);
    hosts({u}, {{"0000:00:02.0", 4, "1eb9"}, {"0000:00:03.0", 4, "1eb9"}});
    const RunResult r = migrate("vm1", annotate(domainXml("vm1", domainUuidOf(1), {u})));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(firstLine(r.err),
              kRefusing + "mdev " + u +
                  " (nvidia-63): does not exist on this host; no parent here is compatible. "
                  "Parents offering nvidia-63: 0000:00:02.0: rejects the version (EINVAL: "
                  "Invalid argument), 4 instance(s) available; 0000:00:03.0: rejects the "
                  "version (EINVAL: Invalid argument), 4 instance(s) available (source host "
                  "'vm')");
    EXPECT_FALSE(existsOnTarget(u));
    EXPECT_TRUE(entries().empty());
    EXPECT_EQ(target->writes().find("/create"), std::string::npos);
}

TEST_F(HookProvision, ProvisionNoRefusesWithTheCommand) {
    const std::string u = uuidOf(1);
    hosts({u}, {{"0000:00:02.0", 2}}, "provision = no\n");
    const RunResult r = migrate("vm1", annotate(domainXml("vm1", domainUuidOf(1), {u})));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(firstLine(r.err),
              kRefusing + "mdev " + u +
                  " (nvidia-63): does not exist on this host. Parents offering nvidia-63: "
                  "0000:00:02.0: compatible (protocol), 2 instance(s) available; next: create it "
                  "on a compatible parent with a free instance: mdevctl start -u " +
                  u + " -p 0000:00:02.0 --type nvidia-63 (source host 'vm')");
    EXPECT_FALSE(existsOnTarget(u));
    EXPECT_FALSE(std::filesystem::exists(target->root() / "run/mdev-migcheck"));
}

TEST_F(HookProvision, RefusalAfterCreatingRemovesWhatWasCreated) {
    // Two missing devices, room for one: the first is created, the second
    // cannot be, so the hook refuses and removes the first again.
    const std::string u1 = uuidOf(1);
    const std::string u2 = uuidOf(2);
    hosts({u1, u2}, {{"0000:00:02.0", 1}});
    const RunResult r = migrate("vm1", annotate(domainXml("vm1", domainUuidOf(1), {u1, u2})));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("mdev " + u2 + " (nvidia-63): does not exist on this host"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("creating it here failed: 0000:00:02.0: no instance left"),
              std::string::npos)
        << r.err;
    EXPECT_FALSE(existsOnTarget(u1));
    EXPECT_FALSE(existsOnTarget(u2));
    EXPECT_EQ(available("0000:00:02.0"), 1);
    EXPECT_TRUE(entries().empty());
    const std::string w = target->writes();
    EXPECT_NE(w.find("\"path\":\"devices/pci0000:00/0000:00:02.0/" + u1 + "/remove\""),
              std::string::npos)
        << w;
}

TEST_F(HookProvision, EightAtOnceForThreeInstances) {
    constexpr int kRuns = 8;
    constexpr int kInstances = 3;
    std::vector<std::string> mdevs;
    for (int i = 1; i <= kRuns; ++i) {
        mdevs.push_back(uuidOf(i));
    }
    hosts(mdevs, {{"0000:00:02.0", kInstances}});
    std::vector<std::string> xmls;
    for (int i = 1; i <= kRuns; ++i) {
        xmls.push_back(annotate(domainXml("vm" + std::to_string(i), domainUuidOf(i),
                                          {mdevs[static_cast<std::size_t>(i - 1)]})));
    }
    std::vector<RunResult> results(kRuns);
    std::vector<std::thread> threads;
    for (int i = 0; i < kRuns; ++i) {
        threads.emplace_back([&, i] {
            results[static_cast<std::size_t>(i)] =
                migrate("vm" + std::to_string(i + 1), xmls[static_cast<std::size_t>(i)]);
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    std::vector<std::string> accepted;
    for (int i = 0; i < kRuns; ++i) {
        const auto& r = results[static_cast<std::size_t>(i)];
        const std::string& u = mdevs[static_cast<std::size_t>(i)];
        ASSERT_TRUE(r.finished);
        if (r.exit_code == 0) {
            accepted.push_back(u);
            EXPECT_TRUE(existsOnTarget(u)) << u;
            continue;
        }
        EXPECT_EQ(r.exit_code, 1);
        // Each refused one says why.
        EXPECT_EQ(firstLine(r.err).rfind("mdev-migcheck: refusing migration of vm" +
                                             std::to_string(i + 1) + ": mdev " + u +
                                             " (nvidia-63): does not exist on this host.",
                                         0),
                  0U)
            << r.err;
        EXPECT_NE(r.err.find("0 instance(s) available; creating it here failed: 0000:00:02.0: "
                             "no instance left"),
                  std::string::npos)
            << r.err;
        EXPECT_FALSE(existsOnTarget(u)) << u;
    }
    EXPECT_EQ(accepted.size(), static_cast<std::size_t>(kInstances));
    EXPECT_EQ(available("0000:00:02.0"), 0);
    // Every device on the target is one an accepted run created and
    // journalled: no double allocation, nothing leaked.
    std::vector<std::string> present;
    for (const auto& d : std::filesystem::directory_iterator(target->sys() / "bus/mdev/devices")) {
        present.push_back(d.path().filename().string());
    }
    std::sort(present.begin(), present.end());
    std::sort(accepted.begin(), accepted.end());
    EXPECT_EQ(present, accepted);
    std::vector<std::string> journalled;
    for (const auto& e : entries()) {
        journalled.push_back(e.mdev);
    }
    EXPECT_EQ(journalled, accepted);
    // Only the runs that found an instance wrote to create.
    const std::string w = target->writes();
    int creates = 0;
    for (auto at = w.find("/create\""); at != std::string::npos; at = w.find("/create\"", at + 1)) {
        ++creates;
    }
    EXPECT_EQ(creates, kInstances);
}

} // namespace
