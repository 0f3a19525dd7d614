#include "domain/plain_xml.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace mdevmc {

namespace {

constexpr std::string_view kXmlUri = "http://www.w3.org/XML/1998/namespace";
constexpr std::string_view kXmlnsUri = "http://www.w3.org/2000/xmlns/";

// Classes of the bytes a plain document may hold, looked up in one table.
enum : unsigned char {
    kPlainByte = 1, // tab, newline, 0x20-0x7e
    kNameStart = 2, // starts an NCName
    kNameByte = 4,  // continues an NCName
    kUriByte = 8,   // may be in a namespace URI (isPlainUri)
    kAttrStop = 16, // '<', tab, newline: not plain in an attribute value
    kAttrScan = 32, // what an attribute value is scanned for: kAttrStop, quotes, '&', ']'
};

constexpr std::array<unsigned char, 256> kClass = [] {
    std::array<unsigned char, 256> t{};
    t['\t'] = t['\n'] = kPlainByte | kAttrStop;
    for (std::size_t c = 0x20; c < 0x7f; ++c) {
        t[c] = kPlainByte;
    }
    t['<'] |= kAttrStop;
    for (const char c : std::string_view("<\t\n\"'&]")) {
        t[static_cast<unsigned char>(c)] |= kAttrScan;
    }
    for (std::size_t c = 0; c < t.size(); ++c) {
        const bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
        const bool digit = c >= '0' && c <= '9';
        if (letter || c == '_') {
            t[c] |= kNameStart;
        }
        if (letter || digit || c == '_' || c == '.' || c == '-') {
            t[c] |= kNameByte | kUriByte;
        }
    }
    // The characters a URI is made of, without '&' (a reference), quotes,
    // '%' or brackets: libxml2 takes such a URI and keeps it as written.
    for (const char c : std::string_view(":/?#@!$()*+,;=~")) {
        t[static_cast<unsigned char>(c)] |= kUriByte;
    }
    return t;
}();

bool is(char c, unsigned char cls) {
    return (kClass[static_cast<unsigned char>(c)] & cls) != 0;
}

// Whether every byte of S is tab, newline or 0x20-0x7e: eight bytes at a
// time while none is below 0x20 or above 0x7e, byte by byte for a word
// that has one (a tab, a newline, or a byte that is not plain).
bool allPlainBytes(std::string_view s) {
    constexpr std::uint64_t kOnes = 0x0101010101010101;
    constexpr std::uint64_t kHighs = 0x8080808080808080;
    std::size_t i = 0;
    for (; i + sizeof(std::uint64_t) <= s.size(); i += sizeof(std::uint64_t)) {
        std::uint64_t w = 0;
        std::memcpy(&w, s.data() + i, sizeof w);
        // A high bit set in BELOW or DEL where the byte is below 0x20 or
        // 0x7f (or, past such a byte, where the borrow carried: then the
        // bytes are looked at one by one anyway).
        const std::uint64_t below = (w - 0x20 * kOnes) & ~w;
        const std::uint64_t x = w ^ (0x7f * kOnes);
        const std::uint64_t del = (x - kOnes) & ~x;
        if (((w | below | del) & kHighs) != 0 &&
            !std::all_of(s.begin() + static_cast<std::ptrdiff_t>(i),
                         s.begin() + static_cast<std::ptrdiff_t>(i + sizeof w),
                         [](char c) { return is(c, kPlainByte); })) {
            return false;
        }
    }
    return std::all_of(s.begin() + static_cast<std::ptrdiff_t>(i), s.end(),
                       [](char c) { return is(c, kPlainByte); });
}

bool isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n';
}
bool isDigit(char c) {
    return c >= '0' && c <= '9';
}
int hexValue(char c) {
    if (isDigit(c)) {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

bool isPlainUri(std::string_view uri) {
    return std::all_of(uri.begin(), uri.end(), [](char c) { return is(c, kUriByte); });
}

// XML's Char production, for a character reference.
bool isXmlChar(std::uint32_t cp) {
    return cp == 0x9 || cp == 0xa || cp == 0xd || (cp >= 0x20 && cp <= 0xd7ff) ||
           (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

// The character a reference stands for, in UTF-8.
struct Decoded {
    char bytes[4] = {};
    std::size_t size = 0;
    std::string_view view() const { return {bytes, size}; }
};

void putUtf8(std::uint32_t cp, Decoded& out) {
    auto byte = [](std::uint32_t v) { return static_cast<char>(static_cast<unsigned char>(v)); };
    if (cp < 0x80) {
        out.bytes[0] = byte(cp);
        out.size = 1;
    } else if (cp < 0x800) {
        out.bytes[0] = byte(0xc0 | (cp >> 6));
        out.bytes[1] = byte(0x80 | (cp & 0x3f));
        out.size = 2;
    } else if (cp < 0x10000) {
        out.bytes[0] = byte(0xe0 | (cp >> 12));
        out.bytes[1] = byte(0x80 | ((cp >> 6) & 0x3f));
        out.bytes[2] = byte(0x80 | (cp & 0x3f));
        out.size = 3;
    } else {
        out.bytes[0] = byte(0xf0 | (cp >> 18));
        out.bytes[1] = byte(0x80 | ((cp >> 12) & 0x3f));
        out.bytes[2] = byte(0x80 | ((cp >> 6) & 0x3f));
        out.bytes[3] = byte(0x80 | (cp & 0x3f));
        out.size = 4;
    }
}

// S[POS] is '&': the reference there, decoded into OUT, POS moved past its
// ';'.  False for anything but a predefined entity or a character
// reference to a character XML allows.
bool readReference(std::string_view s, std::size_t& pos, Decoded& out) {
    constexpr std::size_t kLongest = 9; // "&#x10FFFF", before its ';'
    const std::size_t near = s.substr(pos, kLongest + 1).find(';');
    if (near == std::string_view::npos) {
        return false;
    }
    const std::size_t semi = pos + near;
    const std::string_view ref = s.substr(pos + 1, semi - pos - 1);
    static constexpr std::pair<std::string_view, char> kPredefined[] = {
        {"lt", '<'}, {"gt", '>'}, {"amp", '&'}, {"quot", '"'}, {"apos", '\''}};
    for (const auto& [name, c] : kPredefined) {
        if (ref == name) {
            out.bytes[0] = c;
            out.size = 1;
            pos = semi + 1;
            return true;
        }
    }
    if (ref.size() < 2 || ref[0] != '#') {
        return false;
    }
    const bool hex = ref[1] == 'x';
    const std::string_view digits = ref.substr(hex ? 2 : 1);
    if (digits.empty()) {
        return false;
    }
    std::uint32_t cp = 0;
    for (const char c : digits) {
        const int v = hex ? hexValue(c) : (isDigit(c) ? c - '0' : -1);
        if (v < 0) {
            return false;
        }
        cp = cp * (hex ? 16 : 10) + static_cast<std::uint32_t>(v); // at most 8 digits
    }
    if (!isXmlChar(cp)) {
        return false;
    }
    putUtf8(cp, out);
    pos = semi + 1;
    return true;
}

// Whether every '&' in S starts a reference readReference() takes.
bool referencesPlain(std::string_view s) {
    for (std::size_t pos = s.find('&'); pos != std::string_view::npos; pos = s.find('&', pos)) {
        Decoded d;
        if (!readReference(s, pos, d)) {
            return false;
        }
    }
    return true;
}

// S with its references replaced.
std::string decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    std::size_t pos = 0;
    for (std::size_t amp = s.find('&'); amp != std::string_view::npos; amp = s.find('&', pos)) {
        out.append(s.substr(pos, amp - pos));
        Decoded d;
        pos = amp;
        (void)readReference(s, pos, d); // checked by referencesPlain()
        out.append(d.view());
    }
    out.append(s.substr(pos));
    return out;
}

struct Attribute {
    std::string_view name;
    std::string_view raw; // as written between its quotes
};

struct Binding {
    std::string_view prefix; // "" for the default namespace
    std::string_view uri;    // "" undeclares the default namespace
};

struct Open {
    std::string_view qname;
    std::size_t bindings; // how many bindings were in scope before it
};

// One pass over a document that reports its events to the sink as it goes
// and stops where the document is not plain.
class Scanner {
public:
    Scanner(std::string_view xml, XmlEventSink& sink) : s_(xml), sink_(&sink) {
        open_.reserve(16);
        attrs_.reserve(8);
        bindings_.reserve(4);
    }

    bool run() {
        skipMisc();
        if (pos_ >= s_.size() || s_[pos_] != '<' || !startTag()) {
            return false;
        }
        while (!open_.empty()) {
            if (!content()) {
                return false;
            }
        }
        skipMisc();
        return pos_ == s_.size();
    }

private:
    bool startsWith(std::string_view what) const { return s_.substr(pos_).starts_with(what); }

    bool skipSpace() {
        const std::size_t from = pos_;
        while (pos_ < s_.size() && isSpace(s_[pos_])) {
            ++pos_;
        }
        return pos_ > from;
    }

    // At "<!--": the comment, which no "--" may end early.
    bool comment() {
        const std::size_t dashes = s_.find("--", pos_ + 4);
        if (dashes == std::string_view::npos || dashes + 2 >= s_.size() || s_[dashes + 2] != '>') {
            return false;
        }
        pos_ = dashes + 3;
        return true;
    }

    // Whitespace and comments, before or after the element.
    void skipMisc() {
        for (;;) {
            skipSpace();
            if (!startsWith("<!--") || !comment()) {
                return;
            }
        }
    }

    // An NCName at POS_, moved past it; empty if there is none.
    std::string_view ncName() {
        const std::size_t from = pos_;
        if (pos_ < s_.size() && is(s_[pos_], kNameStart)) {
            ++pos_;
            while (pos_ < s_.size() && is(s_[pos_], kNameByte)) {
                ++pos_;
            }
        }
        return s_.substr(from, pos_ - from);
    }

    // A name, PREFIX:LOCAL or LOCAL (PREFIX then empty).
    bool qName(std::string_view& qname, std::string_view& prefix, std::string_view& local) {
        const std::size_t from = pos_;
        local = ncName();
        prefix = {};
        if (!local.empty() && pos_ < s_.size() && s_[pos_] == ':') {
            ++pos_;
            prefix = local;
            local = ncName();
        }
        qname = s_.substr(from, pos_ - from);
        return !local.empty() && qname.size() <= kMaxPlainName;
    }

    bool attribute() {
        std::string_view name;
        std::string_view prefix;
        std::string_view local;
        if (!qName(name, prefix, local)) {
            return false;
        }
        skipSpace();
        if (pos_ >= s_.size() || s_[pos_] != '=') {
            return false;
        }
        ++pos_;
        skipSpace();
        if (pos_ >= s_.size() || (s_[pos_] != '"' && s_[pos_] != '\'')) {
            return false;
        }
        std::string_view raw;
        if (!attributeValue(raw)) {
            return false;
        }
        if (prefix.empty() && local == "xmlns") {
            return bind("", raw);
        }
        if (prefix == "xmlns") {
            return local != "xml" && local != "xmlns" && !raw.empty() && bind(local, raw);
        }
        if (!prefix.empty() || attrs_.size() >= kMaxPlainAttributes) {
            return false;
        }
        for (const Attribute& a : attrs_) {
            if (a.name == local) {
                return false;
            }
        }
        attrs_.push_back({local, raw});
        return true;
    }

    // At the quote that opens an attribute's value: the value as written
    // (RAW), POS_ moved past its closing quote.  False where it is not
    // plain: it has '<', a tab or a newline (kAttrStop), "]]>" or a '&' that
    // is not a reference readReference() takes, or it is not closed.  One
    // pass over the value, which is short.
    bool attributeValue(std::string_view& raw) {
        const char quote = s_[pos_];
        const std::size_t from = pos_ + 1;
        bool references = false;
        for (std::size_t i = from; i < s_.size(); ++i) {
            const char c = s_[i];
            if (!is(c, kAttrScan)) {
                continue;
            }
            if (c == quote) {
                raw = s_.substr(from, i - from);
                pos_ = i + 1;
                return !references || referencesPlain(raw);
            }
            if (is(c, kAttrStop) || (c == ']' && s_.substr(i).starts_with("]]>"))) {
                return false;
            }
            references = references || c == '&';
        }
        return false;
    }

    // A declaration of PREFIX as URI on the element being read.
    bool bind(std::string_view prefix, std::string_view uri) {
        if (!isPlainUri(uri) || uri == kXmlUri || uri == kXmlnsUri) {
            return false;
        }
        for (std::size_t i = tag_bindings_; i < bindings_.size(); ++i) {
            if (bindings_[i].prefix == prefix) {
                return false;
            }
        }
        bindings_.push_back({prefix, uri});
        return true;
    }

    // The URI PREFIX is bound to here ("" for none); nullopt when no
    // declaration binds a prefix.
    std::optional<std::string_view> resolve(std::string_view prefix) const {
        for (auto b = bindings_.rbegin(); b != bindings_.rend(); ++b) {
            if (b->prefix == prefix) {
                return b->uri;
            }
        }
        if (prefix.empty()) {
            return std::string_view{};
        }
        return std::nullopt;
    }

    // At '<' of a start tag: the tag, and the element's end when it is
    // empty.
    bool startTag() {
        ++pos_;
        std::string_view qname;
        std::string_view prefix;
        std::string_view local;
        if (!qName(qname, prefix, local) || open_.size() >= kMaxPlainDepth) {
            return false;
        }
        attrs_.clear();
        tag_bindings_ = bindings_.size();
        bool empty = false;
        for (;;) {
            const bool spaced = skipSpace();
            if (pos_ >= s_.size()) {
                return false;
            }
            if (s_[pos_] == '>') {
                ++pos_;
                break;
            }
            if (startsWith("/>")) {
                pos_ += 2;
                empty = true;
                break;
            }
            if (!spaced || !attribute()) {
                return false;
            }
        }
        if (prefix == "xml" || prefix == "xmlns") {
            return false;
        }
        const std::optional<std::string_view> uri = resolve(prefix);
        if (!uri) {
            return false;
        }
        open_.push_back({qname, tag_bindings_});
        report(local, *uri);
        return !empty || endElement();
    }

    void report(std::string_view local, std::string_view uri) {
        if (skipping_ > 0) {
            ++skipping_;
            return;
        }
        const auto lookup = [this](const char* name) -> std::optional<std::string> {
            const std::string_view wanted(name);
            for (const Attribute& a : attrs_) {
                if (a.name == wanted) {
                    return decode(a.raw);
                }
            }
            return std::nullopt;
        };
        if (!sink_->start(local, uri, AttrSource(lookup))) {
            skipping_ = 1;
        }
    }

    // The element open last ends.
    bool endElement() {
        bindings_.resize(open_.back().bindings);
        open_.pop_back();
        if (skipping_ > 0) {
            --skipping_;
        } else {
            sink_->end();
        }
        return true;
    }

    // At "</": the end tag of the element open last.
    bool endTag() {
        pos_ += 2;
        std::string_view qname;
        std::string_view prefix;
        std::string_view local;
        if (!qName(qname, prefix, local) || qname != open_.back().qname) {
            return false;
        }
        skipSpace();
        if (pos_ >= s_.size() || s_[pos_] != '>') {
            return false;
        }
        ++pos_;
        return endElement();
    }

    // Text up to the next '<' or '&'.
    bool text() {
        const std::size_t lt = std::min(s_.find('<', pos_), s_.size());
        const std::size_t end = std::min(s_.substr(0, lt).find('&', pos_), lt);
        const std::string_view run = s_.substr(pos_, end - pos_);
        if (run.find("]]>") != std::string_view::npos) {
            return false;
        }
        pos_ = end;
        emitText(run);
        return true;
    }

    void emitText(std::string_view t) {
        if (skipping_ == 0 && !t.empty()) {
            sink_->text(t);
        }
    }

    // What follows inside the element open last: text, a reference, a
    // comment, an element or its end.
    bool content() {
        if (pos_ >= s_.size()) {
            return false;
        }
        if (s_[pos_] == '&') {
            Decoded d;
            if (!readReference(s_, pos_, d)) {
                return false;
            }
            emitText(d.view());
            return true;
        }
        if (s_[pos_] != '<') {
            return text();
        }
        if (startsWith("</")) {
            return endTag();
        }
        if (startsWith("<!--")) {
            return comment();
        }
        return startTag(); // "<!" and "<?" have no name: not plain
    }

    std::string_view s_;
    std::size_t pos_ = 0;
    XmlEventSink* sink_;
    std::vector<Open> open_;
    std::vector<Attribute> attrs_;  // of the start tag read last
    std::vector<Binding> bindings_; // in scope, outermost first
    std::size_t tag_bindings_ = 0;  // the first made by the tag read last
    std::size_t skipping_ = 0;      // elements open inside a refused one
};

} // namespace

PlainRead readPlainEvents(std::string_view xml, XmlEventSink& sink) {
    return allPlainBytes(xml) && Scanner(xml, sink).run() ? PlainRead::Read : PlainRead::NotPlain;
}

} // namespace mdevmc
