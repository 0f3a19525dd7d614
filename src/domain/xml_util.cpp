#include "domain/xml_util.hpp"

#include "domain/metadata.hpp"

#include <cstring>

namespace mdevmc::xml {

bool isElement(const xmlNode* n, const char* name) {
    return n != nullptr && n->type == XML_ELEMENT_NODE && std::strcmp(C(n->name), name) == 0;
}

bool isOurs(const xmlNode* n, const char* name) {
    return isElement(n, name) && n->ns != nullptr && n->ns->href != nullptr &&
           std::strcmp(C(n->ns->href), kMetadataUri) == 0;
}

std::optional<std::string> attr(const xmlNode* n, const char* name) {
    const CharPtr v(xmlGetNoNsProp(n, X(name)));
    if (v == nullptr) {
        return std::nullopt;
    }
    return std::string(C(v.get()));
}

std::string text(const xmlNode* n) {
    const CharPtr v(xmlNodeGetContent(n));
    return v == nullptr ? std::string() : std::string(C(v.get()));
}

xmlNode* child(const xmlNode* n, const char* name) {
    for (xmlNode* c = n->children; c != nullptr; c = c->next) {
        if (isElement(c, name)) {
            return c;
        }
    }
    return nullptr;
}

const xmlNode* firstChild(const xmlNode* n) {
    return n->children;
}

const xmlNode* next(const xmlNode* n) {
    return n->next;
}

} // namespace mdevmc::xml
