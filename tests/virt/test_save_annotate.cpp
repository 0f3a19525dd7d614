// annotateSaveImage against the fake hypervisor: what is written into a
// save image, and every way the image or libvirt can disagree.
#include "domain/domain_xml.hpp"
#include "fake_hypervisor.hpp"
#include "fake_sysfs.hpp"
#include "virt/save_annotate.hpp"

#include <cerrno>
#include <gtest/gtest.h>

using namespace mdevmc;
using mdevmc::test::FakeHypervisor;
using mdevmc::test::FakeSysfs;
using mdevmc::test::kDomain;
using mdevmc::test::kU1;
using mdevmc::test::TempDir;

namespace {

constexpr const char* kVmUuid = "6695eb01-f6a4-8304-79aa-97f2502e193f";

class SaveAnnotate : public ::testing::Test {
protected:
    void SetUp() override {
        sys.addType("0000:00:02.0", "nvidia-63", "10de-1eb8-nvidia-63-2.1");
        sys.addDevice(kU1, "0000:00:02.0", "nvidia-63");
        auto r = Root::open(dir.path().string());
        ASSERT_TRUE(r);
        root.emplace(std::move(*r));
        io.emplace(*root);
        host.emplace(*root, *io);
        managed.domain = DomainRef{"vm1", kVmUuid};
        file.kind = SaveImageRef::Kind::File;
        file.file = "/var/lib/save/vm1.save";
    }
    Result<ImageAnnotation> annotate(const SaveImageRef& img) {
        return annotateSaveImage(hv, img, *host, "hostA", config);
    }
    TempDir dir;
    FakeSysfs sys{dir.path()};
    std::optional<Root> root;
    std::optional<DirectAttrIo> io;
    std::optional<MdevHost> host;
    Config config;
    FakeHypervisor hv;
    SaveImageRef managed;
    SaveImageRef file;
};

} // namespace

TEST_F(SaveAnnotate, RecordsIntoTheImageAndChangesNothingElse) {
    for (const auto* img : {&managed, &file}) {
        hv.image_xml = kDomain;
        auto r = annotate(*img);
        ASSERT_TRUE(r) << r.error().message;
        EXPECT_EQ(r->record.outcome, LiveAnnotation::Outcome::Recorded);
        EXPECT_EQ(r->domain.name, "vm1");
        EXPECT_EQ(r->domain.uuid, kVmUuid);
        auto stored = DomainXml::parse(hv.image_xml);
        ASSERT_TRUE(stored);
        auto m = stored->metadata();
        ASSERT_TRUE(m && m->entries.size() == 1) << hv.image_xml;
        EXPECT_EQ(m->host, "hostA");
        EXPECT_EQ(m->entries[0].version, "10de-1eb8-nvidia-63-2.1");
        EXPECT_NE(hv.image_xml.find("team-a"), std::string::npos); // other metadata kept
        auto original = DomainXml::parse(kDomain);
        ASSERT_TRUE(original);
        EXPECT_EQ(stored->serializeWithoutMetadata(), original->serializeWithoutMetadata());
        EXPECT_EQ(hv.image_reads.back().kind, img->kind);
        EXPECT_EQ(hv.image_reads.back().file, img->file);
    }
    EXPECT_EQ(hv.image_defines, 2);
    EXPECT_EQ(hv.stores, 0); // no live metadata touched
}

TEST_F(SaveAnnotate, SameRecordIsNotWrittenAgain) {
    ASSERT_TRUE(annotate(managed));
    const std::string once = hv.image_xml;
    auto again = annotate(managed);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->record.outcome, LiveAnnotation::Outcome::Unchanged);
    EXPECT_EQ(hv.image_defines, 1);
    EXPECT_EQ(hv.image_xml, once);
}

TEST_F(SaveAnnotate, ImageWithoutMdevIsLeftAlone) {
    hv.image_xml = "<domain type='kvm'><name>vm1</name><uuid>" + std::string(kVmUuid) +
                   "</uuid><devices/></domain>";
    auto r = annotate(managed);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->record.outcome, LiveAnnotation::Outcome::NoMdev);
    EXPECT_EQ(hv.image_defines, 0);
}

TEST_F(SaveAnnotate, ManagedImageOfAnotherDomainIsRefused) {
    managed.domain.uuid = "6695eb01-f6a4-8304-79aa-97f2502e0000";
    auto r = annotate(managed);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "the managed save image of domain 'vm1' holds domain UUID '" +
                                     std::string(kVmUuid) +
                                     "', not '6695eb01-f6a4-8304-79aa-97f2502e0000'");
    EXPECT_EQ(hv.image_defines, 0);
}

TEST_F(SaveAnnotate, UnparseableImageXmlIsNamed) {
    hv.image_xml = "<domain><name>vm1</name>";
    auto r = annotate(file);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message.rfind("save image '/var/lib/save/vm1.save': its domain XML: ", 0),
              0U)
        << r.error().message;
    EXPECT_EQ(hv.image_defines, 0);
}

TEST_F(SaveAnnotate, DefineFailureIsReported) {
    hv.image_errors.push_back(
        Error{"cannot update save image '/var/lib/save/vm1.save': Permission denied", EACCES});
    auto r = annotate(file);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message,
              "cannot update save image '/var/lib/save/vm1.save': Permission denied");
}

TEST_F(SaveAnnotate, WhatLibvirtStoredIsCheckedAgainstWhatWasWritten) {
    // libvirt keeps the old XML: the record read back is missing.
    hv.image_stores_instead = kDomain;
    auto r = annotate(managed);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "the managed save image of domain 'vm1': the record read back "
                                 "differs from the one written");
    // libvirt stores another hostdev list.
    std::string other = kDomain;
    other.replace(other.find(kU1), 36, "c2177883-f1bb-47f0-914d-32a22e3a0000");
    hv.image_xml = kDomain;
    hv.image_stores_instead = other;
    r = annotate(managed);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "the managed save image of domain 'vm1': libvirt stored another "
                                 "domain than the one read");
}
