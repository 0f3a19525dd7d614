#include "util/self_path.hpp"

#include <climits>
#include <unistd.h>

namespace mdevmc {

std::optional<std::string> selfDir() {
    char buf[PATH_MAX];
    const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) {
        return std::nullopt;
    }
    std::string self(buf, static_cast<std::size_t>(n));
    const auto slash = self.rfind('/');
    if (slash == std::string::npos) {
        return std::nullopt;
    }
    self.resize(slash);
    return self;
}

std::string pathBesideSelf(std::string_view rel) {
    auto dir = selfDir();
    if (!dir) {
        return {};
    }
    *dir += '/';
    *dir += rel;
    return std::move(*dir);
}

} // namespace mdevmc
