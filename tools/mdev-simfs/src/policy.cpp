#include "policy.hpp"

#include "names.hpp"

#include <cerrno>
#include <optional>

namespace mdevsim {

namespace {

struct Parsed {
    std::string_view vendor, device, type;
    unsigned major = 0, minor = 0;
};

std::optional<Parsed> parse(std::string_view s) {
    const auto d1 = s.find('-');
    if (d1 == std::string_view::npos) {
        return std::nullopt;
    }
    const auto d2 = s.find('-', d1 + 1);
    const auto last = s.rfind('-');
    if (d2 == std::string_view::npos || last <= d2 + 1) {
        return std::nullopt;
    }
    Parsed p;
    p.vendor = s.substr(0, d1);
    p.device = s.substr(d1 + 1, d2 - d1 - 1);
    p.type = s.substr(d2 + 1, last - d2 - 1);
    const auto mm = parseMajorMinor(s.substr(last + 1));
    if (p.vendor.empty() || p.device.empty() || p.type.empty() || !mm) {
        return std::nullopt;
    }
    p.major = mm->first;
    p.minor = mm->second;
    return p;
}

} // namespace

std::string formatVersion(std::string_view vendor, std::string_view device,
                          std::string_view type_id, std::string_view software_version) {
    std::string out(vendor);
    out += '-';
    out += device;
    out += '-';
    out += type_id;
    out += '-';
    out += software_version;
    return out;
}

int acceptVersion(std::string_view target, std::string_view written) {
    if (!written.empty() && written.back() == '\n') {
        written.remove_suffix(1);
    }
    const auto t = parse(target);
    const auto w = parse(written);
    if (!t || !w) {
        return EINVAL;
    }
    if (t->vendor != w->vendor || t->device != w->device || t->type != w->type ||
        t->major != w->major || w->minor > t->minor) {
        return EINVAL;
    }
    return 0;
}

} // namespace mdevsim
