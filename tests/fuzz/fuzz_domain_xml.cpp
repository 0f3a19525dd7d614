// Fuzz target: libvirt domain XML and mdev-migcheck's metadata element
// (domain/domain_xml, domain/metadata).  The input is a domain XML.
// Asserted, besides the sanitizers' checks:
//  - formatMetadata() of the metadata read gives an element that
//    parseMetadata() reads back as the same records;
//  - readPlainEvents() reads only what libxml2's parseEvents() accepts,
//    and reports the same events (elements, namespaces, attributes, text,
//    what a refused element hides);
//  - readDomainFacts() (no tree) accepts what parse() accepts, with the
//    same message when it does not, and reads the same name, uuid, mdev
//    hostdevs and records as the parsed tree;
//  - after setMetadata() (the records read, or when there are none, records
//    made from the hostdevs), serialize() gives a document that parses, with
//    the same mdev hostdevs and exactly the records that were set.
// A record keeps its validity, except one made invalid by data the parser
// does not keep (more than kMaxFacts facts, more than one oracle record, an
// empty address= or alias=): what is written from it reads back valid (a
// known limitation).  A hostdev's guest address and alias, and a record's,
// survive both round trips.
// (Not asserted: that the serialized text is a fixed point.  libxml2 writes
// a namespace declaration's value without escaping, so a foreign
// namespace URI with a carriage return comes back with a space.)
#include "domain/domain_xml.hpp"
#include "domain/plain_xml.hpp"
#include "domain/xml_util.hpp"
#include "event_recorder.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace mdevmc;

namespace {

[[noreturn]] void failed(const char* what, std::string_view detail = {}) {
    std::fprintf(stderr, "fuzz_domain_xml: %s\n%.*s\n", what, static_cast<int>(detail.size()),
                 detail.data());
    std::abort();
}

bool sameFacts(const Fingerprint& a, const Fingerprint& b) {
    if (a.facts.size() != b.facts.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.facts.size(); ++i) {
        const Fact& x = a.facts[i];
        const Fact& y = b.facts[i];
        if (x.name != y.name || x.value != y.value || x.error != y.error) {
            return false;
        }
    }
    return true;
}

bool sameOracle(const std::optional<OracleRecord>& a, const std::optional<OracleRecord>& b) {
    if (a.has_value() != b.has_value()) {
        return false;
    }
    return !a || (a->name == b->name && a->token == b->token);
}

// The problems parseMetadata() finds in data it does not keep: the facts
// past kMaxFacts and all oracle records but the last.  A record written from
// what was kept cannot carry them (the input
// tests/fuzz/regressions/fuzz_domain_xml/more-than-one-oracle-record.xml).
bool problemOfDroppedData(const MetadataEntry& e) {
    if (!e.problem) {
        return false;
    }
    const std::string& p = *e.problem;
    return p == "it has more than one oracle record" || p == "its guest address is empty" ||
           p == "its alias is empty" ||
           (e.fingerprint.facts.size() == kMaxFacts && p.rfind("it has ", 0) == 0 &&
            p.find(" facts, more than the ") != std::string::npos);
}

// The same record: every field, and whether it is valid (except for a
// problem in data the parser dropped).
bool sameEntry(const MetadataEntry& a, const MetadataEntry& b) {
    const bool same_validity =
        a.problem.has_value() == b.problem.has_value() || (problemOfDroppedData(a) && !b.problem);
    return a.uuid == b.uuid && a.type == b.type && a.parent == b.parent && a.version == b.version &&
           a.error == b.error && a.address == b.address && a.alias == b.alias && same_validity &&
           sameFacts(a.fingerprint, b.fingerprint) && sameOracle(a.oracle, b.oracle);
}

void checkSameRecords(const Metadata& want, const Metadata& got, const char* where) {
    if (want.host != got.host || want.host_id != got.host_id || want.format != got.format) {
        failed(where, "host, host-id or format differ: '" + want.host + "' '" + want.host_id +
                          "' " + std::to_string(want.format) + " / '" + got.host + "' '" +
                          got.host_id + "' " + std::to_string(got.format));
    }
    if (want.entries.size() != got.entries.size()) {
        failed(where, std::to_string(want.entries.size()) + " records, then " +
                          std::to_string(got.entries.size()));
    }
    for (std::size_t i = 0; i < want.entries.size(); ++i) {
        if (!sameEntry(want.entries[i], got.entries[i])) {
            failed(where,
                   "record " + std::to_string(i) + " (uuid '" + want.entries[i].uuid +
                       "') differs; problem before: " + want.entries[i].problem.value_or("none") +
                       "; after: " + got.entries[i].problem.value_or("none"));
        }
    }
}

void checkSameHostdevs(const std::vector<MdevHostdev>& a, const std::vector<MdevHostdev>& b,
                       const char* where) {
    if (a.size() != b.size()) {
        failed(where, "the number of mdev hostdevs differs");
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].uuid != b[i].uuid || a[i].model != b[i].model ||
            a[i].uuid_valid != b[i].uuid_valid || a[i].address != b[i].address ||
            a[i].alias != b[i].alias) {
            failed(where, "an mdev hostdev differs: " + a[i].uuid + " / " + b[i].uuid);
        }
    }
}

// The element formatMetadata() writes, read back by parseMetadata().
void checkFormatParse(const Metadata& m) {
    const std::string text = formatMetadata(m);
    const xml::DocPtr doc(xmlReadMemory(text.data(), static_cast<int>(text.size()), "m.xml",
                                        nullptr,
                                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
    if (doc == nullptr || xmlDocGetRootElement(doc.get()) == nullptr) {
        failed("formatMetadata wrote an element that does not parse", text);
    }
    const Metadata back = parseMetadata(xmlDocGetRootElement(doc.get()));
    checkSameRecords(m, back, "formatMetadata then parseMetadata");
}

// Records for the hostdevs, as a host without migration_version makes them.
Metadata recordsFor(const std::vector<MdevHostdev>& hostdevs) {
    Metadata m;
    m.host = "fuzz-host";
    m.host_id = "0123456789abcdef0123456789abcdef";
    for (const auto& h : hostdevs) {
        if (!h.uuid_valid || m.find(h.uuid) != nullptr) {
            continue;
        }
        MetadataEntry e;
        e.uuid = h.uuid;
        e.type = "nvidia-231";
        e.parent = "0000:3b:00.0";
        e.error = "ENOENT";
        e.fingerprint.facts.push_back({"driver.version", "550.54.10", std::nullopt});
        e.address = h.address;
        e.alias = h.alias;
        m.entries.push_back(std::move(e));
    }
    clearSharedAddresses(m); // as recordDevices does
    m.index();
    return m;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    xmlInitParser();
    return 0;
}

// readPlainEvents() reads INPUT only where libxml2 accepts it, and as
// libxml2 reads it.
void checkPlainAsLibxml2(std::string_view input) {
    test::EventRecorder plain;
    if (readPlainEvents(input, plain) == PlainRead::NotPlain) {
        return;
    }
    test::EventRecorder sax;
    if (auto r = parseEvents(input, kMaxDomainXml, "domain XML", sax); !r) {
        failed("readPlainEvents reads a document libxml2 refuses", r.error().message);
    }
    if (plain.finish() != sax.finish()) {
        failed("readPlainEvents and libxml2 report other events", plain.log + "\n" + sax.log);
    }
}

// readDomainFacts() reads INPUT as parse() read it into XML (or failed to).
void checkReadTheSame(std::string_view input, const Result<DomainXml>& xml) {
    const auto read = readDomainFacts(input);
    if (read.has_value() != xml.has_value()) {
        failed("parse and readDomainFacts disagree on whether the document is accepted");
    }
    if (!xml) {
        if (read.error().message != xml.error().message) {
            failed("parse and readDomainFacts refuse with different messages",
                   xml.error().message + "\n" + read.error().message);
        }
        return;
    }
    const DomainFacts tree = xml->facts();
    if (read->name != tree.name || read->uuid != tree.uuid) {
        failed("readDomainFacts reads another name or uuid");
    }
    checkSameHostdevs(tree.hostdevs, read->hostdevs, "parse, then readDomainFacts");
    const auto& a = tree.metadata;
    const auto& b = read->metadata;
    if (a.has_value() != b.has_value() || (a && a->problem != b->problem)) {
        failed("readDomainFacts reads the metadata element otherwise");
    }
    if (a) {
        checkSameRecords(*a, *b, "parse, then readDomainFacts");
        for (std::size_t i = 0; i < a->entries.size(); ++i) {
            if (a->entries[i].problem != b->entries[i].problem) {
                failed("readDomainFacts finds another problem in a record");
            }
        }
    }
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    auto xml = DomainXml::parse(input);
    checkPlainAsLibxml2(input);
    checkReadTheSame(input, xml);
    if (!xml) {
        if (xml.error().message.empty()) {
            failed("a parse error without a message");
        }
        return 0;
    }
    const auto hostdevs = xml->mdevHostdevs();
    const auto read = xml->metadata();
    if (read) {
        checkFormatParse(*read);
    }
    const Metadata set = read ? *read : recordsFor(hostdevs);
    xml->setMetadata(set);
    const std::string text = xml->serialize();

    auto again = DomainXml::parse(text);
    if (!again) {
        failed("the serialized document does not parse", again.error().message + "\n" + text);
    }
    checkSameHostdevs(hostdevs, again->mdevHostdevs(), "setMetadata, serialize, parse");
    const auto reread = again->metadata();
    if (!reread) {
        failed("the metadata set is not in the serialized document", text);
    }
    checkSameRecords(set, *reread, "setMetadata, serialize, parse");
    return 0;
}
