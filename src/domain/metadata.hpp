// The metadata mdev-migcheck keeps in a domain's <metadata>: for each mdev,
// what this host can tell about it - the migration_version (or why it could
// not be read), the kernel fingerprint, and a vendor oracle's token.  The
// source host records it; libvirt carries it to the destination inside the
// migratable XML; the destination checks against it.
//
//   <mdevmc:migcheck xmlns:mdevmc="urn:mdev-migcheck:metadata:1" host="hostA"
//                    host-id="0123...cdef" format="2">
//     <mdevmc:mdev uuid="c2177883-..." type="nvidia-222" parent="0000:3b:00.0"
//                  error="ENOENT" address="0000:00:05.0" alias="ua-gpu0">
//       <mdevmc:fact name="driver.version" value="550.54.10"/>
//       <mdevmc:oracle name="nvml" token="AQ..."/>
//     </mdevmc:mdev>
//   </mdevmc:migcheck>
//
// Format 1 (mdev-migcheck 0.1) had no host-id, facts or oracle; it is still
// read.  address= (the hostdev's guest PCI address) and alias= (its user
// alias) are optional in format 2: 0.2.0 wrote neither, and a record
// without them still parses.  A newer format keeps every element and attribute of this one with
// the same meaning; what this version does not know is ignored.
// The RELAX NG schema is xml/mdev-migcheck-metadata.rng.
#pragma once

#include "domain/xml_events.hpp"
#include "mdev/fingerprint.hpp"
#include "mdev/validate.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mdevmc {

inline constexpr const char* kMetadataUri = "urn:mdev-migcheck:metadata:1";
inline constexpr const char* kMetadataPrefix = "mdevmc";
inline constexpr const char* kMetadataElement = "migcheck";
// The record format this version writes.
inline constexpr int kMetadataFormat = 2;
// The most facts one mdev record may carry.
inline constexpr std::size_t kMaxFacts = 64;
// The largest oracle token (doc/oracle-protocol.md).
inline constexpr std::size_t kMaxOracleToken = 4096;

struct OracleRecord {
    std::string name;  // the oracle ("nvml")
    std::string token; // opaque, printable ASCII without spaces
};

struct MetadataEntry {
    std::string uuid;
    std::string type;
    std::string parent;
    std::optional<std::string> version; // the migration_version read
    std::optional<std::string> error;   // else: the errno name of the failed read
    // Set when the entry came from XML and is not valid; says why.
    std::optional<std::string> problem;
    Fingerprint fingerprint;            // format 2: the kernel facts
    std::optional<OracleRecord> oracle; // format 2: a vendor oracle's token
    // The hostdev's guest PCI address ("0000:00:05.0") and user alias
    // ("ua-gpu0") in the recording host's domain XML; empty when it had
    // none.  They identify the device when the UUID was rewritten.
    std::string address{};
    std::string alias{};
};

struct Metadata {
    std::string host;    // the host that recorded it (its hostname)
    std::string host_id; // its /etc/machine-id, when it had one
    int format = kMetadataFormat;
    std::vector<MetadataEntry> entries;
    // Set when the domain carries the element more than once: says so.
    std::optional<std::string> problem;

    // The entry for UUID (any case), or nullptr.
    const MetadataEntry* find(std::string_view uuid) const;
    // Rebuilds the UUID index after ENTRIES changed (parse does it).
    void index();

private:
    friend class MetadataParser;
    // Marks every entry whose valid UUID (in any case) another entry has
    // too, from the index (index() first).
    void markDuplicateUuids();

    // (key, position) of each entry with a valid UUID, sorted: the first
    // of equal keys is the first record of that UUID.
    std::vector<std::pair<UuidKey, std::size_t>> by_uuid_;
    std::size_t indexed_ = static_cast<std::size_t>(-1); // entries.size() when index() ran
};

// Clears every guest address and alias that more than one of M's entries
// carries.  parseMetadata() refuses both records of a shared one (neither
// can be trusted over the other); a domain libvirt accepted never shares
// one, and a record written without it stays valid, matched by its UUID.
void clearSharedAddresses(Metadata& m);

// Checks one entry: valid UUID, type id and parent names, exactly one of a
// valid version or a known errno name, valid facts and oracle token, a
// canonical guest address and a user alias when they are set.
// Returns why not, or nullopt.
std::optional<std::string> checkEntry(const MetadataEntry& e);

// The <mdevmc:migcheck> element as text, the one writer of the element.
// WITH_NS false gives the form virDomainSetMetadata takes: unprefixed names
// and no namespace declaration (the URI and prefix are passed separately).
// INDENT is the indentation of the element itself (its children get two
// more spaces).
std::string formatMetadata(const Metadata& m, bool with_ns = true, int indent = 0);

// Reads our element (in kMetadataUri, named kMetadataElement) from the
// events of a parse (domain/xml_events.hpp), starting with the element's
// own start; finish() gives what was read.  Invalid entries are kept with
// their `problem` set; a UUID, guest address or alias recorded twice marks
// both.  The one reader of the element: parseMetadata() and the domain's
// readers feed it.
class MetadataParser final : public XmlEventSink {
public:
    bool start(std::string_view local, std::string_view ns, const AttrSource& attrs) override;
    void text(std::string_view /*t*/) override {}
    void end() override;
    Metadata finish();

private:
    void beginEntry(const AttrSource& attrs);
    void endEntry();

    Metadata out_;
    int depth_ = 0; // elements open: ours, then an <mdev>
    // The <mdev> being read and what it carried that the entry does not keep.
    MetadataEntry entry_;
    std::size_t facts_ = 0;
    int oracles_ = 0;
    bool empty_address_ = false;
    bool empty_alias_ = false;
};

// Parses our element ELEMENT of a parsed tree with MetadataParser.
Metadata parseMetadata(const xmlNode* element);

} // namespace mdevmc
