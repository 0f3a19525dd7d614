#include "sysfs.hpp"

#include "mdev/validate.hpp"
#include "sysfs/root.hpp"

namespace mdevmc::oracle::nvml {

namespace {

std::string baseName(const std::string& p) {
    const auto slash = p.rfind('/');
    return slash == std::string::npos ? p : p.substr(slash + 1);
}

// The basename of the link REL beneath ROOT, when it is one and names a
// valid device or driver; else empty.
std::string linkName(const Root& root, const std::string& rel) {
    auto target = root.readLink(rel);
    if (!target) {
        return {};
    }
    std::string name = baseName(*target);
    return isValidName(name) ? name : std::string();
}

} // namespace

std::optional<ParentDevice> inspectParent(const std::string& root_path, const std::string& parent,
                                          std::string* error) {
    auto root = Root::open(root_path);
    if (!root) {
        *error = root.error().message;
        return std::nullopt;
    }
    // The parent's directory, every link followed beneath the root.
    auto dir = root->resolve(joinPath("sys/class/mdev_bus", parent));
    if (!dir) {
        *error = dir.error().message;
        return std::nullopt;
    }
    ParentDevice out;
    out.driver = linkName(*root, joinPath(*dir, "driver"));
    out.physfn = linkName(*root, joinPath(*dir, "physfn"));
    return out;
}

} // namespace mdevmc::oracle::nvml
