#include "domain/device_address.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace mdevmc {

namespace {

// One attribute value of a PCI address, as libvirt reads it: "0x" and hex
// digits, or decimal digits; at most MAX.
std::optional<unsigned> addressPart(std::string_view s, unsigned max) {
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s.remove_prefix(2);
        base = 16;
    } else if (s.size() > 1 && s[0] == '0') {
        return std::nullopt; // C's base 0 reads a leading 0 as octal: not guessed at
    }
    if (s.empty() || s.size() > 8) {
        return std::nullopt;
    }
    unsigned v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (ec != std::errc() || ptr != s.data() + s.size() || v > max) {
        return std::nullopt;
    }
    return v;
}

bool isLowerHex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

} // namespace

std::optional<std::string> guestPciAddress(std::string_view domain, std::string_view bus,
                                           std::string_view slot, std::string_view function) {
    const auto d = addressPart(domain, 0xffff);
    const auto b = addressPart(bus, 0xff);
    const auto s = addressPart(slot, 0x1f);
    const auto f = addressPart(function, 7);
    if (!d || !b || !s || !f) {
        return std::nullopt;
    }
    char out[16];
    std::snprintf(out, sizeof(out), "%04x:%02x:%02x.%x", *d, *b, *s, *f);
    return std::string(out);
}

bool isValidGuestAddress(std::string_view s) {
    if (s.size() != 12 || s[4] != ':' || s[7] != ':' || s[10] != '.') {
        return false;
    }
    for (const std::size_t i : {0U, 1U, 2U, 3U, 5U, 6U, 8U, 9U}) {
        if (!isLowerHex(s[i])) {
            return false;
        }
    }
    return s[8] <= '1' && s[11] >= '0' && s[11] <= '7';
}

bool isUserAlias(std::string_view s) {
    if (s.size() <= 3 || s.size() > kMaxUserAlias || s.substr(0, 3) != "ua-") {
        return false;
    }
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
    });
}

} // namespace mdevmc
