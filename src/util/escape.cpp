#include "util/escape.hpp"

#include <cstdint>

namespace mdevmc {

namespace {

// The length of the valid UTF-8 sequence at the start of S (2 to 4), or 0;
// CP receives its code point.
std::size_t utf8Sequence(std::string_view s, std::uint32_t& cp) {
    const auto b0 = static_cast<unsigned char>(s[0]);
    std::size_t len = 0;
    std::uint32_t min = 0;
    if ((b0 & 0xE0U) == 0xC0U) {
        len = 2;
        cp = b0 & 0x1FU;
        min = 0x80;
    } else if ((b0 & 0xF0U) == 0xE0U) {
        len = 3;
        cp = b0 & 0x0FU;
        min = 0x800;
    } else if ((b0 & 0xF8U) == 0xF0U) {
        len = 4;
        cp = b0 & 0x07U;
        min = 0x10000;
    } else {
        return 0;
    }
    if (s.size() < len) {
        return 0;
    }
    for (std::size_t i = 1; i < len; ++i) {
        const auto b = static_cast<unsigned char>(s[i]);
        if ((b & 0xC0U) != 0x80U) {
            return 0;
        }
        cp = (cp << 6U) | (b & 0x3FU);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0; // overlong, out of range, or a surrogate
    }
    return len;
}

// Code points that are valid but must not reach a terminal or a log as
// they are: C1 controls, line and paragraph separators, bidirectional
// controls, the BOM.
bool isHidden(std::uint32_t cp) {
    return (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
           (cp >= 0x200E && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069) || cp == 0x061C || cp == 0xFEFF;
}

void hexByte(std::string& out, unsigned char c) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += "\\x";
    out += kHex[c >> 4U];
    out += kHex[c & 0xFU];
}

} // namespace

std::string escapeLine(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7F) {
            if (c == '\\') {
                out += '\\';
            }
            out += static_cast<char>(c);
            ++i;
            continue;
        }
        if (c >= 0x80) {
            std::uint32_t cp = 0;
            const std::size_t len = utf8Sequence(text.substr(i), cp);
            if (len != 0 && !isHidden(cp)) {
                out.append(text.substr(i, len));
                i += len;
                continue;
            }
            const std::size_t bad = len != 0 ? len : 1;
            for (std::size_t k = 0; k < bad; ++k) {
                hexByte(out, static_cast<unsigned char>(text[i + k]));
            }
            i += bad;
            continue;
        }
        switch (c) {
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            hexByte(out, c);
            break;
        }
        ++i;
    }
    return out;
}

} // namespace mdevmc
