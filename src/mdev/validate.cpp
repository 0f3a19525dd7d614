#include "mdev/validate.hpp"

#include <array>
#include <cctype>

namespace mdevmc {

namespace {

// Each byte's value as a hex digit, or kNotHex.
constexpr unsigned char kNotHex = 0xff;
constexpr std::array<unsigned char, 256> kHexValue = [] {
    std::array<unsigned char, 256> t{};
    t.fill(kNotHex);
    for (unsigned char c = 0; c < 10; ++c) {
        t['0' + c] = c;
    }
    for (unsigned char c = 0; c < 6; ++c) {
        t['a' + c] = t['A' + c] = static_cast<unsigned char>(10 + c);
    }
    return t;
}();

// Where the dashes of an 8-4-4-4-12 UUID are.
bool isDashAt(std::size_t i) {
    return i == 8 || i == 13 || i == 18 || i == 23;
}

char lowered(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

} // namespace

bool isValidUuid(std::string_view s) {
    return uuidKey(s).has_value();
}

std::string canonicalUuid(std::string_view uuid) {
    std::string out(uuid);
    lowerAscii(out);
    return out;
}

void lowerAscii(std::string& s) {
    for (char& c : s) {
        c = lowered(c); // ASCII only: a UUID has no other letters
    }
}

bool equalsIgnoringAsciiCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lowered(a[i]) != lowered(b[i])) {
            return false;
        }
    }
    return true;
}

std::optional<UuidKey> uuidKey(std::string_view s) {
    if (s.size() != 36) {
        return std::nullopt;
    }
    UuidKey k;
    std::size_t digits = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (isDashAt(i)) {
            if (s[i] != '-') {
                return std::nullopt;
            }
            continue;
        }
        const unsigned char v = kHexValue[static_cast<unsigned char>(s[i])];
        if (v == kNotHex) {
            return std::nullopt;
        }
        std::uint64_t& half = digits < 16 ? k.high : k.low;
        half = (half << 4) | v;
        ++digits;
    }
    return k;
}

bool isValidName(std::string_view s) {
    if (s.empty() || s.size() > kMaxNameLength || s[0] == '.' || s[0] == '-') {
        return false;
    }
    for (char c : s) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' || c == '+' ||
                        c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

Result<void> checkVersion(std::string_view version) {
    if (version.empty()) {
        return fail("migration_version is empty");
    }
    if (version.size() > kMaxVersionLength) {
        return fail("migration_version is " + std::to_string(version.size()) +
                    " bytes long, more than the " + std::to_string(kMaxVersionLength) +
                    " the protocol allows");
    }
    for (std::size_t i = 0; i < version.size(); ++i) {
        const auto c = static_cast<unsigned char>(version[i]);
        if (c < 0x20 || c > 0x7e) {
            return fail("migration_version " + quoteValue(version) +
                        " has a non-printable or non-ASCII byte at offset " + std::to_string(i));
        }
    }
    return {};
}

std::string quoteValue(std::string_view s) {
    constexpr std::size_t kShown = 80;
    std::string out = "'";
    for (std::size_t i = 0; i < s.size() && i < kShown; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c <= 0x7e && c != '\\' && c != '\'') {
            out += static_cast<char>(c);
        } else {
            static constexpr char kHex[] = "0123456789abcdef";
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
        }
    }
    out += '\'';
    if (s.size() > kShown) {
        out += "... (" + std::to_string(s.size()) + " bytes)";
    }
    return out;
}

} // namespace mdevmc
