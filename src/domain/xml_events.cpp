#include "domain/xml_events.hpp"

#include "domain/xml_util.hpp"
#include "mdev/validate.hpp"

#include <cstring>
#include <exception>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

namespace mdevmc {

using namespace xml;

namespace hardened {

namespace {

DtdSeen& dtdSeen(void* vctxt) {
    return *static_cast<DtdSeen*>(static_cast<xmlParserCtxtPtr>(vctxt)->_private);
}

// A DOCTYPE (and with it any entity declaration) stops the parse.
void onInternalSubset(void* vctxt, const xmlChar*, const xmlChar*, const xmlChar*) {
    dtdSeen(vctxt).seen = true;
    xmlStopParser(static_cast<xmlParserCtxtPtr>(vctxt));
}

void onEntityDecl(void* vctxt, const xmlChar*, int, const xmlChar*, const xmlChar*, xmlChar*) {
    dtdSeen(vctxt).seen = true;
    xmlStopParser(static_cast<xmlParserCtxtPtr>(vctxt));
}

void ignoreGenericError(void* /*ctx*/, const char* /*msg*/, ...) {}
#if LIBXML_VERSION >= 21200
void ignoreStructuredError(void* /*ctx*/, const xmlError* /*error*/) {}
#else
void ignoreStructuredError(void* /*ctx*/, xmlErrorPtr /*error*/) {}
#endif

} // namespace

Result<void> checkInput(std::string_view xml, std::size_t max_bytes, const char* what) {
    if (xml.size() > max_bytes) {
        return fail(std::string(what) + " is " + std::to_string(xml.size()) +
                        " bytes, more than the " + std::to_string(max_bytes) + " accepted",
                    EFBIG);
    }
    if (xml.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        return fail(std::string(what) + " is empty", EINVAL);
    }
    return {};
}

int options() {
    // NOENT: every reference is replaced where the parser would otherwise
    // keep "&#38;" (attribute values, namespace URIs): a sink and a tree
    // are given the values as they are meant.  A document can declare no
    // entity of its own (its DTD stops the parse).
    return XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOENT;
}

void refuseDtd(xmlSAXHandler* sax) {
    sax->internalSubset = onInternalSubset;
    sax->entityDecl = onEntityDecl;
}

std::string failure(xmlParserCtxt* ctxt, const DtdSeen& dtd, const char* what) {
    if (dtd.seen) {
        return std::string(what) +
               " has a document type declaration (DOCTYPE), which libvirt never "
               "produces; it is not parsed";
    }
    if (ctxt->wellFormed != 0) {
        return {};
    }
    const xmlError* e = xmlCtxtGetLastError(ctxt);
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
    return std::string(what) + " is not well-formed: line " + std::to_string(e ? e->line : 0) +
           ": " + msg;
}

std::string unwritableNamespaceError(const char* href, const char* what) {
    // xmlNodeDump() writes a declaration's value without escaping: '<' or
    // '&' would make the output not well-formed, and a tab, newline or
    // carriage return would come back as a space.
    if (href == nullptr || std::strpbrk(href, "<&\t\n\r") == nullptr) {
        return {};
    }
    return std::string(what) + " declares a namespace URI " + quoteValue(href) +
           " with a character that cannot be written back ('<', '&', tab, newline or carriage "
           "return)";
}

void silenceLibxml2() {
    static const bool done = [] {
        xmlSetGenericErrorFunc(nullptr, ignoreGenericError);
        xmlSetStructuredErrorFunc(nullptr, ignoreStructuredError);
        return true;
    }();
    (void)done;
}

} // namespace hardened

namespace {

// What the SAX callbacks share, reached through the parser's _private.
struct SaxState : hardened::DtdSeen {
    XmlEventSink* sink = nullptr;
    const char* what = "";
    // Elements open inside one the sink refused, that one included.
    std::size_t skipping = 0;
    // The first namespace declaration that cannot be written back.
    std::string bad_namespace;
    // What the sink threw: the parse stops, and parseEvents() throws it
    // again once out of libxml2 (no exception crosses its C frames).
    std::exception_ptr thrown;
};

SaxState& saxState(void* vctxt) {
    auto* dtd = static_cast<hardened::DtdSeen*>(static_cast<xmlParserCtxtPtr>(vctxt)->_private);
    return *static_cast<SaxState*>(dtd);
}

// Runs F for the parse behind VCTXT; what it throws stops the parse.
template <typename F>
void guarded(void* vctxt, F f) {
    SaxState& s = saxState(vctxt);
    try {
        f(s);
    } catch (...) {
        s.thrown = std::current_exception();
        xmlStopParser(static_cast<xmlParserCtxtPtr>(vctxt));
    }
}

// SAX2 passes an element's attributes as five pointers each: local name,
// prefix, namespace URI, value, end of value.  A prefix no declaration
// binds comes with no URI.
constexpr int kAttrFields = 5;

void onStartElement(void* vctxt, const xmlChar* local, const xmlChar* prefix, const xmlChar* uri,
                    int nb_namespaces, const xmlChar** namespaces, int nb_attributes,
                    int /*nb_defaulted*/, const xmlChar** attributes) {
    guarded(vctxt, [&](SaxState& s) {
        for (int i = 0; i < nb_namespaces && s.bad_namespace.empty(); ++i) {
            s.bad_namespace = hardened::unwritableNamespaceError(C(namespaces[2 * i + 1]), s.what);
        }
        if (s.skipping > 0) {
            ++s.skipping;
            return;
        }
        // An attribute with a prefix is not one without a namespace, even
        // when no declaration binds the prefix: a tree names it "p:name"
        // (and xmlGetNoNsProp() does not find it by "name").
        const auto lookup = [&](const char* name) -> std::optional<std::string> {
            for (int i = 0; i < nb_attributes; ++i) {
                const xmlChar* const* a = attributes + std::ptrdiff_t{kAttrFields} * i;
                if (a[1] == nullptr && a[2] == nullptr && std::strcmp(C(a[0]), name) == 0) {
                    return std::string(C(a[3]), static_cast<std::size_t>(a[4] - a[3]));
                }
            }
            return std::nullopt;
        };
        // An element whose prefix no declaration binds is named with its
        // prefix, as a tree names it ("p:name", in no namespace).
        std::string qualified;
        std::string_view name = C(local);
        if (prefix != nullptr && uri == nullptr) {
            qualified = std::string(C(prefix)) + ":" + C(local);
            name = qualified;
        }
        if (!s.sink->start(name, uri != nullptr ? C(uri) : "", AttrSource(lookup))) {
            s.skipping = 1;
        }
    });
}

void onEndElement(void* vctxt, const xmlChar*, const xmlChar*, const xmlChar*) {
    guarded(vctxt, [](SaxState& s) {
        if (s.skipping > 0) {
            --s.skipping;
            return;
        }
        s.sink->end();
    });
}

// Comments and processing instructions are taken and dropped: libxml2
// parses them as it does for a tree only when someone takes them (its
// message for a comment not terminated quotes what it kept of it).
void onComment(void* /*vctxt*/, const xmlChar* /*text*/) {}
void onProcessingInstruction(void* /*vctxt*/, const xmlChar* /*target*/, const xmlChar* /*data*/) {}

void onText(void* vctxt, const xmlChar* text, int len) {
    guarded(vctxt, [&](SaxState& s) {
        if (s.skipping == 0) {
            s.sink->text(std::string_view(C(text), static_cast<std::size_t>(len)));
        }
    });
}

} // namespace

Result<void> parseEvents(std::string_view xml, std::size_t max_bytes, const char* what,
                         XmlEventSink& sink) {
    hardened::silenceLibxml2();
    MDEVMC_TRY(hardened::checkInput(xml, max_bytes, what));
    const ParserCtxtPtr ctxt(xmlCreateMemoryParserCtxt(xml.data(), static_cast<int>(xml.size())));
    if (ctxt == nullptr || ctxt->sax == nullptr) {
        return fail("cannot allocate an XML parser", ENOMEM);
    }
    // Only these events: no document, no tree.
    xmlSAXHandler sax{};
    sax.initialized = XML_SAX2_MAGIC;
    sax.startElementNs = onStartElement;
    sax.endElementNs = onEndElement;
    sax.characters = onText;
    sax.ignorableWhitespace = onText;
    sax.cdataBlock = onText;
    sax.comment = onComment;
    sax.processingInstruction = onProcessingInstruction;
    hardened::refuseDtd(&sax);
    *ctxt->sax = sax;
    SaxState state;
    state.sink = &sink;
    state.what = what;
    ctxt->_private = static_cast<hardened::DtdSeen*>(&state);
    xmlCtxtUseOptions(ctxt.get(), hardened::options());
    xmlParseDocument(ctxt.get());
    if (state.thrown) {
        std::rethrow_exception(state.thrown);
    }
    if (std::string err = hardened::failure(ctxt.get(), state, what); !err.empty()) {
        return fail(err, EINVAL);
    }
    if (!state.bad_namespace.empty()) {
        return fail(state.bad_namespace, EINVAL);
    }
    return {};
}

void replayElement(const xmlNode* el, XmlEventSink& sink) {
    const auto lookup = [el](const char* name) { return attr(el, name); };
    const char* ns = el->ns != nullptr && el->ns->href != nullptr ? C(el->ns->href) : "";
    if (!sink.start(C(el->name), ns, AttrSource(lookup))) {
        return;
    }
    for (const xmlNode* c = el->children; c != nullptr; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            replayElement(c, sink);
        } else if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
                   c->content != nullptr) {
            sink.text(C(c->content));
        }
    }
    sink.end();
}

} // namespace mdevmc
