#include "domain/domain_xml.hpp"

#include "domain/device_address.hpp"
#include "domain/xml_util.hpp"
#include "mdev/validate.hpp"

#include <algorithm>
#include <cstring>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <stdexcept>

namespace mdevmc {

namespace {

using namespace xml;

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

// The first namespace declaration beneath ROOT whose URI libxml2 cannot
// write back as it read it: xmlNodeDump() writes a declaration's value
// without escaping, so '<' or '&' would make the output not well-formed and
// a tab, newline or carriage return would come back as a space.
const xmlNs* unwritableNamespace(const xmlNode* root) {
    const xmlNode* n = root;
    while (n != nullptr) {
        if (n->type == XML_ELEMENT_NODE) {
            for (const xmlNs* ns = n->nsDef; ns != nullptr; ns = ns->next) {
                if (ns->href != nullptr && std::strpbrk(C(ns->href), "<&\t\n\r") != nullptr) {
                    return ns;
                }
            }
        }
        if (n->type == XML_ELEMENT_NODE && n->children != nullptr) {
            n = n->children;
            continue;
        }
        while (n != nullptr && n != root && n->next == nullptr) {
            n = n->parent;
        }
        n = n == nullptr || n == root ? nullptr : n->next;
    }
    return nullptr;
}

} // namespace

struct DomainXml::Impl {
    DocPtr doc;
    xmlNode* root() const { return xmlDocGetRootElement(doc.get()); }
};

DomainXml::DomainXml(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DomainXml::DomainXml(DomainXml&&) noexcept = default;
DomainXml& DomainXml::operator=(DomainXml&&) noexcept = default;
DomainXml::~DomainXml() = default;

namespace {

void ignoreGenericError(void* /*ctx*/, const char* /*msg*/, ...) {}
#if LIBXML_VERSION >= 21200
void ignoreStructuredError(void* /*ctx*/, const xmlError* /*error*/) {}
#else
void ignoreStructuredError(void* /*ctx*/, xmlErrorPtr /*error*/) {}
#endif

// libxml2 writes some errors to stderr by itself (a huge text node, memory):
// in this process nothing reaches stderr but the messages built from the
// errors it records.
void silenceLibxml2() {
    static const bool done = [] {
        xmlSetGenericErrorFunc(nullptr, ignoreGenericError);
        xmlSetStructuredErrorFunc(nullptr, ignoreStructuredError);
        return true;
    }();
    (void)done;
}

} // namespace

Result<DomainXml> DomainXml::parse(std::string_view xml, std::size_t max_bytes) {
    return parseWith(xml, max_bytes, 0);
}

Result<DomainXml> DomainXml::parseToRead(std::string_view xml, std::size_t max_bytes) {
    auto d = parseWith(xml, max_bytes, XML_PARSE_COMPACT);
    if (d) {
        d->read_only_ = true;
    }
    return d;
}

Result<DomainXml> DomainXml::parseWith(std::string_view xml, std::size_t max_bytes, int options) {
    silenceLibxml2();
    if (xml.size() > max_bytes) {
        return fail("domain XML is " + std::to_string(xml.size()) + " bytes, more than the " +
                        std::to_string(max_bytes) + " accepted",
                    EFBIG);
    }
    if (xml.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        return fail("domain XML is empty", EINVAL);
    }
    const ParserCtxtPtr ctxt(xmlNewParserCtxt());
    if (ctxt == nullptr) {
        return fail("cannot allocate an XML parser", ENOMEM);
    }
    ParseState state;
    ctxt->_private = &state;
    ctxt->sax->internalSubset = onInternalSubset;
    ctxt->sax->entityDecl = onEntityDecl;
    const int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | options;
    DocPtr doc(xmlCtxtReadMemory(ctxt.get(), xml.data(), static_cast<int>(xml.size()), "domain.xml",
                                 nullptr, opts));
    std::string err;
    if (state.has_dtd) {
        err = "domain XML has a document type declaration (DOCTYPE), which libvirt never "
              "produces; it is not parsed";
    } else if (doc == nullptr || !ctxt->wellFormed) {
        const xmlError* e = xmlCtxtGetLastError(ctxt.get());
        std::string msg = e != nullptr && e->message != nullptr ? e->message : "unknown error";
        while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) {
            msg.pop_back();
        }
        // Some of libxml2's messages have more than one line ("Input is not
        // proper UTF-8 ...\nBytes: 0xFF ..."); the hook's refusal is one.
        for (char& c : msg) {
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
                c = ' ';
            }
        }
        err = "domain XML is not well-formed: line " + std::to_string(e ? e->line : 0) + ": " + msg;
    }
    if (!err.empty()) {
        return fail(err, EINVAL);
    }
    auto impl = std::make_unique<Impl>();
    impl->doc = std::move(doc);
    if (!isElement(impl->root(), "domain")) {
        return fail("XML document is not a libvirt domain (its root element is not <domain>)",
                    EINVAL);
    }
    if (const xmlNs* ns = unwritableNamespace(impl->root())) {
        return fail("domain XML declares a namespace URI " + quoteValue(C(ns->href)) +
                        " with a character that cannot be written back ('<', '&', tab, newline "
                        "or carriage return)",
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
    // Like libvirt's parser: hostdevs of every <devices> element, and a
    // hostdev without mode= is a subsystem one.
    for (const xmlNode* devices = impl_->root()->children; devices != nullptr;
         devices = devices->next) {
        if (!isElement(devices, "devices")) {
            continue;
        }
        appendMdevHostdevs(devices, out);
    }
    return out;
}

void DomainXml::appendMdevHostdevs(const xmlNode* devices, std::vector<MdevHostdev>& out) {
    for (const xmlNode* h = devices->children; h != nullptr; h = h->next) {
        if (!isElement(h, "hostdev") || attr(h, "mode").value_or("subsystem") != "subsystem" ||
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
        // The guest address is the hostdev's own <address> (the one in
        // <source> is the mdev's); an attribute left out is 0, as libvirt
        // reads it, and an address libvirt would not take is none.
        if (const xmlNode* ga = child(h, "address"); ga != nullptr && attr(ga, "type") == "pci") {
            d.address =
                guestPciAddress(attr(ga, "domain").value_or("0"), attr(ga, "bus").value_or("0"),
                                attr(ga, "slot").value_or("0"), attr(ga, "function").value_or("0"))
                    .value_or("");
        }
        if (const xmlNode* al = child(h, "alias")) {
            const std::string name = attr(al, "name").value_or("");
            d.alias = isUserAlias(name) ? name : std::string();
        }
        out.push_back(std::move(d));
    }
}

std::optional<Metadata> DomainXml::metadata() const {
    const xmlNode* md = child(impl_->root(), "metadata");
    if (md == nullptr) {
        return std::nullopt;
    }
    std::optional<Metadata> out;
    for (const xmlNode* m = md->children; m != nullptr; m = m->next) {
        if (!isOurs(m, kMetadataElement)) {
            continue;
        }
        if (out) {
            out->problem = "the domain carries mdev-migcheck's metadata element more than once";
            return out;
        }
        out = parseMetadata(m);
    }
    return out;
}

void DomainXml::setMetadata(const Metadata& m) {
    if (read_only_) {
        // COMPACT text nodes cannot be changed in place.
        throw std::logic_error("DomainXml::setMetadata on a document parsed to be read");
    }
    changed_ = true;
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
    // The one writer of the element is formatMetadata(); its text is
    // parsed here and the element moved into this document.
    const std::string text = formatMetadata(m, true, 4);
    const DocPtr frag(xmlReadMemory(text.data(), static_cast<int>(text.size()), "metadata.xml",
                                    nullptr,
                                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
    if (frag == nullptr || xmlDocGetRootElement(frag.get()) == nullptr) {
        return;
    }
    xmlNode* el = xmlDocCopyNode(xmlDocGetRootElement(frag.get()), impl_->doc.get(), 1);
    if (el == nullptr) {
        return;
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
    const BufferPtr buf(xmlBufferCreate());
    xmlNodeDump(buf.get(), impl_->doc.get(), impl_->root(), 0, 0);
    std::string out(C(xmlBufferContent(buf.get())),
                    static_cast<std::size_t>(xmlBufferLength(buf.get())));
    out += '\n';
    return out;
}

namespace {

// Removes every whitespace-only text node beneath N.
void dropBlanks(xmlNode* n) {
    for (xmlNode* c = n->children; c != nullptr;) {
        xmlNode* next = c->next;
        if (c->type == XML_TEXT_NODE && xmlIsBlankNode(c) != 0) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
        } else if (c->type == XML_ELEMENT_NODE) {
            dropBlanks(c);
        }
        c = next;
    }
}

} // namespace

std::string DomainXml::serializeWithoutMetadata() const {
    const DocPtr copy(xmlCopyDoc(impl_->doc.get(), 1));
    xmlNode* root = copy ? xmlDocGetRootElement(copy.get()) : nullptr;
    if (root == nullptr) {
        return {};
    }
    if (xmlNode* md = child(root, "metadata")) {
        for (xmlNode* c = md->children; c != nullptr;) {
            xmlNode* next = c->next;
            if (isOurs(c, kMetadataElement)) {
                xmlUnlinkNode(c);
                xmlFreeNode(c);
            }
            c = next;
        }
        dropBlanks(md);
        if (md->children == nullptr) {
            xmlUnlinkNode(md);
            xmlFreeNode(md);
        }
    }
    dropBlanks(root);
    const BufferPtr buf(xmlBufferCreate());
    xmlNodeDump(buf.get(), copy.get(), root, 0, 0);
    return {C(xmlBufferContent(buf.get())), static_cast<std::size_t>(xmlBufferLength(buf.get()))};
}

} // namespace mdevmc
