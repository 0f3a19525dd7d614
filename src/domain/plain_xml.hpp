// The XML libvirt writes, read without libxml2.
//
// libvirt formats a domain for a hook in a small part of XML: ASCII, no XML
// declaration, no DTD, no CDATA, no processing instruction, attributes
// quoted with their special characters as references.  readPlainEvents()
// reads a document that keeps to that part ("plain", defined below) and
// reports it to a sink exactly as parseEvents() would.  It stops where a
// document is not plain, and the document is then left to parseEvents(),
// with a sink of its own, which accepts or refuses it with libxml2's rules
// and messages.  The hook so runs no libxml2 code for a domain libvirt
// writes in that part (one in ASCII), and libxml2 remains the judge of
// every other document.
//
// A plain document is, after a first check of every byte:
//  - bytes: tab, newline and 0x20-0x7e only (no carriage return, no byte
//    of a multi-byte character, no other control character);
//  - whitespace and comments, one element, whitespace and comments;
//  - names: an NCName of ASCII letters, digits, '_', '.', '-' (starting
//    with a letter or '_'), or two of them joined by ':' for an element
//    whose prefix a namespace declaration in scope binds; at most
//    kMaxPlainName bytes;
//  - attributes: unprefixed names, distinct in their element, values in
//    either quote without '<', tab or newline; namespace declarations
//    (xmlns=, xmlns:p=) with URIs of the characters a URI needs and no
//    reference, neither the xml nor the xmlns namespace nor prefix;
//  - references: &lt; &gt; &amp; &quot; &apos; and character references
//    to a character XML allows;
//  - text without "]]>"; comments without "--" but their end;
//  - at most kMaxPlainDepth elements open, kMaxPlainAttributes attributes
//    to an element.
// Every rule above is one libxml2 enforces or stricter: what is plain is
// well-formed, and its events are the same either way (tests/fuzz
// compares them).
#pragma once

#include "domain/xml_events.hpp"

#include <cstddef>
#include <string_view>

namespace mdevmc {

inline constexpr std::size_t kMaxPlainName = 1000;
inline constexpr std::size_t kMaxPlainDepth = 200;
inline constexpr std::size_t kMaxPlainAttributes = 64;

enum class PlainRead : unsigned char {
    Read,     // XML is plain; SINK was given all its events
    NotPlain, // XML is not plain; SINK may have been given the events before
              // the point where it is not: it is to be discarded
};

// Reads XML as far as it is plain, reporting it to SINK as parseEvents()
// would.  What SINK throws comes out as it was thrown.
PlainRead readPlainEvents(std::string_view xml, XmlEventSink& sink);

} // namespace mdevmc
