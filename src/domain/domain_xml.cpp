#include "domain/domain_xml.hpp"

#include "domain/xml_util.hpp"

#include <algorithm>
#include <cstring>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <stdexcept>

namespace mdevmc {

namespace {

using namespace xml;

// The first namespace declaration beneath ROOT that libxml2 cannot write
// back as it read it (hardened::unwritableNamespaceError): its message.
std::string unwritableNamespace(const xmlNode* root) {
    const xmlNode* n = root;
    while (n != nullptr) {
        if (n->type == XML_ELEMENT_NODE) {
            for (const xmlNs* ns = n->nsDef; ns != nullptr; ns = ns->next) {
                if (auto err = hardened::unwritableNamespaceError(C(ns->href), "domain XML");
                    !err.empty()) {
                    return err;
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
    return {};
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

Result<DomainXml> DomainXml::parse(std::string_view xml, std::size_t max_bytes) {
    hardened::silenceLibxml2();
    MDEVMC_TRY(hardened::checkInput(xml, max_bytes, "domain XML"));
    const ParserCtxtPtr ctxt(xmlNewParserCtxt());
    if (ctxt == nullptr) {
        return fail("cannot allocate an XML parser", ENOMEM);
    }
    hardened::DtdSeen dtd;
    ctxt->_private = &dtd;
    hardened::refuseDtd(ctxt->sax);
    DocPtr doc(xmlCtxtReadMemory(ctxt.get(), xml.data(), static_cast<int>(xml.size()), "domain.xml",
                                 nullptr, hardened::options()));
    if (std::string err = hardened::failure(ctxt.get(), dtd, "domain XML");
        !err.empty() || doc == nullptr) {
        return fail(err.empty() ? "domain XML cannot be parsed" : err, EINVAL);
    }
    auto impl = std::make_unique<Impl>();
    impl->doc = std::move(doc);
    // In the order parseEvents() finds them: a namespace while parsing,
    // the root after.
    if (std::string err = unwritableNamespace(impl->root()); !err.empty()) {
        return fail(err, EINVAL);
    }
    if (!isElement(impl->root(), "domain")) {
        return fail(notADomainError(), EINVAL);
    }
    return DomainXml(std::move(impl));
}

DomainFacts DomainXml::facts() const {
    DomainFactsReader reader;
    replayElement(impl_->root(), reader);
    return reader.finish();
}

void DomainXml::setMetadata(const Metadata& m) {
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
