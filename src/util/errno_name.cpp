#include "util/errno_name.hpp"

#include <cerrno>
#include <cstring>

namespace mdevmc {

namespace {
constexpr int kMaxErrno = 4095;
}

std::string errnoName(int err) {
    if (err > 0 && err <= kMaxErrno) {
        if (const char* n = ::strerrorname_np(err)) {
            return n;
        }
    }
    return "E" + std::to_string(err);
}

std::optional<int> errnoFromName(std::string_view name) {
    if (name.size() < 2 || name[0] != 'E') {
        return std::nullopt;
    }
    // Linux errnos are below 134; aliases (EWOULDBLOCK, EDEADLOCK) map to
    // their canonical value, whose name strerrorname_np returns.
    for (int e = 1; e < 256; ++e) {
        const char* n = ::strerrorname_np(e);
        if (n != nullptr && name == n) {
            return e;
        }
    }
    if (name == "EWOULDBLOCK") {
        return EWOULDBLOCK;
    }
    if (name == "EDEADLOCK") {
        return EDEADLOCK;
    }
    return std::nullopt;
}

std::string errnoText(int err) {
    if (const char* d = ::strerrordesc_np(err)) {
        return d;
    }
    return "Unknown error " + std::to_string(err);
}

std::string errnoPhrase(int err) {
    return errnoName(err) + ": " + errnoText(err);
}

} // namespace mdevmc
