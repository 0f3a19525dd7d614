#include "domain/domain_xml.hpp"
#include "domain_samples.hpp"
#include "fake_sysfs.hpp"

#include <cerrno>
#include <filesystem>
#include <gtest/gtest.h>
#include <libxml/relaxng.h>
#include <stdexcept>

using namespace mdevmc;
using mdevmc::test::parseOk;
using mdevmc::test::readFile;
using mdevmc::test::validatesAgainstSchema;

namespace {

std::string sample(const std::string& name) {
    return readFile(std::string(MDEVMC_SAMPLES_DIR) + "/" + name);
}

} // namespace

TEST(DomainXml, NoMdev) {
    const DomainXml d = parseOk(sample("no-mdev.xml"));
    EXPECT_EQ(d.name(), "plain");
    EXPECT_EQ(d.uuid(), "3e1e7d8c-1b4a-4f63-9a43-52f0c1e9d005");
    EXPECT_TRUE(d.mdevHostdevs().empty());
    EXPECT_FALSE(d.metadata().has_value());
}

TEST(DomainXml, OneMdevWithDisplayAndRamfb) {
    const auto hs = parseOk(sample("vgpu-one-mdev.xml")).mdevHostdevs();
    ASSERT_EQ(hs.size(), 1U);
    EXPECT_EQ(hs[0].uuid, "c2177883-f1bb-47f0-914d-32a22e3a8804");
    EXPECT_EQ(hs[0].model, "vfio-pci");
    EXPECT_TRUE(hs[0].uuid_valid);
}

TEST(DomainXml, SeveralMdevsAmongOtherHostdevs) {
    const auto hs = parseOk(sample("vgpu-two-mdevs.xml")).mdevHostdevs();
    ASSERT_EQ(hs.size(), 2U);
    EXPECT_EQ(hs[0].uuid, "c2177883-f1bb-47f0-914d-32a22e3a8804");
    EXPECT_EQ(hs[1].uuid, "0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3a");
}

TEST(DomainXml, CcwAndAp) {
    const auto ccw = parseOk(sample("ccw-mdev.xml")).mdevHostdevs();
    ASSERT_EQ(ccw.size(), 1U);
    EXPECT_EQ(ccw[0].model, "vfio-ccw");
    const auto ap = parseOk(sample("ap-mdev.xml")).mdevHostdevs();
    ASSERT_EQ(ap.size(), 1U);
    EXPECT_EQ(ap[0].model, "vfio-ap");
}

TEST(DomainXml, UuidCaseAndInvalidUuids) {
    const auto hs =
        parseOk("<domain><devices>"
                "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source>"
                "<address uuid='C2177883-F1BB-47F0-914D-32A22E3A8804'/></source></hostdev>"
                "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source>"
                "<address uuid='../../etc'/></source></hostdev>"
                "<hostdev mode='subsystem' type='mdev' model='vfio-pci'/>"
                "<hostdev mode='capabilities' type='mdev'/>"
                "</devices></domain>")
            .mdevHostdevs();
    ASSERT_EQ(hs.size(), 3U);
    EXPECT_EQ(hs[0].uuid, "c2177883-f1bb-47f0-914d-32a22e3a8804");
    EXPECT_TRUE(hs[0].uuid_valid);
    EXPECT_FALSE(hs[1].uuid_valid);
    EXPECT_EQ(hs[1].uuid, "../../etc");
    EXPECT_FALSE(hs[2].uuid_valid);
}

TEST(DomainXml, Malformed) {
    for (const char* bad :
         {"<domain><name>x</domain>", "not xml at all", "<domain", "<domain></domain><domain/>"}) {
        auto d = DomainXml::parse(bad);
        ASSERT_FALSE(d) << bad;
        EXPECT_EQ(d.error().err, EINVAL);
        EXPECT_NE(d.error().message.find("not well-formed"), std::string::npos)
            << d.error().message;
    }
    auto empty = DomainXml::parse("  \n");
    ASSERT_FALSE(empty);
    EXPECT_EQ(empty.error().message, "domain XML is empty");
    auto other = DomainXml::parse("<network/>");
    ASSERT_FALSE(other);
    EXPECT_NE(other.error().message.find("not a libvirt domain"), std::string::npos);
}

TEST(DomainXml, HugeInputIsRefusedBeforeParsing) {
    const std::string huge = "<domain>" + std::string(kMaxDomainXml, ' ') + "</domain>";
    auto d = DomainXml::parse(huge);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().err, EFBIG);
    EXPECT_TRUE(DomainXml::parse("<domain>" + std::string(1 << 20, ' ') + "</domain>"));
}

TEST(DomainXml, ExternalEntityIsNotResolved) {
    const std::string xxe = "<?xml version='1.0'?>\n"
                            "<!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>\n"
                            "<domain><name>&x;</name></domain>";
    auto d = DomainXml::parse(xxe);
    ASSERT_FALSE(d);
    EXPECT_NE(d.error().message.find("DOCTYPE"), std::string::npos);
}

TEST(DomainXml, BillionLaughsIsRefused) {
    std::string bomb = "<?xml version='1.0'?>\n<!DOCTYPE domain [\n<!ENTITY a0 'lol'>\n";
    for (int i = 1; i < 10; ++i) {
        bomb += "<!ENTITY a" + std::to_string(i) + " '";
        for (int j = 0; j < 10; ++j) {
            bomb += "&a" + std::to_string(i - 1) + ";";
        }
        bomb += "'>\n";
    }
    bomb += "]>\n<domain><name>&a9;</name></domain>";
    auto d = DomainXml::parse(bomb);
    ASSERT_FALSE(d);
    EXPECT_NE(d.error().message.find("DOCTYPE"), std::string::npos);
}

TEST(DomainXml, NetworkDtdIsNotFetched) {
    auto d = DomainXml::parse("<!DOCTYPE domain SYSTEM 'http://127.0.0.1:9/x.dtd'><domain/>");
    ASSERT_FALSE(d);
    EXPECT_NE(d.error().message.find("DOCTYPE"), std::string::npos);
}

TEST(DomainXml, ReadsRecordedMetadata) {
    const auto m = parseOk(sample("vgpu-annotated.xml")).metadata();
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->host, "hostA");
    ASSERT_EQ(m->entries.size(), 1U);
    const MetadataEntry& e = m->entries[0];
    EXPECT_EQ(e.uuid, "c2177883-f1bb-47f0-914d-32a22e3a8804");
    EXPECT_EQ(e.type, "i915-GVTg_V5_4");
    EXPECT_EQ(e.parent, "0000:00:02.0");
    EXPECT_EQ(e.version, "8086-193b-i915-GVTg_V5_4-5.2");
    EXPECT_FALSE(e.problem.has_value());
}

TEST(DomainXml, InvalidEntriesCarryTheirProblem) {
    const auto m =
        parseOk("<domain><metadata><m:migcheck xmlns:m='urn:mdev-migcheck:metadata:1'>"
                "<m:mdev uuid='c2177883-f1bb-47f0-914d-32a22e3a8804' type='t' version='a&#10;b'/>"
                "<m:mdev uuid='0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3a' type='../t' version='v'/>"
                "<m:mdev uuid='bad' type='t' version='v'/>"
                "<m:mdev uuid='90c6c135-ad44-41d0-b1b7-bae47de48627' type='t'/>"
                "<m:mdev uuid='8e8e9b55-b3c0-4b1c-9a3c-7f2a47bce1a5' error='ENOTREAL'/>"
                "</m:migcheck></metadata></domain>")
            .metadata();
    ASSERT_TRUE(m.has_value());
    ASSERT_EQ(m->entries.size(), 5U);
    for (const auto& e : m->entries) {
        EXPECT_TRUE(e.problem.has_value()) << e.uuid;
    }
    EXPECT_NE(m->entries[0].problem->find("non-printable"), std::string::npos);
    EXPECT_NE(m->entries[1].problem->find("not a valid mdev type id"), std::string::npos);
    EXPECT_NE(m->entries[2].problem->find("not a canonical UUID"), std::string::npos);
    EXPECT_NE(m->entries[3].problem->find("neither a version nor an error"), std::string::npos);
    EXPECT_NE(m->entries[4].problem->find("not an errno name"), std::string::npos);
}

TEST(DomainXml, ForeignNamespaceIsIgnored) {
    const auto m = parseOk("<domain><metadata><m:migcheck xmlns:m='urn:other:1'>"
                           "<m:mdev uuid='c2177883-f1bb-47f0-914d-32a22e3a8804' type='t' "
                           "version='v'/></m:migcheck></metadata></domain>")
                       .metadata();
    EXPECT_FALSE(m.has_value());
}

TEST(DomainXml, MetadataRoundTripKeepsOtherMetadata) {
    DomainXml d = parseOk(sample("vgpu-annotated.xml"));
    Metadata mine;
    mine.host = "hostB";
    mine.entries.push_back({"c2177883-f1bb-47f0-914d-32a22e3a8804",
                            "i915-GVTg_V5_4",
                            "0000:00:02.0",
                            std::string("8086-193b-i915-GVTg_V5_4-5.3"),
                            std::nullopt,
                            std::nullopt,
                            {},
                            std::nullopt});
    mine.entries.push_back({"0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3a",
                            "nvidia-63",
                            "0000:3b:00.0",
                            std::nullopt,
                            std::string("ENODEV"),
                            std::nullopt,
                            {},
                            std::nullopt});
    d.setMetadata(mine);
    const std::string text = d.serialize();
    EXPECT_NE(text.find("<app:owner xmlns:app=\"http://example.org/app/1\">team-a</app:owner>"),
              std::string::npos);
    EXPECT_EQ(text.find("5.2"), std::string::npos);
    const DomainXml again = parseOk(text);
    const auto m = again.metadata();
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->host, "hostB");
    ASSERT_EQ(m->entries.size(), 2U);
    EXPECT_EQ(m->entries[0].version, "8086-193b-i915-GVTg_V5_4-5.3");
    EXPECT_EQ(m->entries[1].error, "ENODEV");
    EXPECT_FALSE(m->entries[1].version.has_value());
    EXPECT_EQ(again.mdevHostdevs().size(), 1U);
    EXPECT_EQ(again.name(), "vgpu1");
    // Setting it twice leaves one element.
    DomainXml twice = parseOk(text);
    twice.setMetadata(mine);
    const std::string t2 = twice.serialize();
    EXPECT_EQ(t2.find("<mdevmc:migcheck"), t2.rfind("<mdevmc:migcheck"));
}

TEST(DomainXml, SetMetadataCreatesTheElementAfterTheNames) {
    DomainXml d = parseOk(sample("vgpu-one-mdev.xml"));
    Metadata m;
    m.entries.push_back({"c2177883-f1bb-47f0-914d-32a22e3a8804",
                         "t",
                         "p",
                         std::string("v 1"),
                         std::nullopt,
                         std::nullopt,
                         {},
                         std::nullopt});
    d.setMetadata(m);
    const std::string text = d.serialize();
    const auto uuid = text.find("</uuid>");
    const auto md = text.find("<metadata>");
    const auto mem = text.find("<memory");
    ASSERT_NE(md, std::string::npos);
    EXPECT_LT(uuid, md);
    EXPECT_LT(md, mem);
    EXPECT_EQ(text.rfind("<?xml", 0), std::string::npos); // no XML declaration
    EXPECT_EQ(parseOk(text).metadata()->entries.at(0).version, "v 1");
}

TEST(DomainXml, VersionWithXmlSpecialCharactersSurvives) {
    DomainXml d = parseOk(sample("vgpu-one-mdev.xml"));
    Metadata m;
    const std::string v = "a<b>&\"c'd";
    m.entries.push_back({"c2177883-f1bb-47f0-914d-32a22e3a8804",
                         "t",
                         "p",
                         v,
                         std::nullopt,
                         std::nullopt,
                         {},
                         std::nullopt});
    d.setMetadata(m);
    EXPECT_EQ(parseOk(d.serialize()).metadata()->entries.at(0).version, v);
}

TEST(Metadata, FormattedElementValidatesAgainstTheSchema) {
    Metadata m;
    m.host = "hostA";
    m.entries.push_back({"c2177883-f1bb-47f0-914d-32a22e3a8804",
                         "i915-GVTg_V5_4",
                         "0000:00:02.0",
                         std::string("8086-193b-i915-GVTg_V5_4-5.2 <&>"),
                         std::nullopt,
                         std::nullopt,
                         {},
                         std::nullopt});
    m.entries.push_back({"0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3a",
                         "",
                         "",
                         std::nullopt,
                         std::string("ENOENT"),
                         std::nullopt,
                         {},
                         std::nullopt});
    EXPECT_TRUE(validatesAgainstSchema(formatMetadata(m)));
    Metadata bad = m;
    bad.entries[0].version = std::string("caf\xc3\xa9");
    EXPECT_FALSE(validatesAgainstSchema(formatMetadata(bad)));
    Metadata bad_uuid = m;
    bad_uuid.entries[0].uuid = "nope";
    EXPECT_FALSE(validatesAgainstSchema(formatMetadata(bad_uuid)));
}

TEST(Metadata, CheckEntry) {
    MetadataEntry e{"c2177883-f1bb-47f0-914d-32a22e3a8804",
                    "t",
                    "p",
                    std::string("v"),
                    std::nullopt,
                    std::nullopt,
                    {},
                    std::nullopt};
    EXPECT_FALSE(checkEntry(e).has_value());
    e.error = "ENODEV";
    EXPECT_EQ(checkEntry(e), "it has both a version and an error");
    e.version.reset();
    EXPECT_FALSE(checkEntry(e).has_value());
    MetadataEntry no_type{"c2177883-f1bb-47f0-914d-32a22e3a8804",
                          "",
                          "",
                          std::string("v"),
                          std::nullopt,
                          std::nullopt,
                          {},
                          std::nullopt};
    EXPECT_EQ(checkEntry(no_type), "it has a version but no type");
}

TEST(DomainXml, NamespaceUriThatCannotBeWrittenBackIsRefused) {
    // libxml2 writes a namespace declaration's value as it is: '<' or '&'
    // would make the XML handed back to libvirt not well-formed.
    for (const char* uri : {"urn:a&lt;b", "urn:a&amp;b", "urn:a&#13;b", "urn:a&#9;b"}) {
        const std::string xml =
            std::string("<domain><metadata><x:y xmlns:x=\"") + uri + "\"/></metadata></domain>";
        const auto d = DomainXml::parse(xml);
        ASSERT_FALSE(d) << uri;
        EXPECT_NE(d.error().message.find("namespace URI"), std::string::npos) << d.error().message;
    }
    EXPECT_TRUE(DomainXml::parse("<domain><metadata><x:y xmlns:x=\"http://example.org/a?b=c\"/>"
                                 "</metadata></domain>"));
}

TEST(DomainXml, ParseErrorIsOneLine) {
    // libxml2 reports bytes that are not UTF-8 on a second line.
    const auto d = DomainXml::parse("<domain><name>vm</name>\xff\xff\xff\xff</domain>");
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().message.find('\n'), std::string::npos) << d.error().message;
    EXPECT_NE(d.error().message.find("Bytes: 0xFF"), std::string::npos) << d.error().message;
}

namespace {

std::string hostdevXml(const std::string& inner) {
    return "<domain type='kvm'><name>v</name><devices>"
           "<hostdev mode='subsystem' type='mdev' model='vfio-pci'>"
           "<source><address uuid='c2177883-f1bb-47f0-914d-32a22e3a8804'/></source>" +
           inner + "</hostdev></devices></domain>";
}

MdevHostdev onlyHostdev(const std::string& inner) {
    const auto hs = parseOk(hostdevXml(inner)).mdevHostdevs();
    if (hs.size() != 1) {
        ADD_FAILURE() << "expected one hostdev";
        return {};
    }
    return hs[0];
}

} // namespace

TEST(DomainXml, GuestAddressAndUserAliasOfAHostdev) {
    MdevHostdev h = onlyHostdev("<alias name='ua-gpu_0-A'/><address type='pci' domain='0x0000' "
                                "bus='0x00' slot='0x05' function='0x0'/>");
    EXPECT_EQ(h.address, "0000:00:05.0");
    EXPECT_EQ(h.alias, "ua-gpu_0-A");
    // As libvirt reads them: decimal, upper-case hex, attributes left out are 0.
    EXPECT_EQ(onlyHostdev("<address type='pci' bus='1' slot='0x1F' function='7'/>").address,
              "0000:01:1f.7");
    EXPECT_EQ(onlyHostdev("<address type='pci' domain='0xffff' bus='0xff' slot='31'/>").address,
              "ffff:ff:1f.0");
    // The mdev's own <address uuid=...> in <source> is not a guest address.
    h = onlyHostdev("");
    EXPECT_EQ(h.address, "");
    EXPECT_EQ(h.alias, "");
}

TEST(DomainXml, GuestAddressOrAliasLibvirtWouldNotTakeIsNone) {
    for (const char* bad :
         {"<address type='pci' slot='0x20'/>", "<address type='pci' function='8'/>",
          "<address type='pci' bus='0x100'/>", "<address type='pci' slot='010'/>",
          "<address type='pci' slot=''/>", "<address type='pci' slot='0x'/>",
          "<address type='pci' slot='5 '/>", "<address type='pci' slot='-1'/>",
          "<address type='ccw' cssid='0xfe' ssid='0x0' devno='0x0001'/>"}) {
        EXPECT_EQ(onlyHostdev(bad).address, "") << bad;
    }
    for (const char* bad : {"<alias name='hostdev0'/>", "<alias name='ua-'/>",
                            "<alias name='ua-a b'/>", "<alias name='ua-gpu.0'/>", "<alias/>"}) {
        EXPECT_EQ(onlyHostdev(bad).alias, "") << bad;
    }
    EXPECT_EQ(onlyHostdev("<alias name='ua-" + std::string(125, 'x') + "'/>").alias.size(), 128U);
    EXPECT_EQ(onlyHostdev("<alias name='ua-" + std::string(126, 'x') + "'/>").alias, "");
}

TEST(DomainXml, ChangedOnlyOnceASetterRan) {
    DomainXml d = parseOk(sample("vgpu-annotated.xml"));
    EXPECT_FALSE(d.changed());
    (void)d.metadata();
    (void)d.serialize();
    EXPECT_FALSE(d.changed());
    d.setMetadata(Metadata{});
    EXPECT_TRUE(d.changed());
}

namespace {

// Expects B to read as A reads (WHERE names the input); returns whether
// A carries a record.
bool expectReadsTheSame(const DomainFacts& a, const DomainFacts& b, const std::string& where) {
    EXPECT_EQ(a.name, b.name) << where;
    EXPECT_EQ(a.uuid, b.uuid) << where;
    EXPECT_EQ(a.hostdevs.size(), b.hostdevs.size()) << where;
    for (std::size_t i = 0; i < a.hostdevs.size() && i < b.hostdevs.size(); ++i) {
        EXPECT_EQ(a.hostdevs[i].uuid, b.hostdevs[i].uuid) << where;
        EXPECT_EQ(a.hostdevs[i].uuid_valid, b.hostdevs[i].uuid_valid) << where;
        EXPECT_EQ(a.hostdevs[i].model, b.hostdevs[i].model) << where;
        EXPECT_EQ(a.hostdevs[i].address, b.hostdevs[i].address) << where;
        EXPECT_EQ(a.hostdevs[i].alias, b.hostdevs[i].alias) << where;
    }
    EXPECT_EQ(a.metadata.has_value(), b.metadata.has_value()) << where;
    if (!a.metadata || !b.metadata) {
        return false;
    }
    EXPECT_EQ(formatMetadata(*a.metadata), formatMetadata(*b.metadata)) << where;
    EXPECT_EQ(a.metadata->problem, b.metadata->problem) << where;
    EXPECT_EQ(a.metadata->entries.size(), b.metadata->entries.size()) << where;
    for (std::size_t i = 0; i < a.metadata->entries.size() && i < b.metadata->entries.size(); ++i) {
        EXPECT_EQ(a.metadata->entries[i].problem, b.metadata->entries[i].problem) << where;
    }
    return true;
}

} // namespace

// readDomainFacts(), which builds no tree, reads what a parsed DomainXml
// reads and refuses what parse() refuses, with its message: on every
// sample, every input kept from the fuzzer, and documents whose events come
// in pieces or in places a tree holds otherwise (texts of whitespace, text
// beside comments and in CDATA, references in texts and attribute values,
// elements nested in <name>, a second <source>, a second record element).
TEST(DomainFacts, ReadWithoutATreeAsATreeReads) {
    std::vector<std::pair<std::string, std::string>> inputs; // where, text
    for (const char* dir : {MDEVMC_SAMPLES_DIR, MDEVMC_FUZZ_REGRESSIONS_DIR "/fuzz_domain_xml"}) {
        for (const auto& e : std::filesystem::directory_iterator(dir)) {
            if (e.path().extension() == ".xml") {
                inputs.emplace_back(e.path().string(), readFile(e.path().string()));
            }
        }
    }
    ASSERT_GE(inputs.size(), 10U);
    const std::string u = "c2177883-f1bb-47f0-914d-32a22e3a8804";
    inputs.emplace_back("blank texts", "<domain>\n  <name> </name>\n  <uuid>\n</uuid>\n  "
                                       "<devices> <hostdev mode='subsystem' type='mdev'> <source>"
                                       "<address uuid='" +
                                           u + "'/> </source>\n</hostdev> </devices>\n</domain>\n");
    inputs.emplace_back("whitespace beside comments",
                        "<domain><name> <!-- c --> vm</name><uuid>\n<!-- c -->"
                        "3e1e7d8c-1b4a-4f63-9a43-52f0c1e9d001</uuid></domain>");
    inputs.emplace_back("pieces",
                        "<domain><name>a&amp;b<![CDATA[<c>]]><x>d<y>e</y></x>&#x41;</name>"
                        "<name>second</name><devices><hostdev type='mdev' "
                        "model='vfio&#45;pci'><source><address uuid='" +
                            u.substr(0, 8) + "&#45;" + u.substr(9) +
                            "'/><address uuid='x'/></source><source><address uuid='y'/>"
                            "</source><alias name='ua-&#97;'/><address type='pci' "
                            "slot='0x05'/></hostdev><hostdev type='mdev' mode='x'/>"
                            "</devices></domain>");
    inputs.emplace_back(
        "records twice",
        "<domain><metadata><m:migcheck xmlns:m='urn:mdev-migcheck:metadata:1' host='a&amp;b' "
        "format='2'><m:mdev uuid='" +
            u +
            "' type='t' parent='p' version='v&#9;1'><m:fact name='type' value='t'/>"
            "</m:mdev></m:migcheck><m:migcheck xmlns:m='urn:mdev-migcheck:metadata:1'/>"
            "</metadata></domain>");
    inputs.emplace_back("another root", "<domainx><name>n</name></domainx>");
    inputs.emplace_back("not well-formed", "<domain><name>n</domain>");
    inputs.emplace_back("a DTD", "<!DOCTYPE domain [<!ENTITY e 'x'>]><domain/>");
    inputs.emplace_back("a namespace that cannot be written back",
                        "<domain><x:y xmlns:x='a&amp;b'/></domain>");
    std::size_t with_records = 0;
    for (const auto& [where, text] : inputs) {
        auto a = DomainXml::parse(text);
        auto b = readDomainFacts(text);
        ASSERT_EQ(a.has_value(), b.has_value()) << where;
        if (!a) {
            EXPECT_EQ(a.error().message, b.error().message) << where;
            continue;
        }
        if (expectReadsTheSame(a->facts(), *b, where)) {
            ++with_records;
        }
    }
    EXPECT_GE(with_records, 4U);
    // What these documents say, read without a tree.
    const auto read = [&](std::size_t from_end) {
        auto f = readDomainFacts(inputs[inputs.size() - from_end].second);
        EXPECT_TRUE(f) << inputs[inputs.size() - from_end].first;
        return f ? *f : DomainFacts{};
    };
    const DomainFacts blank = read(8);
    EXPECT_EQ(blank.name, " ");
    EXPECT_EQ(blank.uuid, "\n");
    const DomainFacts commented = read(7);
    EXPECT_EQ(commented.name, "  vm");
    EXPECT_EQ(commented.uuid, "\n3e1e7d8c-1b4a-4f63-9a43-52f0c1e9d001");
    const DomainFacts pieces = read(6);
    EXPECT_EQ(pieces.name, "a&b<c>deA");
    ASSERT_EQ(pieces.hostdevs.size(), 1U);
    EXPECT_EQ(pieces.hostdevs[0].uuid, u);
    EXPECT_TRUE(pieces.hostdevs[0].uuid_valid);
    EXPECT_EQ(pieces.hostdevs[0].model, "vfio-pci");
    EXPECT_EQ(pieces.hostdevs[0].alias, "ua-a");
    EXPECT_EQ(pieces.hostdevs[0].address, "0000:00:05.0");
    const DomainFacts twice = read(5);
    ASSERT_TRUE(twice.metadata);
    EXPECT_EQ(twice.metadata->host, "a&b");
    ASSERT_EQ(twice.metadata->entries.size(), 1U);
    EXPECT_EQ(twice.metadata->entries[0].version, "v\t1");
    EXPECT_EQ(twice.metadata->problem,
              "the domain carries mdev-migcheck's metadata element more than once");
}

namespace {

// Counts the elements it is told of and throws at the THROW_AT-th.
class ThrowingSink final : public XmlEventSink {
public:
    explicit ThrowingSink(int throw_at) : throw_at_(throw_at) {}
    bool start(std::string_view local, std::string_view, const AttrSource&) override {
        if (++started == throw_at_) {
            throw std::runtime_error("sink refuses <" + std::string(local) + ">");
        }
        return true;
    }
    void text(std::string_view) override {}
    void end() override { ++ended; }
    int started = 0;
    int ended = 0;

private:
    int throw_at_;
};

} // namespace

// What a sink throws stops the parse and comes out of parseEvents() as it
// was thrown, never through libxml2's frames; nothing more is reported.
TEST(XmlEvents, WhatTheSinkThrowsStopsTheParseAndIsThrownAgain) {
    const std::string xml =
        "<domain><name>n</name><devices><hostdev/><hostdev/></devices></domain>";
    ThrowingSink all(0);
    ASSERT_TRUE(parseEvents(xml, kMaxDomainXml, "domain XML", all));
    EXPECT_EQ(all.started, 5);
    EXPECT_EQ(all.ended, 5);
    ThrowingSink third(3);
    try {
        (void)parseEvents(xml, kMaxDomainXml, "domain XML", third);
        ADD_FAILURE() << "parseEvents returned";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "sink refuses <devices>");
    }
    EXPECT_EQ(third.started, 3);
    EXPECT_EQ(third.ended, 1); // </name> only
}
