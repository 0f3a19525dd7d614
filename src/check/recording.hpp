// What a host records about its mdevs: for each device, its
// migration_version (or the errno name of the failed read), its kernel
// fingerprint, and the token of the first vendor oracle that claims it.
// Used by `annotate` on the source, and by the hook on acceptance.
#pragma once

#include "check/config.hpp"
#include "check/oracle.hpp"
#include "domain/domain_xml.hpp"
#include "domain/metadata.hpp"
#include "mdev/host.hpp"
#include "mdev/migration_version.hpp"

#include <string>
#include <vector>

namespace mdevmc {

inline constexpr const char* kMachineIdPath = "etc/machine-id";
// This host's stable identity: ROOT/etc/machine-id (32 hex digits), or an
// empty string.
std::string readHostId(const MdevHost& host, Deadline deadline);

// The record of one existing device.  ORACLES may be null (no oracle asked);
// CACHE (may be null) keeps the facts of each (parent, type) read.
// recordVersion records its migration_version alone (no facts, no oracle):
// what a decision needs first.
MetadataEntry recordVersion(const MdevHost& host, const MdevDevice& dev, const Config& config,
                            Deadline deadline);
// The same, with the attribute's LOCATION (versionLocation(DEV)) made once.
MetadataEntry recordVersion(const MdevHost& host, const MdevDevice& dev,
                            const VersionLocation& location, const Config& config,
                            Deadline deadline);
MetadataEntry recordDevice(const MdevHost& host, const MdevDevice& dev, const Config& config,
                           Oracles* oracles, Deadline deadline, FingerprintCache* cache = nullptr);

// This host's record for HOSTDEVS, each with its guest address and alias.
Metadata recordDevices(const std::vector<MdevHostdev>& hostdevs, const MdevHost& host,
                       std::string_view host_name, const Config& config, Deadline deadline);

} // namespace mdevmc
