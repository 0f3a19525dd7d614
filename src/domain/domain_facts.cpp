#include "domain/domain_facts.hpp"

#include "domain/device_address.hpp"
#include "domain/plain_xml.hpp"
#include "mdev/validate.hpp"

namespace mdevmc {

bool DomainFactsReader::start(std::string_view local, std::string_view ns,
                              const AttrSource& attrs) {
    if (open_.empty()) {
        root_ = local == "domain" ? Root::Domain : Root::Other;
        if (root_ != Root::Domain) {
            return false;
        }
        open_.push_back(Role::Root);
        return true;
    }
    const Role in = open_.back();
    switch (in) {
    case Role::Root:
        if (local == "name") {
            return enterFirst(seen_name_, Role::Name);
        }
        if (local == "uuid") {
            return enterFirst(seen_uuid_, Role::Uuid);
        }
        if (local == "metadata") {
            return enterFirst(seen_metadata_, Role::Metadata);
        }
        if (local == "devices") {
            open_.push_back(Role::Devices);
            return true;
        }
        return false;
    case Role::Name:
    case Role::Uuid:
        // All the text inside counts.
        open_.push_back(in);
        return true;
    case Role::Metadata:
        // The first of our elements is read; another only makes it suspect.
        if (ns == kMetadataUri && local == kMetadataElement && ++ours_ == 1 &&
            metadata_.start(local, ns, attrs)) {
            open_.push_back(Role::Ours);
            return true;
        }
        return false;
    case Role::Ours:
        if (metadata_.start(local, ns, attrs)) {
            open_.push_back(Role::Ours);
            return true;
        }
        return false;
    case Role::Devices:
        if (local == "hostdev" && attrs("mode").value_or("subsystem") == "subsystem" &&
            attrs("type") == "mdev") {
            hostdev_ = MdevHostdev{};
            hostdev_.model = attrs("model").value_or("");
            seen_source_ = seen_source_address_ = seen_address_ = seen_alias_ = false;
            open_.push_back(Role::Hostdev);
            return true;
        }
        return false;
    case Role::Hostdev:
        return startInHostdev(local, attrs);
    case Role::Source:
        if (local == "address" && !seen_source_address_) {
            seen_source_address_ = true;
            hostdev_.uuid = attrs("uuid").value_or("");
        }
        return false;
    }
    return false;
}

bool DomainFactsReader::enterFirst(bool& seen, Role role) {
    if (seen) {
        return false;
    }
    seen = true;
    open_.push_back(role);
    return true;
}

bool DomainFactsReader::startInHostdev(std::string_view local, const AttrSource& attrs) {
    if (local == "source") {
        return enterFirst(seen_source_, Role::Source);
    }
    // The guest address is the hostdev's own <address> (the one in <source>
    // is the mdev's); an attribute left out is 0, as libvirt reads it, and
    // an address libvirt would not take is none.
    if (local == "address" && !seen_address_) {
        seen_address_ = true;
        if (attrs("type") == "pci") {
            hostdev_.address =
                guestPciAddress(attrs("domain").value_or("0"), attrs("bus").value_or("0"),
                                attrs("slot").value_or("0"), attrs("function").value_or("0"))
                    .value_or("");
        }
    } else if (local == "alias" && !seen_alias_) {
        seen_alias_ = true;
        std::string name = attrs("name").value_or("");
        if (isUserAlias(name)) {
            hostdev_.alias = std::move(name);
        }
    }
    return false;
}

void DomainFactsReader::endHostdev() {
    hostdev_.uuid_valid = isValidUuid(hostdev_.uuid);
    if (hostdev_.uuid_valid) {
        lowerAscii(hostdev_.uuid);
    }
    out_.hostdevs.push_back(std::move(hostdev_));
}

void DomainFactsReader::text(std::string_view t) {
    if (open_.empty()) {
        return;
    }
    if (open_.back() == Role::Name) {
        out_.name += t;
    } else if (open_.back() == Role::Uuid) {
        out_.uuid += t;
    }
}

void DomainFactsReader::end() {
    const Role r = open_.back();
    open_.pop_back();
    if (r == Role::Ours) {
        metadata_.end();
    } else if (r == Role::Hostdev) {
        endHostdev();
    }
}

DomainFacts DomainFactsReader::finish() {
    if (ours_ > 0) {
        out_.metadata = metadata_.finish();
        if (ours_ > 1) {
            out_.metadata->problem =
                "the domain carries mdev-migcheck's metadata element more than once";
        }
    }
    return std::move(out_);
}

std::string notADomainError() {
    return "XML document is not a libvirt domain (its root element is not <domain>)";
}

Result<DomainFacts> readDomainFacts(std::string_view xml, std::size_t max_bytes) {
    const char* what = "domain XML";
    MDEVMC_TRY(hardened::checkInput(xml, max_bytes, what));
    DomainFactsReader reader;
    if (readPlainEvents(xml, reader) == PlainRead::NotPlain) {
        reader = DomainFactsReader{};
        MDEVMC_TRY(parseEvents(xml, max_bytes, what, reader));
    }
    if (!reader.isDomain()) {
        return fail(notADomainError(), EINVAL);
    }
    return reader.finish();
}

} // namespace mdevmc
