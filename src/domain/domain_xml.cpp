#include "domain/domain_xml.hpp"

#include "mdev/validate.hpp"

#include <cstring>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

namespace mdevmc {

namespace {

const xmlChar* X(const char* s) {
    return reinterpret_cast<const xmlChar*>(s);
}

bool isElement(const xmlNode* n, const char* name) {
    return n != nullptr && n->type == XML_ELEMENT_NODE &&
           std::strcmp(reinterpret_cast<const char*>(n->name), name) == 0;
}

bool isOurs(const xmlNode* n, const char* name) {
    return isElement(n, name) && n->ns != nullptr && n->ns->href != nullptr &&
           std::strcmp(reinterpret_cast<const char*>(n->ns->href), kMetadataUri) == 0;
}

std::optional<std::string> attr(const xmlNode* n, const char* name) {
    xmlChar* v = xmlGetNoNsProp(n, X(name));
    if (v == nullptr) {
        return std::nullopt;
    }
    std::string out(reinterpret_cast<const char*>(v));
    xmlFree(v);
    return out;
}

std::string text(const xmlNode* n) {
    xmlChar* v = xmlNodeGetContent(n);
    if (v == nullptr) {
        return {};
    }
    std::string out(reinterpret_cast<const char*>(v));
    xmlFree(v);
    return out;
}

xmlNode* child(const xmlNode* n, const char* name) {
    for (xmlNode* c = n->children; c != nullptr; c = c->next) {
        if (isElement(c, name)) {
            return c;
        }
    }
    return nullptr;
}

struct ParseState {
    bool has_dtd = false;
};

// SAX hooks: a DOCTYPE (and with it any entity declaration) stops the parse.
void onInternalSubset(void* vctxt, const xmlChar*, const xmlChar*, const xmlChar*) {
    auto* ctxt = static_cast<xmlParserCtxtPtr>(vctxt);
    static_cast<ParseState*>(ctxt->_private)->has_dtd = true;
    xmlStopParser(ctxt);
}

void onEntityDecl(void* vctxt, const xmlChar*, int, const xmlChar*, const xmlChar*, xmlChar*) {
    auto* ctxt = static_cast<xmlParserCtxtPtr>(vctxt);
    static_cast<ParseState*>(ctxt->_private)->has_dtd = true;
    xmlStopParser(ctxt);
}

} // namespace

struct DomainXml::Impl {
    xmlDocPtr doc = nullptr;
    ~Impl() {
        if (doc != nullptr) {
            xmlFreeDoc(doc);
        }
    }
    xmlNode* root() const { return xmlDocGetRootElement(doc); }
};

DomainXml::DomainXml(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DomainXml::DomainXml(DomainXml&&) noexcept = default;
DomainXml& DomainXml::operator=(DomainXml&&) noexcept = default;
DomainXml::~DomainXml() = default;

Result<DomainXml> DomainXml::parse(std::string_view xml, std::size_t max_bytes) {
    if (xml.size() > max_bytes) {
        return fail("domain XML is " + std::to_string(xml.size()) + " bytes, more than the " +
                        std::to_string(max_bytes) + " accepted",
                    EFBIG);
    }
    if (xml.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        return fail("domain XML is empty", EINVAL);
    }
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (ctxt == nullptr) {
        return fail("cannot allocate an XML parser", ENOMEM);
    }
    ParseState state;
    ctxt->_private = &state;
    ctxt->sax->internalSubset = onInternalSubset;
    ctxt->sax->entityDecl = onEntityDecl;
    const int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, xml.data(), static_cast<int>(xml.size()), "domain.xml",
                                      nullptr, opts);
    std::string err;
    if (state.has_dtd) {
        err = "domain XML has a document type declaration (DOCTYPE), which libvirt never "
              "produces; it is not parsed";
    } else if (doc == nullptr || !ctxt->wellFormed) {
        const xmlError* e = xmlCtxtGetLastError(ctxt);
        std::string msg = e != nullptr && e->message != nullptr ? e->message : "unknown error";
        while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) {
            msg.pop_back();
        }
        err = "domain XML is not well-formed: line " + std::to_string(e ? e->line : 0) + ": " + msg;
    }
    xmlFreeParserCtxt(ctxt);
    auto impl = std::make_unique<Impl>();
    impl->doc = doc;
    if (!err.empty()) {
        return fail(err, EINVAL);
    }
    if (!isElement(impl->root(), "domain")) {
        return fail("XML document is not a libvirt domain (its root element is not <domain>)",
                    EINVAL);
    }
    return DomainXml(std::move(impl));
}

std::string DomainXml::name() const {
    const xmlNode* n = child(impl_->root(), "name");
    return n != nullptr ? text(n) : std::string();
}

std::string DomainXml::uuid() const {
    const xmlNode* n = child(impl_->root(), "uuid");
    return n != nullptr ? text(n) : std::string();
}

std::vector<MdevHostdev> DomainXml::mdevHostdevs() const {
    std::vector<MdevHostdev> out;
    const xmlNode* devices = child(impl_->root(), "devices");
    if (devices == nullptr) {
        return out;
    }
    for (const xmlNode* h = devices->children; h != nullptr; h = h->next) {
        if (!isElement(h, "hostdev") || attr(h, "mode").value_or("") != "subsystem" ||
            attr(h, "type").value_or("") != "mdev") {
            continue;
        }
        MdevHostdev d;
        d.model = attr(h, "model").value_or("");
        if (const xmlNode* src = child(h, "source")) {
            if (const xmlNode* addr = child(src, "address")) {
                d.uuid = attr(addr, "uuid").value_or("");
            }
        }
        d.uuid_valid = isValidUuid(d.uuid);
        if (d.uuid_valid) {
            d.uuid = canonicalUuid(d.uuid);
        }
        out.push_back(std::move(d));
    }
    return out;
}

std::optional<Metadata> DomainXml::metadata() const {
    const xmlNode* md = child(impl_->root(), "metadata");
    if (md == nullptr) {
        return std::nullopt;
    }
    for (const xmlNode* m = md->children; m != nullptr; m = m->next) {
        if (!isOurs(m, kMetadataElement)) {
            continue;
        }
        Metadata out;
        out.host = attr(m, "host").value_or("");
        for (const xmlNode* e = m->children; e != nullptr; e = e->next) {
            if (!isOurs(e, "mdev")) {
                continue;
            }
            MetadataEntry entry;
            entry.uuid = attr(e, "uuid").value_or("");
            entry.type = attr(e, "type").value_or("");
            entry.parent = attr(e, "parent").value_or("");
            entry.version = attr(e, "version");
            entry.error = attr(e, "error");
            entry.problem = checkEntry(entry);
            if (!entry.problem && out.find(entry.uuid) != nullptr) {
                entry.problem = "the UUID is recorded more than once";
            }
            out.entries.push_back(std::move(entry));
        }
        return out;
    }
    return std::nullopt;
}

void DomainXml::setMetadata(const Metadata& m) {
    xmlNode* root = impl_->root();
    xmlNode* md = child(root, "metadata");
    if (md == nullptr) {
        md = xmlNewNode(nullptr, X("metadata"));
        // libvirt keeps <metadata> after the naming elements.
        xmlNode* after = nullptr;
        for (xmlNode* c = root->children; c != nullptr; c = c->next) {
            for (const char* n : {"name", "uuid", "genid", "title", "description"}) {
                if (isElement(c, n)) {
                    after = c;
                }
            }
        }
        if (after != nullptr) {
            xmlAddNextSibling(after, md);
            xmlAddPrevSibling(md, xmlNewText(X("\n  ")));
        } else if (root->children != nullptr) {
            xmlAddPrevSibling(root->children, md);
        } else {
            xmlAddChild(root, md);
        }
    }
    for (xmlNode* c = md->children; c != nullptr;) {
        xmlNode* next = c->next;
        if (isOurs(c, kMetadataElement)) {
            if (xmlNode* prev = c->prev; prev != nullptr && xmlIsBlankNode(prev) != 0) {
                xmlUnlinkNode(prev);
                xmlFreeNode(prev);
            }
            xmlUnlinkNode(c);
            xmlFreeNode(c);
        }
        c = next;
    }
    xmlNode* el = xmlNewNode(nullptr, X(kMetadataElement));
    xmlNs* ns = xmlNewNs(el, X(kMetadataUri), X(kMetadataPrefix));
    xmlSetNs(el, ns);
    if (!m.host.empty()) {
        xmlNewProp(el, X("host"), X(m.host.c_str()));
    }
    // Indented like libvirt's own output, for the people who read it.
    for (const auto& e : m.entries) {
        xmlAddChild(el, xmlNewText(X("\n      ")));
        xmlNode* n = xmlNewChild(el, ns, X("mdev"), nullptr);
        xmlNewProp(n, X("uuid"), X(e.uuid.c_str()));
        if (!e.type.empty()) {
            xmlNewProp(n, X("type"), X(e.type.c_str()));
        }
        if (!e.parent.empty()) {
            xmlNewProp(n, X("parent"), X(e.parent.c_str()));
        }
        if (e.version) {
            xmlNewProp(n, X("version"), X(e.version->c_str()));
        }
        if (e.error) {
            xmlNewProp(n, X("error"), X(e.error->c_str()));
        }
    }
    if (!m.entries.empty()) {
        xmlAddChild(el, xmlNewText(X("\n    ")));
    }
    xmlNode* last = xmlGetLastChild(md);
    if (last == nullptr || last->type != XML_TEXT_NODE) {
        xmlAddChild(md, xmlNewText(X("\n    ")));
        xmlAddChild(md, el);
        xmlAddChild(md, xmlNewText(X("\n  ")));
    } else {
        // Keep the closing indentation of <metadata> after the new element.
        xmlAddPrevSibling(last, el);
        xmlAddPrevSibling(el, xmlNewText(X("\n    ")));
    }
}

std::string DomainXml::serialize() const {
    xmlBufferPtr buf = xmlBufferCreate();
    xmlNodeDump(buf, impl_->doc, impl_->root(), 0, 0);
    std::string out(reinterpret_cast<const char*>(xmlBufferContent(buf)),
                    static_cast<std::size_t>(xmlBufferLength(buf)));
    xmlBufferFree(buf);
    out += '\n';
    return out;
}

} // namespace mdevmc
