#include "names.hpp"

#include <cctype>
#include <charconv>
#include <cstring>

namespace mdevsim {

bool isValidName(std::string_view s) {
    if (s.empty() || s.size() > 128 || s[0] == '.') {
        return false;
    }
    for (char c : s) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == ':' ||
              c == '+' || c == '-')) {
            return false;
        }
    }
    return true;
}

bool isValidUuid(std::string_view s) {
    if (s.size() != 36) {
        return false;
    }
    for (std::size_t i = 0; i < s.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash != (s[i] == '-') || (!dash && !std::isxdigit(static_cast<unsigned char>(s[i])))) {
            return false;
        }
    }
    return true;
}

bool isValidSysfsPath(std::string_view s) {
    std::size_t i = 0;
    while (i <= s.size()) {
        const std::size_t j = std::min(s.find('/', i), s.size());
        if (!isValidName(s.substr(i, j - i))) {
            return false;
        }
        i = j + 1;
    }
    return true;
}

std::string lowerCase(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

std::string basename(std::string_view path) {
    const auto slash = path.rfind('/');
    return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::optional<std::pair<unsigned, unsigned>> parseMajorMinor(std::string_view s) {
    const auto dot = s.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == s.size()) {
        return std::nullopt;
    }
    unsigned major = 0, minor = 0;
    const auto a = std::from_chars(s.data(), s.data() + dot, major);
    const auto b = std::from_chars(s.data() + dot + 1, s.data() + s.size(), minor);
    if (a.ec != std::errc() || a.ptr != s.data() + dot || b.ec != std::errc() ||
        b.ptr != s.data() + s.size()) {
        return std::nullopt;
    }
    return std::pair{major, minor};
}

std::optional<int> errnoFromName(std::string_view name) {
    for (int e = 1; e < 256; ++e) {
        const char* n = ::strerrorname_np(e);
        if (n != nullptr && name == n) {
            return e;
        }
    }
    return std::nullopt;
}

std::string errnoName(int err) {
    const char* n = ::strerrorname_np(err);
    return n != nullptr ? n : "E" + std::to_string(err);
}

} // namespace mdevsim
