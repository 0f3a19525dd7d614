// Domain XML helpers for the domain tests: parsing that must succeed, and
// validation of the metadata element against the shipped RELAX NG schema.
#pragma once

#include "domain/domain_xml.hpp"

#include <cstdlib>
#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <string>

namespace mdevmc::test {

inline DomainXml parseOk(const std::string& text) {
    auto d = DomainXml::parse(text);
    if (!d) {
        ADD_FAILURE() << d.error().message;
        std::abort();
    }
    return std::move(*d);
}

// True if ELEMENT (an mdevmc:migcheck element as text) validates against
// the schema MDEVMC_SCHEMA names.
inline bool validatesAgainstSchema(const std::string& element) {
    xmlRelaxNGParserCtxtPtr pc = xmlRelaxNGNewParserCtxt(MDEVMC_SCHEMA);
    xmlRelaxNGPtr schema = xmlRelaxNGParse(pc);
    xmlRelaxNGValidCtxtPtr vc = xmlRelaxNGNewValidCtxt(schema);
    xmlDocPtr doc = xmlReadMemory(element.data(), static_cast<int>(element.size()), "m.xml",
                                  nullptr, XML_PARSE_NONET);
    const bool ok = doc != nullptr && xmlRelaxNGValidateDoc(vc, doc) == 0;
    xmlFreeDoc(doc);
    xmlRelaxNGFreeValidCtxt(vc);
    xmlRelaxNGFree(schema);
    xmlRelaxNGFreeParserCtxt(pc);
    return ok;
}

} // namespace mdevmc::test
