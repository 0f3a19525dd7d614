#include "mdev/host.hpp"

#include "mdev/validate.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>

namespace mdevmc {

namespace paths {

std::string device(std::string_view uuid) {
    return joinPaths({kBusDevices, uuid});
}
std::string parentTypes(std::string_view parent) {
    return joinPaths({kClassParents, parent, "mdev_supported_types"});
}
std::string type(std::string_view parent, std::string_view type_id) {
    return joinPaths({kClassParents, parent, "mdev_supported_types", type_id});
}
std::string typeAttr(std::string_view parent, std::string_view type_id, std::string_view attr) {
    return joinPaths({kClassParents, parent, "mdev_supported_types", type_id, attr});
}

} // namespace paths

namespace {

// The names a device lookup asks its directory about.
const std::vector<std::string>& typeLinkNames() {
    static const std::vector<std::string> names{"mdev_type"};
    return names;
}
const std::vector<std::string>& versionFileNames() {
    static const std::vector<std::string> names{paths::kMigrationVersion};
    return names;
}

std::string baseName(std::string_view p) {
    const auto slash = p.rfind('/');
    return std::string(slash == std::string_view::npos ? p : p.substr(slash + 1));
}

std::string_view dirName(std::string_view p) {
    const auto slash = p.rfind('/');
    return slash == std::string_view::npos ? std::string_view() : p.substr(0, slash);
}

} // namespace

std::string stripNewline(std::string s) {
    if (!s.empty() && s.back() == '\n') {
        s.pop_back();
    }
    return s;
}

Result<MdevDevice> MdevHost::device(std::string_view uuid_in, Deadline deadline) const {
    if (!isValidUuid(uuid_in)) {
        return fail("mdev UUID " + quoteValue(uuid_in) + " is not a canonical UUID", EINVAL);
    }
    const std::string uuid = canonicalUuid(uuid_in);
    // deviceRequest(uuid), made without copying its names.
    return deviceFrom(
        uuid, io_.probeDir(paths::device(uuid), typeLinkNames(), versionFileNames(), deadline));
}

IoRequest MdevHost::deviceRequest(std::string_view uuid) {
    // The device directory sits in its parent's directory; its mdev_type
    // link points at the parent's mdev_supported_types/TYPE.
    return IoRequest::probe(paths::device(uuid), typeLinkNames(), versionFileNames());
}

IoRequest MdevHost::typeLinkRequest(std::string_view dir) {
    return IoRequest::linksIn(std::string(dir), typeLinkNames());
}

Result<std::string> MdevHost::typeFrom(const Result<DirProbe>& probe) {
    if (!probe) {
        return Unexpected<Error>(probe.error());
    }
    const Result<std::string>& link = probe->links.at(0);
    if (!link) {
        return Unexpected<Error>(link.error());
    }
    return baseName(*link);
}

Result<MdevDevice> MdevHost::deviceFrom(std::string_view uuid_in,
                                        const Result<DirProbe>& probe) const {
    std::string uuid(uuid_in);
    if (!probe) {
        if (probe.error().err == ENOENT) {
            return fail("mdev " + uuid + " does not exist on this host (no '" +
                            root_.display(paths::device(uuid)) + "')",
                        ENOENT);
        }
        return fail("mdev " + uuid + ": " + probe.error().message, probe.error().err);
    }
    const Result<std::string>& type_link = probe->links.at(0);
    if (!type_link) {
        return fail("mdev " + uuid + " has no usable mdev_type link: " + type_link.error().message,
                    type_link.error().err);
    }
    MdevDevice d;
    d.uuid = std::move(uuid);
    d.dir = probe->dir;
    d.type_id = baseName(*type_link);
    d.parent = baseName(dirName(probe->dir));
    d.own_version = probe->files.at(0) == 0;
    if (!isValidName(d.type_id)) {
        return fail("mdev " + d.uuid + " has an mdev type named " + quoteValue(d.type_id) +
                        ", which is not a valid type id",
                    EINVAL);
    }
    if (!isValidName(d.parent)) {
        return fail("mdev " + d.uuid + " has a parent named " + quoteValue(d.parent) +
                        ", which is not a valid parent name",
                    EINVAL);
    }
    return d;
}

Result<std::vector<MdevDevice>> MdevHost::devices(Deadline deadline) const {
    auto names = io_.list(paths::kBusDevices, deadline);
    if (!names) {
        if (names.error().err == ENOENT) {
            return std::vector<MdevDevice>{};
        }
        return Unexpected<Error>(names.error());
    }
    std::vector<MdevDevice> out;
    for (const auto& n : *names) {
        if (auto d = device(n, deadline)) {
            out.push_back(std::move(*d));
        }
    }
    return out;
}

Result<std::vector<std::string>> MdevHost::validEntries(std::string_view dir, bool missing_is_empty,
                                                        Deadline deadline) const {
    auto names = io_.list(dir, deadline);
    if (!names) {
        if (missing_is_empty && names.error().err == ENOENT) {
            return std::vector<std::string>{};
        }
        return Unexpected<Error>(names.error());
    }
    // Entries that are not valid names are never used to build a path.
    std::vector<std::string> out;
    for (auto& n : *names) {
        if (isValidName(n)) {
            out.push_back(std::move(n));
        }
    }
    return out;
}

Result<std::vector<std::string>> MdevHost::parents(Deadline deadline) const {
    return validEntries(paths::kClassParents, true, deadline);
}

Result<std::vector<std::string>> MdevHost::types(std::string_view parent, Deadline deadline) const {
    if (!isValidName(parent)) {
        return fail("parent device name " + quoteValue(parent) + " is not valid", EINVAL);
    }
    return validEntries(paths::parentTypes(parent), false, deadline);
}

Result<std::vector<std::string>> MdevHost::parentsOffering(std::string_view type_id,
                                                           Deadline deadline) const {
    if (!isValidName(type_id)) {
        return fail("mdev type id " + quoteValue(type_id) + " is not valid", EINVAL);
    }
    auto ps = parents(deadline);
    if (!ps) {
        return Unexpected<Error>(ps.error());
    }
    std::vector<std::string> out;
    for (auto& p : *ps) {
        auto ts = types(p, deadline);
        if (ts && std::binary_search(ts->begin(), ts->end(), std::string(type_id))) {
            out.push_back(std::move(p));
        }
    }
    return out;
}

MdevTypeInfo MdevHost::typeInfo(std::string_view parent, std::string_view type_id,
                                Deadline deadline) const {
    MdevTypeInfo info;
    info.parent = std::string(parent);
    info.id = std::string(type_id);
    auto text = [&](const char* attr) -> std::optional<std::string> {
        AttrRead r = io_.read(paths::typeAttr(parent, type_id, attr), deadline);
        if (!r.ok()) {
            return std::nullopt;
        }
        return stripNewline(std::move(r.data));
    };
    info.name = text("name");
    info.device_api = text("device_api");
    if (auto a = text("available_instances")) {
        long v = 0;
        const auto [p, ec] = std::from_chars(a->data(), a->data() + a->size(), v);
        if (ec == std::errc() && p == a->data() + a->size() && v >= 0) {
            info.available_instances = v;
        }
    }
    return info;
}

} // namespace mdevmc
