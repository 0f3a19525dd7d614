// Small name and number helpers shared by the simulator's modules.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace mdevsim {

bool isValidName(std::string_view s);      // [A-Za-z0-9_.:+-], 1..128, no leading '.'
bool isValidUuid(std::string_view s);      // 8-4-4-4-12 hex
bool isValidSysfsPath(std::string_view s); // '/'-separated valid names
std::string lowerCase(std::string_view s);
std::string basename(std::string_view path);
std::optional<std::pair<unsigned, unsigned>> parseMajorMinor(std::string_view s);
std::optional<int> errnoFromName(std::string_view name);
std::string errnoName(int err);

} // namespace mdevsim
