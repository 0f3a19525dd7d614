#include "check/recording.hpp"

#include "mdev/migration_version.hpp"
#include "util/errno_name.hpp"

#include <algorithm>
#include <cerrno>
#include <unordered_set>

namespace mdevmc {

std::string readHostId(const MdevHost& host, Deadline deadline) {
    AttrRead r = host.io().read(kMachineIdPath, deadline);
    if (!r.ok()) {
        return {};
    }
    std::string id = stripNewline(std::move(r.data));
    const bool hex = id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) {
                         return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                     });
    return hex ? id : std::string();
}

MetadataEntry recordVersion(const MdevHost& host, const MdevDevice& dev, const Config& config,
                            Deadline deadline) {
    return recordVersion(host, dev, versionLocation(dev), config, deadline);
}

MetadataEntry recordVersion(const MdevHost& host, const MdevDevice& dev,
                            const VersionLocation& location, const Config& config,
                            Deadline deadline) {
    MetadataEntry e;
    e.uuid = dev.uuid;
    e.type = dev.type_id;
    e.parent = dev.parent;
    const auto bounded = [&] { return deadline.capped(config.attr_timeout); };
    VersionRead r = readVersion(host.io(), location, bounded());
    switch (r.status) {
    case VersionRead::Status::Ok:
        e.version = std::move(r.version);
        break;
    case VersionRead::Status::TimedOut:
        e.error = errnoName(ETIMEDOUT);
        break;
    default:
        e.error = errnoName(r.err != 0 ? r.err : EIO);
        break;
    }
    return e;
}

MetadataEntry recordDevice(const MdevHost& host, const MdevDevice& dev, const Config& config,
                           Oracles* oracles, Deadline deadline, FingerprintCache* cache) {
    const auto bounded = [&] { return deadline.capped(config.attr_timeout); };
    MetadataEntry e = recordVersion(host, dev, config, deadline);
    e.fingerprint =
        readFingerprint(host, dev.parent, dev.type_id, &dev, deadline, config.attr_timeout, cache);
    if (oracles != nullptr) {
        for (const auto& name : oracles->names()) {
            const OracleAnswer a =
                oracles->record(name, dev.uuid, dev.type_id, dev.parent, bounded());
            if (a.kind == OracleAnswer::Kind::Token) {
                e.oracle = OracleRecord{name, a.text};
                break;
            }
        }
    }
    return e;
}

Metadata recordDevices(const std::vector<MdevHostdev>& hostdevs, const MdevHost& host,
                       std::string_view host_name, const Config& config, Deadline deadline) {
    Metadata m;
    m.host = std::string(host_name);
    m.host_id = readHostId(host, deadline.capped(config.attr_timeout));
    Oracles oracles(host.root(), host.io(), config);
    FingerprintCache cache;
    std::unordered_set<std::string> seen;
    for (const auto& hd : hostdevs) {
        if (!hd.uuid_valid || !seen.insert(hd.uuid).second) {
            continue;
        }
        auto dev = host.device(hd.uuid, deadline.capped(config.attr_timeout));
        MetadataEntry e;
        if (dev) {
            e = recordDevice(host, *dev, config, &oracles, deadline, &cache);
        } else {
            e.uuid = hd.uuid;
            e.error = errnoName(dev.error().err != 0 ? dev.error().err : ENODEV);
        }
        e.address = hd.address;
        e.alias = hd.alias;
        m.entries.push_back(std::move(e));
    }
    clearSharedAddresses(m);
    m.index();
    return m;
}

} // namespace mdevmc
