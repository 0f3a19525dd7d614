#include "virt/save_annotate.hpp"

#include "check/recording.hpp"
#include "domain/domain_xml.hpp"

#include <cerrno>

namespace mdevmc {

namespace {

// The image's domain XML, parsed, and for a managed save image checked to
// be the domain's.
Result<DomainXml> readImage(Hypervisor& hv, const SaveImageRef& img) {
    std::string text;
    MDEVMC_TRY_ASSIGN(text, hv.saveImageXml(img));
    auto xml = DomainXml::parse(text);
    if (!xml) {
        return fail(describeImage(img) + ": its domain XML: " + xml.error().message,
                    xml.error().err);
    }
    if (img.kind == SaveImageRef::Kind::Managed && xml->uuid() != img.domain.uuid) {
        return fail(describeImage(img) + " holds domain UUID '" + xml->uuid() + "', not '" +
                        img.domain.uuid + "'",
                    EINVAL);
    }
    return std::move(*xml);
}

bool sameHostdevs(const std::vector<MdevHostdev>& a, const std::vector<MdevHostdev>& b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].uuid != b[i].uuid || a[i].model != b[i].model) {
            return false;
        }
    }
    return true;
}

// What libvirt stores now against what was read (BEFORE) and the record
// written (WANT): the same domain, the same mdevs, our record.
Result<void> checkStored(Hypervisor& hv, const SaveImageRef& img, const DomainXml& before,
                         const Metadata& want) {
    auto read = readImage(hv, img);
    if (!read) {
        return Unexpected(std::move(read).error());
    }
    const DomainXml& after = *read;
    const auto stored = after.metadata();
    if (after.name() != before.name() || after.uuid() != before.uuid() ||
        !sameHostdevs(after.mdevHostdevs(), before.mdevHostdevs())) {
        return fail(describeImage(img) + ": libvirt stored another domain than the one read", EIO);
    }
    if (!stored || formatMetadata(*stored) != formatMetadata(want)) {
        return fail(describeImage(img) + ": the record read back differs from the one written",
                    EIO);
    }
    return {};
}

} // namespace

Result<ImageAnnotation> annotateSaveImage(Hypervisor& hv, const SaveImageRef& img,
                                          const MdevHost& host, const std::string& host_name,
                                          const Config& config) {
    auto read = readImage(hv, img);
    if (!read) {
        return Unexpected(std::move(read).error());
    }
    const DomainXml& xml = *read;
    ImageAnnotation out;
    out.domain = DomainRef{xml.name(), xml.uuid()};
    const auto hostdevs = xml.mdevHostdevs();
    if (hostdevs.empty()) {
        return out;
    }
    LiveAnnotation& r = out.record;
    r.metadata = recordDevices(hostdevs, host, host_name, config, Deadline::after(config.timeout));
    if (const auto current = xml.metadata();
        current && formatMetadata(*current) == formatMetadata(r.metadata)) {
        r.outcome = LiveAnnotation::Outcome::Unchanged;
        return out;
    }
    const std::string untouched = xml.serializeWithoutMetadata();
    auto updated = DomainXml::parse(xml.serialize());
    if (!updated) {
        return fail(describeImage(img) + ": its domain XML: " + updated.error().message,
                    updated.error().err);
    }
    updated->setMetadata(r.metadata);
    const std::string text = updated->serialize();
    // What is written differs from what was read in our element only.
    auto check = DomainXml::parse(text);
    if (!check || check->serializeWithoutMetadata() != untouched) {
        return fail(describeImage(img) +
                        ": not updated: the new definition would differ beyond its metadata",
                    EINVAL);
    }
    MDEVMC_TRY(hv.defineSaveImageXml(img, text));
    MDEVMC_TRY(checkStored(hv, img, xml, r.metadata));
    r.outcome = LiveAnnotation::Outcome::Recorded;
    return out;
}

} // namespace mdevmc
