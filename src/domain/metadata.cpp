#include "domain/metadata.hpp"

#include "util/errno_name.hpp"
#include "mdev/validate.hpp"

namespace mdevmc {

namespace {

std::string xmlEscape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&apos;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

} // namespace

const MetadataEntry* Metadata::find(std::string_view uuid) const {
    const std::string want = canonicalUuid(uuid);
    for (const auto& e : entries) {
        if (canonicalUuid(e.uuid) == want) {
            return &e;
        }
    }
    return nullptr;
}

std::optional<std::string> checkEntry(const MetadataEntry& e) {
    if (!isValidUuid(e.uuid)) {
        return "its uuid " + quoteValue(e.uuid) + " is not a canonical UUID";
    }
    if (!e.type.empty() && !isValidName(e.type)) {
        return "its type " + quoteValue(e.type) + " is not a valid mdev type id";
    }
    if (!e.parent.empty() && !isValidName(e.parent)) {
        return "its parent " + quoteValue(e.parent) + " is not a valid parent device name";
    }
    if (e.version && e.error) {
        return "it has both a version and an error";
    }
    if (e.version) {
        if (e.type.empty()) {
            return "it has a version but no type";
        }
        if (auto ok = checkVersion(*e.version); !ok) {
            return "its " + ok.error().message;
        }
        return std::nullopt;
    }
    if (e.error) {
        if (!errnoFromName(*e.error)) {
            return "its error " + quoteValue(*e.error) + " is not an errno name";
        }
        return std::nullopt;
    }
    return "it has neither a version nor an error";
}

std::string formatMetadata(const Metadata& m, bool with_ns) {
    // Without the declaration (for virDomainSetMetadata, which puts the
    // element in the namespace itself) the names are unprefixed.
    const std::string p = with_ns ? std::string(kMetadataPrefix) + ":" : std::string();
    std::string out = "<" + p + kMetadataElement;
    if (with_ns) {
        out += " xmlns:" + std::string(kMetadataPrefix) + "=\"" + kMetadataUri + "\"";
    }
    if (!m.host.empty()) {
        out += " host=\"" + xmlEscape(m.host) + "\"";
    }
    if (m.entries.empty()) {
        return out + "/>";
    }
    out += ">\n";
    for (const auto& e : m.entries) {
        out += "  <" + p + "mdev uuid=\"" + xmlEscape(e.uuid) + "\"";
        if (!e.type.empty()) {
            out += " type=\"" + xmlEscape(e.type) + "\"";
        }
        if (!e.parent.empty()) {
            out += " parent=\"" + xmlEscape(e.parent) + "\"";
        }
        if (e.version) {
            out += " version=\"" + xmlEscape(*e.version) + "\"";
        }
        if (e.error) {
            out += " error=\"" + xmlEscape(*e.error) + "\"";
        }
        out += "/>\n";
    }
    out += "</" + p + kMetadataElement + ">";
    return out;
}

} // namespace mdevmc
