// LibvirtHypervisor and the recorder against libvirt's test driver.
// test:///default keeps one state per process, so a raw connection here and
// the one under test see the same domains.
#include "domain/domain_xml.hpp"
#include "fake_sysfs.hpp"
#include "virt/libvirt_hypervisor.hpp"
#include "virt/live_annotate.hpp"
#include "virt/save_annotate.hpp"

#include <gtest/gtest.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

using namespace mdevmc;
using mdevmc::test::FakeSysfs;
using mdevmc::test::TempDir;

namespace {

constexpr const char* kU1 = "c2177883-f1bb-47f0-914d-32a22e3a8804";

std::string domainXml(const std::string& name, const std::string& uuid, bool with_mdev) {
    std::string x = "<domain type='test'><name>" + name + "</name><uuid>" + uuid +
                    "</uuid><metadata><app:owner xmlns:app='http://example.org/app/1'>team-a"
                    "</app:owner></metadata><memory>1048576</memory><vcpu>1</vcpu>"
                    "<os><type>hvm</type></os><devices>";
    if (with_mdev) {
        x += "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='" +
             std::string(kU1) + "'/></source></hostdev>";
    }
    return x + "</devices></domain>";
}

void ignore(void*, virErrorPtr) {}

class TestDriver : public ::testing::Test {
protected:
    void SetUp() override {
        virSetErrorFunc(nullptr, ignore);
        raw = virConnectOpen("test:///default");
        ASSERT_NE(raw, nullptr);
        for (const auto& [name, uuid, mdev] :
             {std::tuple{std::string("vgpu"), std::string("6695eb01-f6a4-8304-79aa-97f2502e1001"),
                         true},
              std::tuple{std::string("plain"), std::string("6695eb01-f6a4-8304-79aa-97f2502e1002"),
                         false}}) {
            if (virDomainPtr old = virDomainLookupByName(raw, name.c_str())) {
                virDomainDestroy(old);
                virDomainUndefine(old);
                virDomainFree(old);
            }
            virDomainPtr d = virDomainDefineXML(raw, domainXml(name, uuid, mdev).c_str());
            ASSERT_NE(d, nullptr) << virGetLastErrorMessage();
            ASSERT_EQ(virDomainCreate(d), 0) << virGetLastErrorMessage();
            virDomainFree(d);
        }
        sys.addType("0000:00:02.0", "nvidia-63", "10de-1eb8-nvidia-63-2.1");
        sys.addDevice(kU1, "0000:00:02.0", "nvidia-63");
        auto r = Root::open(dir.path().string());
        ASSERT_TRUE(r);
        root.emplace(std::move(*r));
        io.emplace(*root);
        host.emplace(*root, *io);
        auto hv = LibvirtHypervisor::connect("test:///default");
        ASSERT_TRUE(hv) << hv.error().message;
        hyper = std::move(*hv);
    }
    void TearDown() override {
        if (raw != nullptr) {
            virConnectClose(raw);
        }
    }
    std::string xmlOf(const char* name, unsigned flags) {
        virDomainPtr d = virDomainLookupByName(raw, name);
        char* x = virDomainGetXMLDesc(d, flags);
        std::string out = x != nullptr ? x : "";
        free(x);
        virDomainFree(d);
        return out;
    }

    virConnectPtr raw = nullptr;
    TempDir dir;
    FakeSysfs sys{dir.path()};
    std::optional<Root> root;
    std::optional<DirectAttrIo> io;
    std::optional<MdevHost> host;
    std::unique_ptr<LibvirtHypervisor> hyper;
    Config config;
};

} // namespace

TEST_F(TestDriver, LookupByNameUuidAndId) {
    auto byName = hyper->lookup("vgpu");
    ASSERT_TRUE(byName);
    EXPECT_EQ(byName->uuid, "6695eb01-f6a4-8304-79aa-97f2502e1001");
    auto byUuid = hyper->lookup("6695eb01-f6a4-8304-79aa-97f2502e1001");
    ASSERT_TRUE(byUuid);
    EXPECT_EQ(byUuid->name, "vgpu");
    virDomainPtr d = virDomainLookupByName(raw, "vgpu");
    const std::string id = std::to_string(virDomainGetID(d));
    virDomainFree(d);
    auto byId = hyper->lookup(id);
    ASSERT_TRUE(byId);
    EXPECT_EQ(byId->name, "vgpu");
    auto none = hyper->lookup("no-such-domain");
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().message, "no domain 'no-such-domain' on 'test:///default'");
}

TEST_F(TestDriver, MetadataRoundTripLiveOnly) {
    auto d = hyper->lookup("vgpu");
    ASSERT_TRUE(d);
    auto r = annotateLive(*hyper, *d, *host, "hostA", config);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->outcome, LiveAnnotation::Outcome::Recorded);

    const std::string live = xmlOf("vgpu", 0);
    EXPECT_NE(live.find("<mdevmc:migcheck xmlns:mdevmc=\"urn:mdev-migcheck:metadata:1\" "
                        "host=\"hostA\" format=\"2\""),
              std::string::npos)
        << live;
    EXPECT_NE(live.find("team-a"), std::string::npos); // other metadata kept
    auto parsed = DomainXml::parse(live);
    ASSERT_TRUE(parsed);
    auto m = parsed->metadata();
    ASSERT_TRUE(m && m->entries.size() == 1);
    EXPECT_EQ(m->entries[0].version, "10de-1eb8-nvidia-63-2.1");
    EXPECT_EQ(m->entries[0].parent, "0000:00:02.0");

    const std::string persistent = xmlOf("vgpu", VIR_DOMAIN_XML_INACTIVE);
    EXPECT_EQ(persistent.find("mdev-migcheck"), std::string::npos) << persistent;
    EXPECT_NE(persistent.find("team-a"), std::string::npos);

    // Idempotent: the same record is not stored twice.
    auto again = annotateLive(*hyper, *d, *host, "hostA", config);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->outcome, LiveAnnotation::Outcome::Unchanged);
    EXPECT_EQ(xmlOf("vgpu", 0), live);
}

TEST_F(TestDriver, DomainWithoutMdevIsUntouched) {
    const std::string before = xmlOf("plain", 0);
    auto d = hyper->lookup("plain");
    ASSERT_TRUE(d);
    auto r = annotateLive(*hyper, *d, *host, "hostA", config);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->outcome, LiveAnnotation::Outcome::NoMdev);
    EXPECT_EQ(xmlOf("plain", 0), before);
}

TEST_F(TestDriver, ActiveDomainsAndStoppedDomain) {
    auto all = hyper->activeDomains();
    ASSERT_TRUE(all);
    std::vector<std::string> names;
    for (const auto& d : *all) {
        names.push_back(d.name);
    }
    EXPECT_NE(std::find(names.begin(), names.end(), "vgpu"), names.end());
    virDomainPtr p = virDomainLookupByName(raw, "vgpu");
    ASSERT_EQ(virDomainDestroy(p), 0);
    virDomainFree(p);
    auto d = hyper->lookup("vgpu");
    ASSERT_TRUE(d);
    EXPECT_EQ(*hyper->state(*d), DomainRunState::Other);
    auto r = annotateLive(*hyper, *d, *host, "hostA", config);
    ASSERT_FALSE(r); // a stopped domain has no live definition to annotate
    const SysLog log(false);
    EXPECT_EQ(recordWhenStarted(*hyper, "vgpu", *host, "hostA", config, log,
                                [](std::chrono::milliseconds) {}),
              1);
}

TEST_F(TestDriver, RecorderRecordsARunningDomain) {
    const SysLog log(false);
    EXPECT_EQ(recordWhenStarted(*hyper, "6695eb01-f6a4-8304-79aa-97f2502e1001", *host, "hostA",
                                config, log, [](std::chrono::milliseconds) {}),
              0);
    EXPECT_NE(xmlOf("vgpu", 0).find("10de-1eb8-nvidia-63-2.1"), std::string::npos);
}

TEST_F(TestDriver, SaveImageFileGetsTheRecordAndRestoresWithIt) {
    const std::string file = (dir.path() / "vgpu.save").string();
    virDomainPtr p = virDomainLookupByName(raw, "vgpu");
    ASSERT_EQ(virDomainSave(p, file.c_str()), 0) << virGetLastErrorMessage();
    virDomainFree(p);
    SaveImageRef img;
    img.kind = SaveImageRef::Kind::File;
    img.file = file;
    auto r = annotateSaveImage(*hyper, img, *host, "hostA", config);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->record.outcome, LiveAnnotation::Outcome::Recorded);
    EXPECT_EQ(r->domain.name, "vgpu");

    char* x = virDomainSaveImageGetXMLDesc(raw, file.c_str(), 0);
    ASSERT_NE(x, nullptr);
    const std::string stored = x;
    free(x);
    auto parsed = DomainXml::parse(stored);
    ASSERT_TRUE(parsed);
    auto m = parsed->metadata();
    ASSERT_TRUE(m && m->entries.size() == 1) << stored;
    EXPECT_EQ(m->entries[0].version, "10de-1eb8-nvidia-63-2.1");
    EXPECT_NE(stored.find("team-a"), std::string::npos);

    auto again = annotateSaveImage(*hyper, img, *host, "hostA", config);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->record.outcome, LiveAnnotation::Outcome::Unchanged);

    // Restored, the domain runs with the record.
    ASSERT_EQ(virDomainRestore(raw, file.c_str()), 0) << virGetLastErrorMessage();
    EXPECT_NE(xmlOf("vgpu", 0).find("10de-1eb8-nvidia-63-2.1"), std::string::npos);
}

TEST_F(TestDriver, SaveImageErrorsNameTheImage) {
    SaveImageRef img;
    img.kind = SaveImageRef::Kind::File;
    img.file = (dir.path() / "none.save").string();
    auto r = annotateSaveImage(*hyper, img, *host, "hostA", config);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message.rfind("cannot read save image '" + img.file + "': ", 0), 0U)
        << r.error().message;
    EXPECT_EQ(r.error().message.find("unknown libvirt error"), std::string::npos)
        << r.error().message;
    // The test driver keeps no managed save XML: libvirt's refusal is
    // passed on, naming the image (the qemu driver is tested in e2e).
    auto d = hyper->lookup("vgpu");
    ASSERT_TRUE(d);
    SaveImageRef managed;
    managed.domain = *d;
    auto m = annotateSaveImage(*hyper, managed, *host, "hostA", config);
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().message,
              "cannot read the managed save image of domain 'vgpu': this function is not "
              "supported by the connection driver: virDomainManagedSaveGetXMLDesc");
}

// The test driver emits lifecycle events (it has no hotplug: device-added
// events are proven in e2e): a domain started through another connection
// reaches nextEvents() as Started.
TEST_F(TestDriver, EventsOfADomainStartedElsewhere) {
    auto ev = LibvirtHypervisor::connectForEvents("test:///default");
    ASSERT_TRUE(ev) << ev.error().message;
    auto early = (*ev)->nextEvents(std::chrono::milliseconds(0));
    ASSERT_FALSE(early); // not subscribed yet
    ASSERT_TRUE((*ev)->subscribe());
    EXPECT_FALSE((*ev)->subscribe()); // once
    ASSERT_FALSE(hyper->subscribe()); // a connection not opened for events
    virDomainPtr p = virDomainLookupByName(raw, "plain");
    ASSERT_EQ(virDomainDestroy(p), 0);
    ASSERT_EQ(virDomainCreate(p), 0);
    virDomainFree(p);
    std::vector<DomainEvent> got;
    // Bounded: the events were queued before the first call.
    for (int i = 0; i < 20 && got.empty(); ++i) {
        auto batch = (*ev)->nextEvents(std::chrono::milliseconds(500));
        ASSERT_TRUE(batch) << batch.error().message;
        for (const auto& e : *batch) {
            if (e.kind == DomainEvent::Kind::Started) {
                got.push_back(e);
            }
        }
    }
    ASSERT_EQ(got.size(), 1U);
    EXPECT_EQ(got[0].domain.name, "plain");
    EXPECT_EQ(got[0].domain.uuid, "6695eb01-f6a4-8304-79aa-97f2502e1002");
    // Nothing more: an empty list, not an error.
    auto none = (*ev)->nextEvents(std::chrono::milliseconds(0));
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->empty());
}

TEST(LibvirtConnect, BadUriNamesIt) {
    auto hv = LibvirtHypervisor::connect("bogus:///nowhere");
    ASSERT_FALSE(hv);
    EXPECT_EQ(hv.error().message.rfind("cannot connect to 'bogus:///nowhere': ", 0), 0U);
}
