#include "cli/versions.hpp"

#include "mdev/validate.hpp"
#include "util/errno_name.hpp"
#include "util/error.hpp"

#include <algorithm>
#include <cerrno>

namespace mdevmc::cli {

namespace {

std::string readError(const VersionRead& r) {
    switch (r.status) {
    case VersionRead::Status::Ok:
        return "";
    case VersionRead::Status::Missing:
        return "ENOENT";
    case VersionRead::Status::TimedOut:
        return "ETIMEDOUT";
    default:
        return errnoName(r.err != 0 ? r.err : EINVAL);
    }
}

} // namespace

std::string versionCell(const VersionRead& r) {
    switch (r.status) {
    case VersionRead::Status::Ok:
        return r.version;
    case VersionRead::Status::Missing:
        return "(absent)";
    case VersionRead::Status::Failed:
        return "(" + errnoName(r.err) + ")";
    case VersionRead::Status::TimedOut:
        return "(timed out)";
    case VersionRead::Status::Invalid:
        return "(invalid)";
    }
    return "";
}

void addVersionJson(Json& obj, const VersionRead& r) {
    obj["migration_version"] = r.ok() ? Json(r.version) : Json(nullptr);
    obj["migration_version_error"] = stringOrNull(readError(r));
}

std::vector<std::string> parentsFor(const std::string& command, const MdevHost& mdevs,
                                    const std::string& type,
                                    const std::optional<std::string>& parent) {
    const std::string who = "mdev-migcheck " + command + ": ";
    if (parent) {
        if (!isValidName(*parent)) {
            throw Fatal(who + quoteValue(*parent) + " is not a valid parent device name");
        }
        auto ts = mdevs.types(*parent, Deadline::never());
        if (!ts || !std::binary_search(ts->begin(), ts->end(), type)) {
            throw Fatal(who + "parent '" + *parent + "' offers no type '" + type + "'");
        }
        return {*parent};
    }
    auto ps = mdevs.parentsOffering(type, Deadline::never());
    if (!ps) {
        throw Fatal(ps.error());
    }
    if (ps->empty()) {
        throw Fatal(who + "no parent on this host offers type '" + type + "'");
    }
    return *ps;
}

} // namespace mdevmc::cli
