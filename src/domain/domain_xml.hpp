// A libvirt domain XML as a tree that can be changed (the command line
// records its metadata in it).  It reads by DomainFactsReader's rules, as
// readDomainFacts() does without a tree; parsing is hardened alike: bounded
// size, no network, no DTD, no entities (libvirt never produces a DOCTYPE;
// one is refused).
#pragma once

#include "domain/domain_facts.hpp"
#include "domain/metadata.hpp"
#include "util/error.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mdevmc {

class DomainXml {
public:
    static Result<DomainXml> parse(std::string_view xml, std::size_t max_bytes = kMaxDomainXml);

    DomainXml(DomainXml&&) noexcept;
    DomainXml& operator=(DomainXml&&) noexcept;
    ~DomainXml();

    // All it says that mdev-migcheck reads (domain_facts.hpp), as the
    // document is now; the four below are parts of it.
    DomainFacts facts() const;
    std::string name() const { return facts().name; }
    std::string uuid() const { return facts().uuid; }
    std::vector<MdevHostdev> mdevHostdevs() const { return facts().hostdevs; }
    std::optional<Metadata> metadata() const { return facts().metadata; }

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
    explicit DomainXml(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
    bool changed_ = false;
};

} // namespace mdevmc
