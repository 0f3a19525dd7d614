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

// Where the 32 digits of an 8-4-4-4-12 UUID are, between its dashes.
constexpr std::array<unsigned char, 32> kDigitAt = [] {
    std::array<unsigned char, 32> at{};
    std::size_t k = 0;
    for (unsigned char i = 0; i < 36; ++i) {
        if (i != 8 && i != 13 && i != 18 && i != 23) {
            at[k++] = i;
        }
    }
    return at;
}();

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
    if (s.size() != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-') {
        return std::nullopt;
    }
    // Sixteen digits into OUT; every lookup is or-ed into BAD, which keeps
    // kNotHex's high bits once a byte was not a hex digit.
    const auto half = [s](std::size_t first, std::uint64_t& out) {
        unsigned bad = 0;
        std::uint64_t v = 0;
        for (std::size_t k = first; k < first + 16; ++k) {
            const unsigned char d = kHexValue[static_cast<unsigned char>(s[kDigitAt[k]])];
            bad |= d;
            v = (v << 4) | (d & 0xfU);
        }
        out = v;
        return (bad & 0xf0U) == 0;
    };
    UuidKey k;
    if (!half(0, k.high) || !half(16, k.low)) {
        return std::nullopt;
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
