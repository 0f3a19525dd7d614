// Validation of every name and string that reaches a sysfs path or a sysfs
// write: mdev UUIDs, mdev type ids, parent device names and
// migration_version strings.  Data from another host goes through these
// before it touches the filesystem.
#pragma once

#include "util/error.hpp"

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mdevmc {

// The largest migration_version the protocol allows (PATH_MAX - 1: the
// string plus the newline written after it fit one sysfs page).
inline constexpr std::size_t kMaxVersionLength = 4095;
// Type ids and parent names are single path components; this bound is far
// above any real one ("nvidia-63", "0000:00:02.0", "0.0.0023", "matrix").
inline constexpr std::size_t kMaxNameLength = 128;

// Canonical 8-4-4-4-12 hex UUID, either case.
bool isValidUuid(std::string_view s);
// The UUID in lower case, as the kernel names devices.
std::string canonicalUuid(std::string_view uuid);
// Lowers the ASCII letters of S in place: canonicalUuid() without a copy.
void lowerAscii(std::string& s);
// Whether A and B are equal but for the case of ASCII letters (two UUIDs
// that canonicalUuid() makes the same).
bool equalsIgnoringAsciiCase(std::string_view a, std::string_view b);

// A valid UUID as its 128 bits: UUIDs compared, sorted and indexed in any
// case without making a string of each.
struct UuidKey {
    std::uint64_t high = 0;
    std::uint64_t low = 0;
    friend auto operator<=>(const UuidKey&, const UuidKey&) = default;
};
// S's key; nullopt unless isValidUuid(S).
std::optional<UuidKey> uuidKey(std::string_view s);

// An mdev type id or a parent device name: 1..128 characters from
// [A-Za-z0-9_.:+-], not starting with '.' or '-'.
bool isValidName(std::string_view s);

// Non-empty, at most kMaxVersionLength bytes, printable ASCII (0x20-0x7e).
Result<void> checkVersion(std::string_view version);

// Error message helpers that quote the offending value (truncated and made
// printable so a hostile value cannot garble a log line).
std::string quoteValue(std::string_view s);

} // namespace mdevmc
