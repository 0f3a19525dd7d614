#include "mdev/migration_version.hpp"

#include "mdev/validate.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>

namespace mdevmc {

VersionLocation versionLocation(const MdevDevice& dev) {
    if (dev.own_version) {
        return {joinPath(dev.dir, paths::kMigrationVersion), true};
    }
    // The type's directory beside the device, under their parent: one path
    // for every device of the type on that parent, without a link to follow.
    const auto slash = dev.dir.rfind('/');
    const std::string_view parent_dir = slash == std::string::npos
                                            ? std::string_view()
                                            : std::string_view(dev.dir).substr(0, slash);
    return {joinPaths({parent_dir, "mdev_supported_types", dev.type_id, paths::kMigrationVersion}),
            false};
}

VersionLocation typeVersionLocation(std::string_view parent, std::string_view type_id) {
    return {paths::typeAttr(parent, type_id, paths::kMigrationVersion), false};
}

VersionRead readVersion(AttrIo& io, const VersionLocation& where, Deadline deadline) {
    return versionFrom(io.read(where.path, deadline));
}

VersionRead versionFrom(AttrRead r) {
    VersionRead out;
    if (r.timed_out) {
        out.status = VersionRead::Status::TimedOut;
        return out;
    }
    if (r.err == ENOENT) {
        out.status = VersionRead::Status::Missing;
        out.err = ENOENT;
        return out;
    }
    if (r.err != 0) {
        out.status = VersionRead::Status::Failed;
        out.err = r.err;
        return out;
    }
    std::string v = stripNewline(std::move(r.data));
    if (auto ok = checkVersion(v); !ok) {
        out.status = VersionRead::Status::Invalid;
        out.err = EINVAL;
        out.detail = ok.error().message;
        return out;
    }
    out.status = VersionRead::Status::Ok;
    out.version = std::move(v);
    return out;
}

ProbeResult probeVersion(AttrIo& io, const VersionLocation& where, std::string_view version,
                         Deadline deadline) {
    ProbeResult out;
    if (auto ok = checkVersion(version); !ok) {
        out.status = ProbeResult::Status::Invalid;
        out.err = EINVAL;
        out.detail = ok.error().message;
        return out;
    }
    std::string data;
    data.reserve(version.size() + 1);
    data += version;
    data += '\n';
    out.offered = data.size();
    const AttrWrite w = io.write(where.path, data, deadline);
    out.written = w.written;
    if (w.timed_out) {
        out.status = ProbeResult::Status::TimedOut;
    } else if (w.not_made) {
        out.status = ProbeResult::Status::NotMade;
        out.err = w.err;
    } else if (w.err == ENOENT) {
        out.status = ProbeResult::Status::Missing;
        out.err = ENOENT;
    } else if (w.err != 0) {
        out.status = ProbeResult::Status::Rejected;
        out.err = w.err;
    } else if (w.written != data.size()) {
        out.status = ProbeResult::Status::ShortWrite;
    } else {
        out.status = ProbeResult::Status::Accepted;
    }
    return out;
}

} // namespace mdevmc
