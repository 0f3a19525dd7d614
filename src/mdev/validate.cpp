#include "mdev/validate.hpp"

#include <cctype>

namespace mdevmc {

namespace {

bool isHex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

char lowered(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::uint64_t hexValue(char c) {
    const char l = lowered(c);
    return static_cast<std::uint64_t>(l <= '9' ? l - '0' : l - 'a' + 10);
}

} // namespace

bool isValidUuid(std::string_view s) {
    if (s.size() != 36) {
        return false;
    }
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') {
                return false;
            }
        } else if (!isHex(s[i])) {
            return false;
        }
    }
    return true;
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
    if (!isValidUuid(s)) {
        return std::nullopt;
    }
    UuidKey k;
    std::size_t digits = 0;
    for (const char c : s) {
        if (c == '-') {
            continue;
        }
        std::uint64_t& half = digits < 16 ? k.high : k.low;
        half = (half << 4) | hexValue(c);
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
