// The metadata mdev-migcheck keeps in a domain's <metadata>: for each mdev,
// the migration_version this host read (or why it could not read it).  The
// source host records it; libvirt carries it to the destination inside the
// migratable XML; the destination checks against it and records its own.
//
//   <mdevmc:migcheck xmlns:mdevmc="urn:mdev-migcheck:metadata:1" host="hostA">
//     <mdevmc:mdev uuid="c2177883-..." type="nvidia-63" parent="0000:3b:00.0"
//                  version="..."/>
//     <mdevmc:mdev uuid="..." type="..." parent="..." error="ENODEV"/>
//   </mdevmc:migcheck>
//
// The RELAX NG schema is xml/mdev-migcheck-metadata.rng.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace mdevmc {

inline constexpr const char* kMetadataUri = "urn:mdev-migcheck:metadata:1";
inline constexpr const char* kMetadataPrefix = "mdevmc";
inline constexpr const char* kMetadataElement = "migcheck";

struct MetadataEntry {
    std::string uuid;
    std::string type;
    std::string parent;
    std::optional<std::string> version; // the migration_version read
    std::optional<std::string> error;   // else: the errno name of the failed read
    // Set when the entry came from XML and is not valid; says why.
    std::optional<std::string> problem;
};

struct Metadata {
    std::string host; // the host that recorded it (informational)
    std::vector<MetadataEntry> entries;

    // The entry for UUID (case-insensitive), or nullptr.
    const MetadataEntry* find(std::string_view uuid) const;
};

// Checks one entry: valid UUID, type id and parent names, and exactly one of
// a valid version or a known errno name.  Returns why not, or nullopt.
std::optional<std::string> checkEntry(const MetadataEntry& e);

// The <mdevmc:migcheck> element as text.  WITH_NS false gives the form
// virDomainSetMetadata takes: <migcheck ...> with unprefixed names and no
// namespace declaration (the URI and prefix are passed separately).
std::string formatMetadata(const Metadata& m, bool with_ns = true);

} // namespace mdevmc
