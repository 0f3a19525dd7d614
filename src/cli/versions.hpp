// This host's migration_version attributes as list, version and probe show
// them.
#pragma once

#include "cli/json.hpp"
#include "mdev/host.hpp"
#include "mdev/migration_version.hpp"

#include <optional>
#include <string>
#include <vector>

namespace mdevmc::cli {

// For a table: the version, or why there is none ("(absent)", "(EIO)").
std::string versionCell(const VersionRead& r);

// Adds "migration_version" (the version or null) and
// "migration_version_error" (null, or an errno name: ENOENT if absent,
// ETIMEDOUT if the read timed out) to the JSON object OBJ.
void addVersionJson(Json& obj, const VersionRead& r);

// The parents to look at for TYPE: PARENT if given (it must offer TYPE),
// else every parent that offers it (there must be one).  Throws Fatal,
// naming the command COMMAND, if there is none.
std::vector<std::string> parentsFor(const std::string& command, const MdevHost& mdevs,
                                    const std::string& type,
                                    const std::optional<std::string>& parent);

} // namespace mdevmc::cli
