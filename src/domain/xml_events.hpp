// An XML document read as a stream of events (an element starts, text, an
// element ends), from either of two sources that give the same events for
// the same document:
//  - parseEvents(): libxml2's SAX2 parser, which builds no tree (the hook
//    reads a domain with it: nothing of the document is kept but what the
//    sink keeps);
//  - replayElement(): a tree libxml2 parsed (DomainXml, the command line).
// A reader written once as an XmlEventSink (DomainFactsReader,
// MetadataParser) thus reads a document parsed either way by the same rules.
// Both parses are hardened alike (namespace `hardened` below): bounded size, no
// network, no DTD, no entity declarations.
#pragma once

#include "util/error.hpp"

#include <optional>
#include <string>
#include <string_view>

// libxml2's types, declared as libxml2 names them so this header need not
// include its headers; the reserved names are libxml2's, not ours.
using xmlNode = struct _xmlNode;             // NOLINT(bugprone-reserved-identifier)
using xmlParserCtxt = struct _xmlParserCtxt; // NOLINT(bugprone-reserved-identifier)
using xmlSAXHandler = struct _xmlSAXHandler; // NOLINT(bugprone-reserved-identifier)

namespace mdevmc {

// The attributes without a namespace of the element being reported, looked
// up by name (what xmlGetNoNsProp() finds, entities replaced).  Valid only
// during the start() call it is passed to.
class AttrSource {
public:
    template <typename F>
    explicit AttrSource(const F& lookup)
        : obj_(&lookup), call_([](const void* obj, const char* name) {
              return (*static_cast<const F*>(obj))(name);
          }) {}
    std::optional<std::string> operator()(const char* name) const { return call_(obj_, name); }

private:
    const void* obj_;
    std::optional<std::string> (*call_)(const void*, const char*);
};

class XmlEventSink {
public:
    virtual ~XmlEventSink() = default;
    // An element starts: its local name, its namespace URI ("" for none) and
    // attributes.  False when nothing inside it matters: the source then
    // reports nothing more of it, neither its content nor its end.
    virtual bool start(std::string_view local, std::string_view ns, const AttrSource& attrs) = 0;
    // Text or CDATA content of the element started last, possibly in pieces.
    virtual void text(std::string_view t) = 0;
    // The element started last (and not refused) ends.
    virtual void end() = 0;

protected:
    XmlEventSink() = default;
    XmlEventSink(const XmlEventSink&) = default;
    XmlEventSink& operator=(const XmlEventSink&) = default;
};

// Parses XML (at most MAX_BYTES, WHAT naming it in messages: "domain XML")
// and reports it to SINK as it goes.  Fails, naming WHAT, when it is too
// large, empty, not well-formed, has a DTD, or declares a namespace URI a
// tree of it could not be written back with (unwritableNamespaceError).
Result<void> parseEvents(std::string_view xml, std::size_t max_bytes, const char* what,
                         XmlEventSink& sink);

// Reports element EL and what is beneath it to SINK, as parseEvents() would
// have reported it.
void replayElement(const xmlNode* el, XmlEventSink& sink);

// The parts of the hardened parse DomainXml shares with parseEvents().
namespace hardened {
// Fails when XML is larger than MAX_BYTES or holds only whitespace.
Result<void> checkInput(std::string_view xml, std::size_t max_bytes, const char* what);
// The parser options: no network, no messages of its own, references
// replaced.
int options();
// Makes SAX stop the parse at a DTD or entity declaration and note it in
// the DtdSeen that CTXT's _private points to.
void refuseDtd(xmlSAXHandler* sax);
struct DtdSeen {
    bool seen = false;
};
// After a parse through CTXT: empty when it went well, else why not.
std::string failure(xmlParserCtxt* ctxt, const DtdSeen& dtd, const char* what);
// A namespace URI HREF with a character libxml2 cannot write back as it
// read it ('<', '&', tab, newline, carriage return): the message, else empty.
std::string unwritableNamespaceError(const char* href, const char* what);
// libxml2 writes nothing to stderr by itself in this process.
void silenceLibxml2();
} // namespace hardened

} // namespace mdevmc
