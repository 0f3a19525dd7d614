#include "domain/domain_facts.hpp"
#include "domain/domain_xml.hpp"
#include "domain/plain_xml.hpp"
#include "domain_samples.hpp"
#include "event_recorder.hpp"
#include "fake_sysfs.hpp"

#include <filesystem>
#include <gtest/gtest.h>
#include <stdexcept>
#include <string>
#include <vector>

using namespace mdevmc;
using mdevmc::test::EventRecorder;
using mdevmc::test::readFile;

namespace {

// The events parseEvents() (libxml2) reports for XML, which it must accept.
std::string libxml2Events(const std::string& xml) {
    EventRecorder rec;
    const auto r = parseEvents(xml, kMaxDomainXml, "domain XML", rec);
    EXPECT_TRUE(r) << (r ? "" : r.error().message) << "\n" << xml;
    return rec.finish();
}

// XML is plain, and read as libxml2 reads it.
void expectPlain(const std::string& xml) {
    EventRecorder rec;
    ASSERT_EQ(readPlainEvents(xml, rec), PlainRead::Read) << xml;
    EXPECT_EQ(rec.finish(), libxml2Events(xml)) << xml;
}

// XML is not plain, and readDomainFacts() reads it as the tree does
// (libxml2 decides).
void expectNotPlain(const std::string& xml) {
    EventRecorder rec;
    EXPECT_EQ(readPlainEvents(xml, rec), PlainRead::NotPlain) << xml;
    const auto tree = DomainXml::parse(xml);
    const auto read = readDomainFacts(xml);
    ASSERT_EQ(read.has_value(), tree.has_value()) << xml;
    if (!tree) {
        EXPECT_EQ(read.error().message, tree.error().message);
        return;
    }
    const DomainFacts facts = tree->facts();
    EXPECT_EQ(read->name, facts.name);
    EXPECT_EQ(read->uuid, facts.uuid);
    EXPECT_EQ(read->hostdevs.size(), facts.hostdevs.size());
}

const std::string kMdev = "<devices><hostdev mode='subsystem' type='mdev' model='vfio-pci'>"
                          "<source><address uuid='c2177883-f1bb-47f0-914d-32a22e3a8804'/>"
                          "</source></hostdev></devices>";

std::string domain(const std::string& inside) {
    return "<domain type='kvm'><name>vm</name>" + inside + kMdev + "</domain>";
}

} // namespace

// Every domain of xml/samples is plain, as libvirt writes a domain, and
// reads as libxml2 reads it.
TEST(PlainXml, TheSampleDomainsArePlainAndReadAsLibxml2ReadsThem) {
    int domains = 0;
    for (const auto& e : std::filesystem::directory_iterator(MDEVMC_SAMPLES_DIR)) {
        const std::string xml = readFile(e.path().string());
        expectPlain(xml);
        domains += xml.starts_with("<domain") ? 1 : 0;
    }
    EXPECT_GE(domains, 6);
}

TEST(PlainXml, ReferencesCommentsNamespacesAndEmptyElementsReadAsLibxml2ReadsThem) {
    const std::vector<std::string> docs = {
        domain(""),
        "<a/>",
        "\n \t<!-- before --><a x=\"1\" b = '2' >t</a ><!-- after -->\n",
        domain("<description>a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos; ]] > ]&gt;"
               "</description>"),
        domain("<title a='&#233;&#x10FFFF;&#9;&#xa;&#13;&#x41;&#0065;' b='&lt;&amp;&gt;'>"
               "&#233;&#x20AC;x&#13;</title>"),
        "<a>x<!-- c - d -->y<!---->z</a>",
        "<a xmlns='urn:x'><b xmlns=''><c/></b><d/></a>",
        std::string("<p:a xmlns:p='http://example.org/ns/1?q=1#f' xmlns:q='urn:q'>") +
            "<q:b><p:c/></q:b><b xmlns:p='urn:other'><p:c/></b><p:c/></p:a>",
        std::string("<domain><metadata><m:migcheck xmlns:m='urn:mdev-migcheck:metadata:1'>") +
            "<m:mdev uuid='u' type='t' parent='p' version='v'/></m:migcheck></metadata></domain>",
        "<a><refused x='1'><b>t</b><c/></refused><b x='2'>u</b></a>",
        "<a><b></b ><c\n/></a>",
        "<a xmlnsx='1' xmlns:xmlnsx='urn:y'/>",
    };
    for (const auto& xml : docs) {
        expectPlain(xml);
    }
}

// What the plain part leaves out goes to libxml2, whatever it makes of it:
// well-formed or not, with or without a DTD.
TEST(PlainXml, WhatIsNotPlainIsLeftToLibxml2) {
    const std::vector<std::string> docs = {
        // an XML declaration, a DTD, a processing instruction, CDATA
        "<?xml version='1.0'?>" + domain(""),
        "<!DOCTYPE domain>" + domain(""),
        domain("<?pi x?>"),
        domain("<description><![CDATA[x]]></description>"),
        // bytes: UTF-8, carriage return, other controls, DEL
        domain("<description>\xc3\xa9</description>"),
        domain("<description>a\r\nb</description>"),
        domain("<description>a\x01</description>"),
        domain("<description>a\x7f</description>"),
        // names
        domain("<p:x/>"),
        domain("<x:/>"),
        domain("<1x/>"),
        domain("<x\xc3\xa9/>"),
        "<a:b:c xmlns:a='urn:a'/>",
        // attributes
        domain("<x a='1' a='2'/>"),
        domain("<x a='1'b='2'/>"),
        domain("<x a='<'/>"),
        domain("<x a='\t'/>"),
        domain("<x a='\n'/>"),
        domain("<x a='&unknown;'/>"),
        domain("<x a='&#0;'/>"),
        domain("<x a='&#xD800;'/>"),
        domain("<x a='&#x110000;'/>"),
        domain("<x a='&#X41;'/>"),
        domain("<x a='&#;'/>"),
        domain("<x a='&amp'/>"),
        domain("<x a='1' xml:lang='en'/>"),
        domain("<x p:a='1' xmlns:p='urn:p'/>"),
        domain("<x a=1/>"),
        domain("<x a/>"),
        domain("<x a='1/>"),
        domain("<x a=']]>'/>"),
        // namespace declarations
        domain("<x xmlns:p=''/>"),
        domain("<x xmlns:xml='http://www.w3.org/XML/1998/namespace'/>"),
        domain("<x xmlns:xmlns='urn:x'/>"),
        domain("<x xmlns='http://www.w3.org/2000/xmlns/'/>"),
        domain("<x xmlns:p='urn:a&amp;b'/>"),
        domain("<x xmlns:p='urn:a b'/>"),
        domain("<x xmlns:p='urn:%41'/>"),
        domain("<x xmlns:p='urn:a' xmlns:p='urn:b'/>"),
        domain("<xml:x/>"),
        // text, comments, structure
        domain("<description>a]]>b</description>"),
        domain("<description>&nbsp;</description>"),
        domain("<description>&#1;</description>"),
        domain("<!-- a -- b -->"),
        domain("<!-- a --->"),
        domain("<!-- a"),
        "<domain><name>vm</name>",
        "<domain><name>vm</domain>",
        "<domain></domain >x",
        "<domain/><domain/>",
        "<!-- only a comment -->",
        "x<domain/>",
        "<domain></ domain>",
        "<domain",
        "<domain x='1'",
    };
    for (const auto& xml : docs) {
        expectNotPlain(xml);
    }
}

TEST(PlainXml, DepthAndAttributeCountAreBounded) {
    std::string deep;
    for (std::size_t i = 0; i < kMaxPlainDepth; ++i) {
        deep += "<a>";
    }
    for (std::size_t i = 0; i < kMaxPlainDepth; ++i) {
        deep += "</a>";
    }
    expectPlain(deep);
    expectNotPlain("<b>" + deep + "</b>");

    std::string many = "<a";
    for (std::size_t i = 0; i < kMaxPlainAttributes; ++i) {
        many += " a" + std::to_string(i) + "='1'";
    }
    expectPlain(many + "/>");
    expectNotPlain(many + " z='1'/>");

    const std::string name(kMaxPlainName, 'n');
    expectPlain("<" + name + "/>");
    expectNotPlain("<" + name + "n/>");
}

// The hook's reading: a plain domain, and the same domain made not plain
// at its start (a comment with a UTF-8 byte) or at its end (a processing
// instruction after the root element, met once every element was
// reported), give the same facts, the last two through libxml2.
TEST(PlainXml, ReadDomainFactsReadsAPlainDomainAsItReadsOneThatIsNot) {
    const std::string plain = readFile(std::string(MDEVMC_SAMPLES_DIR) + "/vgpu-two-mdevs.xml");
    const auto a = readDomainFacts(plain);
    ASSERT_TRUE(a);
    ASSERT_EQ(a->hostdevs.size(), 2U);
    for (const std::string& other : {"<!-- \xc3\xa9 -->" + plain, plain + "<?pi x?>"}) {
        EventRecorder rec;
        ASSERT_EQ(readPlainEvents(other, rec), PlainRead::NotPlain);
        const auto b = readDomainFacts(other);
        ASSERT_TRUE(b);
        EXPECT_EQ(a->name, b->name);
        EXPECT_EQ(a->uuid, b->uuid);
        ASSERT_EQ(b->hostdevs.size(), 2U);
        for (std::size_t i = 0; i < 2; ++i) {
            EXPECT_EQ(a->hostdevs[i].uuid, b->hostdevs[i].uuid);
            EXPECT_EQ(a->hostdevs[i].model, b->hostdevs[i].model);
            EXPECT_EQ(a->hostdevs[i].address, b->hostdevs[i].address);
        }
    }
}

// Bytes are checked a word at a time: each byte that is not plain is
// found wherever it is in the word, and in the bytes after the last whole
// word; a tab or newline in text is plain anywhere.
TEST(PlainXml, EveryByteIsCheckedWhereverItIs) {
    const std::string doc = "<a>" + std::string(37, 'x') + "</a>";
    EventRecorder rec;
    ASSERT_EQ(readPlainEvents(doc, rec), PlainRead::Read);
    for (std::size_t p = 3; p < 40; ++p) {
        for (const int bad : {0x00, 0x01, 0x08, 0x0b, 0x0d, 0x1f, 0x7f, 0x80, 0xc3, 0xff}) {
            std::string d = doc;
            d[p] = static_cast<char>(bad);
            EventRecorder r;
            EXPECT_EQ(readPlainEvents(d, r), PlainRead::NotPlain) << "byte " << bad << " at " << p;
        }
        for (const char good : {'\t', '\n', ' ', '~', '>'}) {
            std::string d = doc;
            d[p] = good;
            expectPlain(d);
        }
    }
}

namespace {

class ThrowAtSecond final : public XmlEventSink {
public:
    bool start(std::string_view local, std::string_view, const AttrSource&) override {
        if (++started == 2) {
            throw std::runtime_error("refuses <" + std::string(local) + ">");
        }
        return true;
    }
    void text(std::string_view) override {}
    void end() override { ++ended; }
    int started = 0;
    int ended = 0;
};

} // namespace

TEST(PlainXml, WhatTheSinkThrowsComesOutAsThrown) {
    ThrowAtSecond sink;
    EXPECT_THROW((void)readPlainEvents("<a><b/><c/></a>", sink), std::runtime_error);
    EXPECT_EQ(sink.started, 2);
    EXPECT_EQ(sink.ended, 0);
}
