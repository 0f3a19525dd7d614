// What mdev-migcheck reads from a libvirt domain XML: its name and UUID,
// its mdev hostdevs and the metadata element it carries.  One reader
// (DomainFactsReader) holds the rules; it reads the events of a parse that
// builds no tree (readDomainFacts(): the hook, which only reads) or those of
// a parsed document (DomainXml, which can also change it).
#pragma once

#include "domain/metadata.hpp"
#include "domain/xml_events.hpp"
#include "util/error.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mdevmc {

// Larger than any domain XML libvirt formats, small enough to bound memory.
inline constexpr std::size_t kMaxDomainXml = std::size_t{16} * 1024 * 1024;

// <hostdev mode='subsystem' type='mdev' model=...><source><address uuid=.../>
struct MdevHostdev {
    std::string uuid;  // as written (lower-cased when valid)
    std::string model; // vfio-pci, vfio-ccw, vfio-ap (may be empty)
    bool uuid_valid = false;
    // Its guest PCI address ("0000:00:05.0", device_address.hpp), when it
    // has a valid <address type='pci'>; else empty.
    std::string address{};
    // Its user alias ("ua-gpu0"), when it has one; else empty.
    std::string alias{};
};

struct DomainFacts {
    std::string name; // the text of <name>, as written
    std::string uuid; // the text of <uuid>, as written
    std::vector<MdevHostdev> hostdevs;
    // Our metadata element, if the domain has one.  Entries that are not
    // valid are kept with their `problem` set.
    std::optional<Metadata> metadata;
};

// The rules, as libvirt's parser reads a domain: the first <name>, <uuid>
// and <metadata> children of <domain> count (a text is all the text inside
// the element, comments left out); the hostdevs of every <devices> child;
// a hostdev without mode= is a subsystem one; its mdev is the uuid= of the
// first <address> in its first <source>, its guest address its own first
// <address> and its alias its first <alias>.
class DomainFactsReader final : public XmlEventSink {
public:
    bool start(std::string_view local, std::string_view ns, const AttrSource& attrs) override;
    void text(std::string_view t) override;
    void end() override;

    // Whether the root element was <domain>.
    bool isDomain() const { return root_ == Root::Domain; }
    // What was read, once the document's events are all reported (once).
    DomainFacts finish();

private:
    // What the open elements are, from the root down.
    enum class Role : unsigned char {
        Root,
        Name,
        Uuid,
        Metadata,
        Ours, // our element, or an element inside it: metadata_ reads them
        Devices,
        Hostdev,
        Source,
    };
    // The first element of its kind (SEEN not yet set) opens ROLE; a later
    // one is skipped.
    bool enterFirst(bool& seen, Role role);
    bool startInHostdev(std::string_view local, const AttrSource& attrs);
    void endHostdev();

    enum class Root : unsigned char { NotSeen, Domain, Other } root_ = Root::NotSeen;
    std::vector<Role> open_;
    DomainFacts out_;
    bool seen_name_ = false;
    bool seen_uuid_ = false;
    bool seen_metadata_ = false;
    int ours_ = 0; // our elements met in <metadata>
    MetadataParser metadata_;
    // The hostdev being read, and which of its first children were met.
    MdevHostdev hostdev_;
    bool seen_source_ = false;
    bool seen_source_address_ = false;
    bool seen_address_ = false;
    bool seen_alias_ = false;
};

// Reads the domain XML XML (at most MAX_BYTES) without building its tree:
// without libxml2 when it is plain (plain_xml.hpp), as libvirt writes it,
// else with parseEvents().  Refuses what DomainXml::parse() refuses, with
// the same message.
Result<DomainFacts> readDomainFacts(std::string_view xml, std::size_t max_bytes = kMaxDomainXml);

// The message for a document whose root element is not <domain>.
std::string notADomainError();

} // namespace mdevmc
