// Small libxml2 helpers shared by the domain XML and the metadata element:
// owning types for what libxml2 allocates, and element/attribute access.
#pragma once

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <memory>
#include <optional>
#include <string>

namespace mdevmc::xml {

struct DocFree {
    void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
struct ParserCtxtFree {
    void operator()(xmlParserCtxt* c) const { xmlFreeParserCtxt(c); }
};
struct BufferFree {
    void operator()(xmlBuffer* b) const { xmlBufferFree(b); }
};
struct NodeFree {
    void operator()(xmlNode* n) const { xmlFreeNode(n); }
};
struct CharFree {
    void operator()(xmlChar* s) const { xmlFree(s); }
};
using DocPtr = std::unique_ptr<xmlDoc, DocFree>;
using ParserCtxtPtr = std::unique_ptr<xmlParserCtxt, ParserCtxtFree>;
using BufferPtr = std::unique_ptr<xmlBuffer, BufferFree>;
using NodePtr = std::unique_ptr<xmlNode, NodeFree>;
using CharPtr = std::unique_ptr<xmlChar, CharFree>;

inline const xmlChar* X(const char* s) {
    return reinterpret_cast<const xmlChar*>(s);
}
inline const char* C(const xmlChar* s) {
    return reinterpret_cast<const char*>(s);
}

bool isElement(const xmlNode* n, const char* name);
// An element NAME in mdev-migcheck's metadata namespace.
bool isOurs(const xmlNode* n, const char* name);
std::optional<std::string> attr(const xmlNode* n, const char* name);
std::string text(const xmlNode* n);
// The first child element NAME of N, or nullptr.
xmlNode* child(const xmlNode* n, const char* name);
const xmlNode* firstChild(const xmlNode* n);
const xmlNode* next(const xmlNode* n);

} // namespace mdevmc::xml
