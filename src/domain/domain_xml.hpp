// A libvirt domain XML: the mdev hostdevs it has and the mdev-migcheck
// metadata it carries.  Parsing is hardened: bounded size, no network, no
// DTD, no entities (libvirt never produces a DOCTYPE; one is refused).
#pragma once

#include "domain/metadata.hpp"
#include "util/error.hpp"

#include <memory>
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

class DomainXml {
public:
    static Result<DomainXml> parse(std::string_view xml, std::size_t max_bytes = kMaxDomainXml);
    // A document that is only read (the hook's checks): short texts are
    // stored in their nodes (libxml2's COMPACT), fewer allocations for a
    // tree that reads the same as parse()'s.  Such texts cannot be changed
    // in place: setMetadata() on it throws std::logic_error.
    static Result<DomainXml> parseToRead(std::string_view xml,
                                         std::size_t max_bytes = kMaxDomainXml);

    DomainXml(DomainXml&&) noexcept;
    DomainXml& operator=(DomainXml&&) noexcept;
    ~DomainXml();

    std::string name() const;
    std::string uuid() const;

    std::vector<MdevHostdev> mdevHostdevs() const;

    // Our metadata element, if the domain has one.  Entries that are not
    // valid are kept with their `problem` set.
    std::optional<Metadata> metadata() const;

    // Replaces our metadata element (adding <metadata> if needed); other
    // metadata is left as it is.
    void setMetadata(const Metadata& m);

    // True once a setter has changed the document since it was parsed:
    // libvirt must then be handed the XML (the hook prints it).
    bool changed() const { return changed_; }

    // The domain element as XML text (no XML declaration), as libvirt reads it.
    std::string serialize() const;

    // The domain element without our metadata element (and without a
    // <metadata> left empty by its removal), whitespace-only text dropped:
    // two definitions that differ only in our record give the same text.
    std::string serializeWithoutMetadata() const;

private:
    struct Impl;
    static void appendMdevHostdevs(const struct _xmlNode* devices, std::vector<MdevHostdev>& out);
    static Result<DomainXml> parseWith(std::string_view xml, std::size_t max_bytes, int options);
    explicit DomainXml(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
    bool changed_ = false;
    bool read_only_ = false;
};

} // namespace mdevmc
