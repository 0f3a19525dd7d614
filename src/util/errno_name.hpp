// errno <-> symbolic name ("ENODEV"), and "ENODEV: No such device" text.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mdevmc {

// "ENODEV" for ENODEV; "E<number>" for an errno without a name.
std::string errnoName(int err);
// The errno for a name such as "ENODEV"; nullopt if the name is unknown.
std::optional<int> errnoFromName(std::string_view name);
// strerror(err), thread-safe ("No such device").
std::string errnoText(int err);
// The one form every message of the hook and the CLI gives an errno in,
// inside parentheses: "ENODEV: No such device".
std::string errnoPhrase(int err);

} // namespace mdevmc
