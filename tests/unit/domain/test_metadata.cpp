// The record format 2 (facts, host-id, oracle token) as written and read,
// the format-1 records of mdev-migcheck 0.1, and hostile records.
#include "domain/domain_xml.hpp"
#include "domain/metadata.hpp"
#include "domain_samples.hpp"
#include "fake_sysfs.hpp"

#include <gtest/gtest.h>
#include <libxml/relaxng.h>

using namespace mdevmc;
using mdevmc::test::parseOk;
using mdevmc::test::readFile;
using mdevmc::test::validatesAgainstSchema;

namespace {

constexpr const char* kU1 = "c2177883-f1bb-47f0-914d-32a22e3a8804";
constexpr const char* kU2 = "0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3a";
constexpr const char* kHostId = "0123456789abcdef0123456789abcdef";

std::string domainWith(const std::string& metadata) {
    return "<domain type='kvm'><name>vgpu</name>"
           "<uuid>3e1e7d8c-1b4a-4f63-9a43-52f0c1e9d0aa</uuid><metadata>" +
           metadata +
           "</metadata><devices><hostdev mode='subsystem' type='mdev' model='vfio-pci'>"
           "<source><address uuid='" +
           kU1 + "'/></source></hostdev></devices></domain>";
}

Metadata metadataOf(const std::string& metadata) {
    const auto m = parseOk(domainWith(metadata)).metadata();
    if (!m) {
        ADD_FAILURE() << "no metadata";
        return {};
    }
    return *m;
}

// A full format-2 record: one mdev with facts of both kinds and an oracle
// token, one whose device was missing.
Metadata format2() {
    Metadata m;
    m.host = "hostA";
    m.host_id = kHostId;
    MetadataEntry e;
    e.uuid = kU1;
    e.type = "nvidia-231";
    e.parent = "0000:3b:00.0";
    e.error = "ENOENT";
    e.fingerprint.facts = {
        {"type", std::string("nvidia-231"), std::nullopt},
        {"type.description", std::string("num_heads=4, a<b & \"c\" 'd'"), std::nullopt},
        {"parent.pci", std::string("10de:1eb8"), std::nullopt},
        {"driver.version", std::string("550.54.10"), std::nullopt},
        {"vendor_module.version", std::nullopt, std::string("ETIMEDOUT")},
        {"type.name", std::string(""), std::nullopt},
    };
    e.oracle = OracleRecord{"nvml", "AQAAAP+/=="};
    m.entries.push_back(e);
    MetadataEntry missing;
    missing.uuid = kU2;
    missing.error = "ENODEV";
    m.entries.push_back(missing);
    return m;
}

MetadataEntry validEntry() {
    MetadataEntry e;
    e.uuid = kU1;
    e.type = "nvidia-231";
    e.parent = "0000:3b:00.0";
    e.error = "ENOENT";
    e.fingerprint.facts = {{"driver.version", std::string("550.54.10"), std::nullopt}};
    return e;
}

} // namespace

TEST(MetadataFormat2, RoundTripThroughTheElementAndTheDomain) {
    const Metadata m = format2();
    const std::string text = formatMetadata(m);
    EXPECT_NE(text.find("format=\"2\""), std::string::npos);
    EXPECT_NE(text.find("host-id=\"" + std::string(kHostId) + "\""), std::string::npos);
    EXPECT_TRUE(validatesAgainstSchema(text)) << text;

    DomainXml d = parseOk(domainWith(""));
    d.setMetadata(m);
    const std::string serialized = d.serialize();
    const auto back = parseOk(serialized).metadata();
    ASSERT_TRUE(back.has_value());
    EXPECT_FALSE(back->problem.has_value());
    EXPECT_EQ(back->host, "hostA");
    EXPECT_EQ(back->host_id, kHostId);
    EXPECT_EQ(back->format, 2);
    ASSERT_EQ(back->entries.size(), 2U);
    const MetadataEntry& e = back->entries[0];
    EXPECT_FALSE(e.problem.has_value()) << *e.problem;
    EXPECT_EQ(e.uuid, kU1);
    EXPECT_EQ(e.type, "nvidia-231");
    EXPECT_EQ(e.parent, "0000:3b:00.0");
    EXPECT_EQ(e.error, "ENOENT");
    EXPECT_FALSE(e.version.has_value());
    ASSERT_EQ(e.fingerprint.facts.size(), m.entries[0].fingerprint.facts.size());
    for (std::size_t i = 0; i < e.fingerprint.facts.size(); ++i) {
        const Fact& want = m.entries[0].fingerprint.facts[i];
        const Fact& got = e.fingerprint.facts[i];
        EXPECT_EQ(got.name, want.name);
        EXPECT_EQ(got.value, want.value) << want.name;
        EXPECT_EQ(got.error, want.error) << want.name;
    }
    ASSERT_TRUE(e.oracle.has_value());
    EXPECT_EQ(e.oracle->name, "nvml");
    EXPECT_EQ(e.oracle->token, "AQAAAP+/==");
    EXPECT_EQ(back->entries[1].error, "ENODEV");
    EXPECT_TRUE(back->entries[1].fingerprint.facts.empty());
    EXPECT_FALSE(back->entries[1].oracle.has_value());
    ASSERT_NE(back->find(kU1), nullptr);
    EXPECT_EQ(back->find(std::string("C2177883-F1BB-47F0-914D-32A22E3A8804"))->uuid, kU1);

    // The form virDomainSetMetadata takes: no prefix, no declaration.
    const std::string bare = formatMetadata(m, false, 2);
    EXPECT_EQ(bare.find("mdevmc:"), std::string::npos);
    EXPECT_EQ(bare.find("xmlns"), std::string::npos);
    EXPECT_NE(bare.find("<fact name=\"driver.version\" value=\"550.54.10\"/>"), std::string::npos);
    EXPECT_NE(bare.find("<oracle name=\"nvml\" token=\"AQAAAP+/==\"/>"), std::string::npos);
}

TEST(MetadataFormat2, SchemaRefusesWhatTheParserRefuses) {
    Metadata m = format2();
    EXPECT_TRUE(validatesAgainstSchema(formatMetadata(m)));
    Metadata bad_id = m;
    bad_id.host_id = "not-hex";
    EXPECT_FALSE(validatesAgainstSchema(formatMetadata(bad_id)));
    Metadata bad_fact = m;
    bad_fact.entries[0].fingerprint.facts[0].name = "Type";
    EXPECT_FALSE(validatesAgainstSchema(formatMetadata(bad_fact)));
    Metadata long_fact = m;
    long_fact.entries[0].fingerprint.facts[0].value = std::string(1025, 'x');
    EXPECT_FALSE(validatesAgainstSchema(formatMetadata(long_fact)));
    Metadata bad_token = m;
    bad_token.entries[0].oracle->token = "a b";
    EXPECT_FALSE(validatesAgainstSchema(formatMetadata(bad_token)));
    Metadata bad_errno = m;
    bad_errno.entries[0].fingerprint.facts[4].error = "timeout";
    EXPECT_FALSE(validatesAgainstSchema(formatMetadata(bad_errno)));
}

TEST(MetadataFormat2, Format1RecordStillParses) {
    const Metadata m = metadataOf(
        "<mdevmc:migcheck xmlns:mdevmc='urn:mdev-migcheck:metadata:1' host='old'>"
        "<mdevmc:mdev uuid='" +
        std::string(kU1) +
        "' type='i915-GVTg_V5_4' parent='0000:00:02.0' version='8086-193b-i915-GVTg_V5_4-5.2'/>"
        "<mdevmc:mdev uuid='" +
        kU2 +
        "' type='nvidia-63' parent='0000:3b:00.0' error='ENOENT'/>"
        "</mdevmc:migcheck>");
    EXPECT_FALSE(m.problem.has_value());
    EXPECT_EQ(m.format, 1);
    EXPECT_EQ(m.host, "old");
    EXPECT_EQ(m.host_id, "");
    ASSERT_EQ(m.entries.size(), 2U);
    EXPECT_FALSE(m.entries[0].problem.has_value());
    EXPECT_EQ(m.entries[0].version, "8086-193b-i915-GVTg_V5_4-5.2");
    EXPECT_TRUE(m.entries[0].fingerprint.facts.empty());
    EXPECT_FALSE(m.entries[0].oracle.has_value());
    EXPECT_FALSE(m.entries[1].problem.has_value());
    EXPECT_EQ(m.entries[1].error, "ENOENT");
    // And it is valid under the schema of format 2.
    EXPECT_TRUE(validatesAgainstSchema(
        "<mdevmc:migcheck xmlns:mdevmc='urn:mdev-migcheck:metadata:1' host='old'>"
        "<mdevmc:mdev uuid='" +
        std::string(kU1) + "' type='t' parent='p' version='v'/></mdevmc:migcheck>"));
}

TEST(MetadataFormat2, UnknownFutureElementsAndAttributesAreIgnored) {
    const Metadata m = metadataOf(
        "<m:migcheck xmlns:m='urn:mdev-migcheck:metadata:1' xmlns:x='urn:other' host='h' "
        "format='3' flavour='new'>"
        "<m:summary count='1'/>"
        "<m:mdev uuid='" +
        std::string(kU1) +
        "' type='nvidia-231' parent='0000:3b:00.0' error='ENOENT' "
        "priority='high'>"
        "<m:fact name='driver.version' value='550.54.10' confidence='1'/>"
        "<m:fact name='some.future_fact' value='x'/>"
        "<m:capability name='live'/><x:fact name='Bad Name' value='x'/>"
        "text<!-- a comment -->"
        "<m:oracle name='nvml' token='AQ' algo='v2'/>"
        "</m:mdev>"
        "<x:mdev uuid='bad'/>"
        "</m:migcheck>");
    EXPECT_FALSE(m.problem.has_value());
    EXPECT_EQ(m.format, 3);
    ASSERT_EQ(m.entries.size(), 1U);
    const MetadataEntry& e = m.entries[0];
    EXPECT_FALSE(e.problem.has_value()) << *e.problem;
    ASSERT_EQ(e.fingerprint.facts.size(), 2U);
    EXPECT_EQ(e.fingerprint.facts[1].name, "some.future_fact");
    ASSERT_TRUE(e.oracle.has_value());
    EXPECT_EQ(e.oracle->token, "AQ");
}

TEST(MetadataFormat2, BadFormatAttributeIsAProblem) {
    for (const char* f : {"0", "-1", "two", "2x", ""}) {
        const Metadata m = metadataOf("<m:migcheck xmlns:m='urn:mdev-migcheck:metadata:1' "
                                      "format='" +
                                      std::string(f) + "'/>");
        ASSERT_TRUE(m.problem.has_value()) << f;
        EXPECT_NE(m.problem->find("its format '" + std::string(f) + "'"), std::string::npos)
            << *m.problem;
    }
}

TEST(MetadataFormat2, DuplicateUuidMarksBothEntries) {
    const Metadata m = metadataOf(
        "<m:migcheck xmlns:m='urn:mdev-migcheck:metadata:1'>"
        "<m:mdev uuid='" +
        std::string(kU1) + "' type='t' version='v1'/><m:mdev uuid='" + kU2 +
        "' type='t' version='v'/><m:mdev uuid='C2177883-F1BB-47F0-914D-32A22E3A8804' type='t' "
        "version='v2'/></m:migcheck>");
    ASSERT_EQ(m.entries.size(), 3U);
    ASSERT_TRUE(m.entries[0].problem.has_value());
    ASSERT_TRUE(m.entries[2].problem.has_value());
    EXPECT_EQ(*m.entries[0].problem, "the UUID is recorded more than once");
    EXPECT_EQ(*m.entries[2].problem, "the UUID is recorded more than once");
    EXPECT_FALSE(m.entries[1].problem.has_value());
    // Whichever is found carries the problem.
    ASSERT_NE(m.find(kU1), nullptr);
    EXPECT_TRUE(m.find(kU1)->problem.has_value());
}

TEST(MetadataFormat2, FindTakesAnyCaseAndTheFirstRecordOfAUuid) {
    Metadata m = metadataOf("<m:migcheck xmlns:m='urn:mdev-migcheck:metadata:1'>"
                            "<m:mdev uuid='" +
                            std::string(kU2) +
                            "' type='a' version='v'/>"
                            "<m:mdev uuid='not-a-uuid' type='b' version='v'/>"
                            "<m:mdev uuid='C2177883-F1BB-47F0-914D-32A22E3A8804' type='c' "
                            "version='v'/><m:mdev uuid='" +
                            std::string(kU1) + "' type='d' version='v'/></m:migcheck>");
    ASSERT_EQ(m.entries.size(), 4U);
    // Indexed: the first of the two records of kU1, in either case.
    ASSERT_NE(m.find(kU1), nullptr);
    EXPECT_EQ(m.find(kU1)->type, "c");
    EXPECT_EQ(m.find("C2177883-F1BB-47F0-914D-32A22E3A8804")->type, "c");
    ASSERT_NE(m.find("0A9D3B9E-42A1-4B8F-9C4E-8D6C1F0E2B3A"), nullptr);
    EXPECT_EQ(m.find("0A9D3B9E-42A1-4B8F-9C4E-8D6C1F0E2B3A")->type, "a");
    // A string that is not a UUID is found as it is written, in any case.
    ASSERT_NE(m.find("NOT-A-UUID"), nullptr);
    EXPECT_EQ(m.find("NOT-A-UUID")->type, "b");
    EXPECT_EQ(m.find("00000000-0000-4000-8000-000000000000"), nullptr);
    EXPECT_EQ(m.find(""), nullptr);
    // Changed since it was indexed: found by a linear look, with the same rule.
    m.entries.erase(m.entries.begin());
    EXPECT_EQ(m.find(kU2), nullptr);
    ASSERT_NE(m.find(kU1), nullptr);
    EXPECT_EQ(m.find(kU1)->type, "c");
    m.index();
    EXPECT_EQ(m.find(kU1)->type, "c");
}

TEST(MetadataFormat2, TwoElementsAreAProblem) {
    const std::string one = "<m:migcheck xmlns:m='urn:mdev-migcheck:metadata:1' host='a'>"
                            "<m:mdev uuid='" +
                            std::string(kU1) + "' type='t' version='v'/></m:migcheck>";
    const auto m = parseOk(domainWith(one + one)).metadata();
    ASSERT_TRUE(m.has_value());
    ASSERT_TRUE(m->problem.has_value());
    EXPECT_EQ(*m->problem, "the domain carries mdev-migcheck's metadata element more than once");
    // One is fine.
    EXPECT_FALSE(parseOk(domainWith(one)).metadata()->problem.has_value());
}

TEST(MetadataFormat2, HostileFactsAreProblemsNamingTheFact) {
    struct Case {
        std::string fact;
        std::string problem;
    };
    const std::string big(1025, 'v');
    for (const Case& c : {
             Case{"<m:fact name='type.name' value='a&#10;b'/>",
                  "its fact type.name 'a\\x0ab' has a control or non-ASCII character"},
             Case{"<m:fact name='type.name' value='caf\xc3\xa9'/>",
                  "its fact type.name 'caf\\xc3\\xa9' has a control or non-ASCII character"},
             Case{"<m:fact name='driver.version' value='" + big + "'/>",
                  "its fact driver.version is 1025 bytes long, more than the 1024 accepted"},
             Case{"<m:fact name='Driver' value='x'/>", "a fact name 'Driver' is not valid"},
             Case{"<m:fact value='x'/>", "a fact name '' is not valid"},
             Case{"<m:fact name='../x' value='x'/>", "a fact name '../x' is not valid"},
             Case{"<m:fact name='driver' error='EBOGUS'/>",
                  "its fact driver has an error 'EBOGUS' that is not an errno name"},
             Case{"<m:fact name='driver' error='eio'/>",
                  "its fact driver has an error 'eio' that is not an errno name"},
             Case{"<m:fact name='driver'/>",
                  "its fact driver needs exactly one of a value or an error"},
             Case{"<m:fact name='driver' value='x' error='EIO'/>",
                  "its fact driver needs exactly one of a value or an error"},
             Case{"<m:fact name='driver' value='x'/><m:fact name='driver' value='y'/>",
                  "its fact driver is recorded more than once"},
             Case{"<m:oracle name='NV' token='t'/>", "its oracle name 'NV' is not valid"},
             Case{"<m:oracle name='nvml' token='a b'/>",
                  "its oracle token 'a b' is not 1 to 4096 printable ASCII characters without "
                  "spaces"},
             Case{"<m:oracle name='nvml' token=''/>",
                  "its oracle token '' is not 1 to 4096 printable ASCII characters without "
                  "spaces"},
             Case{"<m:oracle name='nvml' token='t'/><m:oracle name='other' token='u'/>",
                  "it has more than one oracle record"},
         }) {
        const Metadata m = metadataOf(
            "<m:migcheck xmlns:m='urn:mdev-migcheck:metadata:1'><m:mdev uuid='" + std::string(kU1) +
            "' type='nvidia-231' error='ENOENT'>" + c.fact + "</m:mdev></m:migcheck>");
        ASSERT_EQ(m.entries.size(), 1U) << c.fact;
        ASSERT_TRUE(m.entries[0].problem.has_value()) << c.fact;
        EXPECT_EQ(*m.entries[0].problem, c.problem) << c.fact;
    }
}

TEST(MetadataFormat2, TooManyFactsAreAProblemAndAreNotAllKept) {
    std::string facts;
    for (int i = 0; i < 10000; ++i) {
        facts += "<m:fact name='f" + std::to_string(i) + "' value='x'/>";
    }
    const Metadata m = metadataOf(
        "<m:migcheck xmlns:m='urn:mdev-migcheck:metadata:1'><m:mdev uuid='" + std::string(kU1) +
        "' type='t' error='ENOENT'>" + facts + "</m:mdev></m:migcheck>");
    ASSERT_EQ(m.entries.size(), 1U);
    ASSERT_TRUE(m.entries[0].problem.has_value());
    EXPECT_EQ(*m.entries[0].problem, "it has 10000 facts, more than the 64 accepted");
    EXPECT_LE(m.entries[0].fingerprint.facts.size(), kMaxFacts);
    // Exactly 64 is accepted.
    facts.clear();
    for (std::size_t i = 0; i < kMaxFacts; ++i) {
        facts += "<m:fact name='f" + std::to_string(i) + "' value='x'/>";
    }
    const Metadata ok = metadataOf(
        "<m:migcheck xmlns:m='urn:mdev-migcheck:metadata:1'><m:mdev uuid='" + std::string(kU1) +
        "' type='t' error='ENOENT'>" + facts + "</m:mdev></m:migcheck>");
    EXPECT_FALSE(ok.entries.at(0).problem.has_value()) << *ok.entries.at(0).problem;
}

TEST(MetadataFormat2, CheckEntryOnBuiltEntries) {
    MetadataEntry e = validEntry();
    EXPECT_EQ(checkEntry(e), std::nullopt);
    e.fingerprint.facts.assign(kMaxFacts + 1, Fact{"x", std::string("v"), std::nullopt});
    EXPECT_EQ(checkEntry(e), "it has 65 facts, more than the 64 accepted");
    e = validEntry();
    e.fingerprint.facts[0].value = std::string(kMaxFactValue, 'v');
    EXPECT_EQ(checkEntry(e), std::nullopt);
    e.oracle = OracleRecord{"nvml", std::string(kMaxOracleToken, 't')};
    EXPECT_EQ(checkEntry(e), std::nullopt);
    e.oracle->token += "t";
    EXPECT_NE(checkEntry(e)->find("its oracle token"), std::string::npos);
    e = validEntry();
    e.oracle = OracleRecord{std::string(33, 'n'), "t"};
    EXPECT_NE(checkEntry(e)->find("its oracle name"), std::string::npos);
}

TEST(MetadataFormat2, InvalidFactsAreWrittenAsTheyAre) {
    // A fact with neither a value nor an error, or with both, is not valid;
    // the element written from it must not read back as a valid one.
    Metadata m = format2();
    m.entries[0].fingerprint.facts = {{"driver", std::nullopt, std::nullopt},
                                      {"driver.version", "550.54.10", "EIO"}};
    const std::string text = formatMetadata(m);
    EXPECT_NE(text.find("<mdevmc:fact name=\"driver\"/>"), std::string::npos) << text;
    EXPECT_NE(text.find("value=\"550.54.10\" error=\"EIO\""), std::string::npos) << text;
    DomainXml w = parseOk(domainWith(""));
    w.setMetadata(m);
    const auto back = parseOk(w.serialize()).metadata();
    ASSERT_TRUE(back.has_value());
    ASSERT_TRUE(back->entries[0].problem.has_value());
    EXPECT_EQ(back->entries[0].fingerprint.facts.at(0).error, std::nullopt);
    EXPECT_EQ(back->entries[0].fingerprint.facts.at(1).error, "EIO");
}

TEST(MetadataFormat2, TabNewlineAndCarriageReturnSurviveInAttributes) {
    Metadata m = format2();
    m.host = "host\tA\nB\r";
    DomainXml d = parseOk(domainWith(""));
    d.setMetadata(m);
    EXPECT_EQ(parseOk(d.serialize()).metadata()->host, "host\tA\nB\r");
}

TEST(MetadataFormat2, GuestAddressAndAliasRoundTrip) {
    Metadata m = format2();
    m.entries[0].address = "0000:00:05.0";
    m.entries[0].alias = "ua-gpu0";
    m.entries[1].address = "0000:01:1f.7";
    const std::string text = formatMetadata(m);
    EXPECT_NE(text.find("error=\"ENOENT\" address=\"0000:00:05.0\" alias=\"ua-gpu0\">"),
              std::string::npos)
        << text;
    EXPECT_TRUE(validatesAgainstSchema(text)) << text;
    DomainXml d = parseOk(domainWith(""));
    d.setMetadata(m);
    const auto back = parseOk(d.serialize()).metadata();
    ASSERT_TRUE(back.has_value());
    ASSERT_EQ(back->entries.size(), 2U);
    EXPECT_FALSE(back->entries[0].problem) << *back->entries[0].problem;
    EXPECT_EQ(back->entries[0].address, "0000:00:05.0");
    EXPECT_EQ(back->entries[0].alias, "ua-gpu0");
    EXPECT_EQ(back->entries[1].address, "0000:01:1f.7");
    EXPECT_EQ(back->entries[1].alias, "");
    EXPECT_EQ(formatMetadata(*back), text);
}

TEST(MetadataFormat2, RecordWithoutAddressStillParses) {
    // As mdev-migcheck 0.2.0 wrote it.
    const Metadata m = metadataOf(
        "<mdevmc:migcheck xmlns:mdevmc='urn:mdev-migcheck:metadata:1' host='hostA' format='2'>"
        "<mdevmc:mdev uuid='" +
        std::string(kU1) +
        "' type='nvidia-231' parent='0000:3b:00.0' error='ENOENT'/>"
        "</mdevmc:migcheck>");
    ASSERT_EQ(m.entries.size(), 1U);
    EXPECT_FALSE(m.entries[0].problem) << *m.entries[0].problem;
    EXPECT_EQ(m.entries[0].address, "");
    EXPECT_EQ(m.entries[0].alias, "");
}

TEST(MetadataFormat2, HostileAddressesAndAliasesAreProblems) {
    const auto problemOf = [](const std::string& attrs) {
        const Metadata m =
            metadataOf("<mdevmc:migcheck xmlns:mdevmc='urn:mdev-migcheck:metadata:1' format='2'>"
                       "<mdevmc:mdev uuid='" +
                       std::string(kU1) + "' type='nvidia-231' error='ENOENT' " + attrs +
                       "/></mdevmc:migcheck>");
        return m.entries.at(0).problem.value_or("");
    };
    EXPECT_EQ(problemOf("address='0000:00:05.0' alias='ua-x'"), "");
    EXPECT_EQ(problemOf("address='00:05.0'"),
              "its guest address '00:05.0' is not a PCI address in the form 0000:00:05.0");
    for (const char* a : {"0000:00:20.0", "0000:00:05.8", "0000:00:05.00", "0000:00:0A.0",
                          "0x00:00:05.0", "0000-00-05.0", "0000:00:05.0\n"}) {
        EXPECT_NE(problemOf(std::string("address='") + a + "'").find("its guest address"),
                  std::string::npos)
            << a;
    }
    EXPECT_EQ(problemOf("address=''"), "its guest address is empty");
    EXPECT_EQ(problemOf("alias=''"), "its alias is empty");
    EXPECT_EQ(problemOf("alias='hostdev0'"),
              "its alias 'hostdev0' is not a user alias ('ua-' and up to 125 letters, digits, "
              "'_' or '-')");
    EXPECT_NE(problemOf("alias='ua-&lt;script&gt;'").find("is not a user alias"),
              std::string::npos);
    EXPECT_NE(problemOf("alias='ua-" + std::string(126, 'a') + "'").find("is not a user alias"),
              std::string::npos);
}

TEST(MetadataFormat2, AddressOrAliasRecordedTwiceMarksBoth) {
    const auto entriesOf = [](const std::string& a1, const std::string& a2) {
        return metadataOf("<mdevmc:migcheck xmlns:mdevmc='urn:mdev-migcheck:metadata:1' "
                          "format='2'><mdevmc:mdev uuid='" +
                          std::string(kU1) + "' type='t' error='ENOENT' " + a1 +
                          "/><mdevmc:mdev uuid='" + kU2 + "' type='t' error='ENOENT' " + a2 +
                          "/></mdevmc:migcheck>")
            .entries;
    };
    auto es = entriesOf("address='0000:00:05.0'", "address='0000:00:05.0'");
    ASSERT_EQ(es.size(), 2U);
    EXPECT_EQ(es[0].problem, "the guest address '0000:00:05.0' is recorded for more than one mdev");
    EXPECT_EQ(es[1].problem, es[0].problem);
    es = entriesOf("alias='ua-a'", "alias='ua-a'");
    EXPECT_EQ(es[0].problem, "the alias 'ua-a' is recorded for more than one mdev");
    EXPECT_EQ(es[1].problem, es[0].problem);
    es = entriesOf("address='0000:00:05.0' alias='ua-a'", "address='0000:00:06.0' alias='ua-b'");
    EXPECT_FALSE(es[0].problem);
    EXPECT_FALSE(es[1].problem);
}

TEST(MetadataFormat2, SchemaRefusesABadAddressOrAlias) {
    Metadata m = format2();
    m.entries[0].address = "0000:00:05.0";
    m.entries[0].alias = "ua-gpu0";
    EXPECT_TRUE(validatesAgainstSchema(formatMetadata(m)));
    Metadata bad = m;
    bad.entries[0].address = "0000:00:20.0";
    EXPECT_FALSE(validatesAgainstSchema(formatMetadata(bad)));
    bad = m;
    bad.entries[0].alias = "hostdev0";
    EXPECT_FALSE(validatesAgainstSchema(formatMetadata(bad)));
}
