// The watch's loop through the Hypervisor seam: what it records for each
// event, catching up at each connection, and connections lost and refused.
// (The events themselves come from libvirt: test_libvirt_hypervisor.)
#include "domain/domain_xml.hpp"
#include "fake_hypervisor.hpp"
#include "fake_sysfs.hpp"
#include "virt/watch.hpp"

#include <gtest/gtest.h>

using namespace mdevmc;
using mdevmc::test::FakeHypervisor;
using mdevmc::test::FakeSysfs;
using mdevmc::test::kDomain;
using mdevmc::test::TempDir;
using namespace std::chrono_literals;

namespace {

constexpr const char* kVmUuid = "6695eb01-f6a4-8304-79aa-97f2502e193f";

// vm1 before the hotplug: no mdev.
const char* kPlain = R"(<domain type='kvm'>
  <name>vm1</name>
  <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>
  <devices/>
</domain>)";

// Each connection the watch opens: a view of the one fake.
class Connection : public Hypervisor {
public:
    explicit Connection(FakeHypervisor& f) : f_(f) {}
    Result<DomainRef> lookup(const std::string& spec) override { return f_.lookup(spec); }
    Result<std::vector<DomainRef>> activeDomains() override { return f_.activeDomains(); }
    Result<DomainRunState> state(const DomainRef& d) override { return f_.state(d); }
    Result<std::string> liveXml(const DomainRef& d) override { return f_.liveXml(d); }
    Result<std::string> migratableXml(const DomainRef& d) override { return f_.migratableXml(d); }
    Result<void> setLiveMetadata(const DomainRef& d, const std::string& e) override {
        return f_.setLiveMetadata(d, e);
    }
    Result<std::string> saveImageXml(const SaveImageRef& i) override { return f_.saveImageXml(i); }
    Result<void> defineSaveImageXml(const SaveImageRef& i, const std::string& x) override {
        return f_.defineSaveImageXml(i, x);
    }
    Result<void> subscribe() override { return f_.subscribe(); }
    Result<std::vector<DomainEvent>> nextEvents(std::chrono::milliseconds w) override {
        return f_.nextEvents(w);
    }

private:
    FakeHypervisor& f_;
};

DomainEvent added(const std::string& alias) {
    return DomainEvent{DomainEvent::Kind::DeviceAdded, DomainRef{"vm1", kVmUuid}, alias};
}

class Watch : public ::testing::Test {
protected:
    void SetUp() override {
        sys.addType("0000:00:02.0", "nvidia-63", "10de-1eb8-nvidia-63-2.1");
        sys.addDevice(mdevmc::test::kU1, "0000:00:02.0", "nvidia-63");
        auto r = Root::open(dir.path().string());
        ASSERT_TRUE(r);
        root.emplace(std::move(*r));
        io.emplace(*root);
        host.emplace(*root, *io);
        hv.xml = kPlain;
    }
    int run() {
        WatchSeams seams;
        seams.connect = [this]() -> Result<std::unique_ptr<Hypervisor>> {
            ++connects;
            if (!connect_errors.empty()) {
                Error e = connect_errors.front();
                connect_errors.erase(connect_errors.begin());
                return Unexpected<Error>(std::move(e));
            }
            return std::unique_ptr<Hypervisor>(std::make_unique<Connection>(hv));
        };
        seams.sleep = [this](std::chrono::milliseconds ms) { sleeps.push_back(ms); };
        seams.stopping = [this] { return hv.script_done; };
        return watchDomains(seams, *host, "hostA", config, log);
    }
    bool recorded() const {
        auto x = DomainXml::parse(hv.xml);
        auto m = x ? x->metadata() : std::nullopt;
        return m && m->entries.size() == 1 && m->entries[0].version == "10de-1eb8-nvidia-63-2.1";
    }

    TempDir dir;
    FakeSysfs sys{dir.path()};
    std::optional<Root> root;
    std::optional<DirectAttrIo> io;
    std::optional<MdevHost> host;
    Config config;
    const SysLog log{false};
    FakeHypervisor hv;
    int connects = 0;
    std::vector<Error> connect_errors;
    std::vector<std::chrono::milliseconds> sleeps;
};

} // namespace

TEST_F(Watch, HotPluggedMdevIsRecorded) {
    hv.event_script.push_back([this]() -> Result<std::vector<DomainEvent>> {
        hv.xml = kDomain; // virsh attach-device --live
        return std::vector<DomainEvent>{added("hostdev0")};
    });
    EXPECT_EQ(run(), 0);
    EXPECT_EQ(hv.subscribes, 1);
    EXPECT_EQ(hv.stores, 1);
    EXPECT_TRUE(recorded()) << hv.xml;
    EXPECT_NE(hv.xml.find("team-a"), std::string::npos); // other metadata kept
    EXPECT_TRUE(sleeps.empty());
}

TEST_F(Watch, OtherDevicesAndRepeatedEventsWriteNothingNew) {
    hv.xml = kDomain;
    hv.event_script.push_back([]() -> Result<std::vector<DomainEvent>> {
        return std::vector<DomainEvent>{
            added("net1"), added("net2"),
            DomainEvent{DomainEvent::Kind::Started, DomainRef{"vm1", kVmUuid}, {}}};
    });
    const int reads_before = hv.live_reads;
    EXPECT_EQ(run(), 0);
    EXPECT_EQ(hv.stores, 1);                    // the catch-up at connection
    EXPECT_EQ(hv.live_reads, reads_before + 2); // catch-up, then vm1 once for 3 events
    EXPECT_TRUE(recorded());
}

TEST_F(Watch, StartedDomainIsRecorded) {
    hv.states = {DomainRunState::Starting, DomainRunState::Running};
    hv.xml = kDomain;
    hv.event_script.push_back([]() -> Result<std::vector<DomainEvent>> {
        return std::vector<DomainEvent>{
            DomainEvent{DomainEvent::Kind::Started, DomainRef{"vm1", kVmUuid}, {}}};
    });
    EXPECT_EQ(run(), 0);
    // Starting at connection: left to the hook's recorder; the event records it.
    EXPECT_EQ(hv.stores, 1);
    EXPECT_TRUE(recorded());
}

TEST_F(Watch, LostConnectionIsOpenedAgainAndCaughtUp) {
    hv.event_script.push_back([this]() -> Result<std::vector<DomainEvent>> {
        hv.xml = kDomain; // hot-plugged while the daemon restarts: no event
        return fail("lost the connection to 'qemu:///system': the daemon closed it", ECONNRESET);
    });
    EXPECT_EQ(run(), 0);
    EXPECT_EQ(connects, 2);
    EXPECT_EQ(hv.subscribes, 2);
    EXPECT_EQ(sleeps, std::vector<std::chrono::milliseconds>{kWatchFirstRetry});
    EXPECT_EQ(hv.stores, 1); // by the catch-up of the second connection
    EXPECT_TRUE(recorded());
}

TEST_F(Watch, RefusedConnectionsAreRetriedAtGrowingIntervals) {
    for (int i = 0; i < 7; ++i) {
        connect_errors.push_back(
            Error{"cannot connect to 'qemu:///system': no daemon", ECONNREFUSED});
    }
    hv.subscribe_errors.push_back(Error{"cannot subscribe", 0});
    hv.xml = kDomain;
    EXPECT_EQ(run(), 0);
    EXPECT_EQ(connects, 9);
    EXPECT_EQ(sleeps, (std::vector<std::chrono::milliseconds>{1s, 2s, 4s, 8s, 16s, 30s, 30s, 30s}));
    EXPECT_EQ(hv.subscribes, 1);
    EXPECT_TRUE(recorded());
}

TEST_F(Watch, AStoreThatFailsIsLoggedAndTheWatchGoesOn) {
    hv.set_failures = {VIR_ERR_OPERATION_INVALID};
    hv.event_script.push_back([this]() -> Result<std::vector<DomainEvent>> {
        hv.xml = kDomain;
        return std::vector<DomainEvent>{added("hostdev0")};
    });
    hv.event_script.push_back([]() -> Result<std::vector<DomainEvent>> {
        return std::vector<DomainEvent>{added("hostdev1")};
    });
    EXPECT_EQ(run(), 0);
    EXPECT_EQ(hv.stores, 1); // the first store failed, the second event recorded it
    EXPECT_TRUE(recorded());
}
