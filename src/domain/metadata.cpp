#include "domain/metadata.hpp"

#include "domain/device_address.hpp"
#include "mdev/validate.hpp"
#include "util/errno_name.hpp"

#include <algorithm>
#include <charconv>
#include <unordered_map>

namespace mdevmc {

namespace {

constexpr std::size_t kFactsReserved = 4;

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
        // A parser replaces a tab, newline or carriage return in an
        // attribute value with a space; as references they are kept.
        case '\t':
            out += "&#9;";
            break;
        case '\n':
            out += "&#10;";
            break;
        case '\r':
            out += "&#13;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

bool isTokenText(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
        return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) <= 0x7e;
    });
}

std::optional<std::string> checkFact(const Fact& f) {
    if (!isValidFactName(f.name)) {
        return "a fact name " + quoteValue(f.name) + " is not valid";
    }
    if (f.value.has_value() == f.error.has_value()) {
        return "its fact " + f.name + " needs exactly one of a value or an error";
    }
    if (f.value) {
        if (f.value->size() > kMaxFactValue) {
            return "its fact " + f.name + " is " + std::to_string(f.value->size()) +
                   " bytes long, more than the " + std::to_string(kMaxFactValue) + " accepted";
        }
        const bool printable = std::all_of(f.value->begin(), f.value->end(), [](char c) {
            return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) <= 0x7e;
        });
        if (!printable) {
            return "its fact " + f.name + " " + quoteValue(*f.value) +
                   " has a control or non-ASCII character";
        }
    } else if (!errnoFromName(*f.error)) {
        return "its fact " + f.name + " has an error " + quoteValue(*f.error) +
               " that is not an errno name";
    }
    return std::nullopt;
}

std::optional<std::string> checkOracle(const OracleRecord& o) {
    const bool name_ok =
        !o.name.empty() && o.name.size() <= 32 &&
        std::all_of(o.name.begin(), o.name.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        });
    if (!name_ok) {
        return "its oracle name " + quoteValue(o.name) + " is not valid";
    }
    if (o.token.empty() || o.token.size() > kMaxOracleToken || !isTokenText(o.token)) {
        return "its oracle token " + quoteValue(o.token) + " is not 1 to " +
               std::to_string(kMaxOracleToken) + " printable ASCII characters without spaces";
    }
    return std::nullopt;
}

} // namespace

const MetadataEntry* Metadata::find(std::string_view uuid) const {
    const auto key = uuidKey(uuid);
    if (indexed_ != entries.size() || !key) {
        // Not indexed (built by hand, or changed since), or not a UUID the
        // index holds: a linear look.
        for (const auto& e : entries) {
            if (equalsIgnoringAsciiCase(e.uuid, uuid)) {
                return &e;
            }
        }
        return nullptr;
    }
    const auto it =
        std::lower_bound(by_uuid_.begin(), by_uuid_.end(), std::pair{*key, std::size_t{0}});
    return it != by_uuid_.end() && it->first == *key ? &entries[it->second] : nullptr;
}

void Metadata::index() {
    by_uuid_.clear();
    for (std::size_t i = 0; i < entries.size(); ++i) {
        if (const auto key = uuidKey(entries[i].uuid)) {
            by_uuid_.emplace_back(*key, i);
        }
    }
    // By key, then position: the first record of a UUID first, as a linear
    // look finds it.
    std::sort(by_uuid_.begin(), by_uuid_.end());
    indexed_ = entries.size();
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
    if (!e.address.empty() && !isValidGuestAddress(e.address)) {
        return "its guest address " + quoteValue(e.address) +
               " is not a PCI address in the form 0000:00:05.0";
    }
    if (!e.alias.empty() && !isUserAlias(e.alias)) {
        return "its alias " + quoteValue(e.alias) + " is not a user alias ('ua-' and up to " +
               std::to_string(kMaxUserAlias - 3) + " letters, digits, '_' or '-')";
    }
    if (e.version && e.error) {
        return "it has both a version and an error";
    }
    if (e.fingerprint.facts.size() > kMaxFacts) {
        return "it has " + std::to_string(e.fingerprint.facts.size()) + " facts, more than the " +
               std::to_string(kMaxFacts) + " accepted";
    }
    for (std::size_t i = 0; i < e.fingerprint.facts.size(); ++i) {
        const Fact& f = e.fingerprint.facts[i];
        if (auto p = checkFact(f)) {
            return p;
        }
        for (std::size_t j = 0; j < i; ++j) {
            if (e.fingerprint.facts[j].name == f.name) {
                return "its fact " + f.name + " is recorded more than once";
            }
        }
    }
    if (e.oracle) {
        if (auto p = checkOracle(*e.oracle)) {
            return p;
        }
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

std::string formatMetadata(const Metadata& m, bool with_ns, int indent) {
    // Without the declaration (for virDomainSetMetadata, which puts the
    // element in the namespace itself) the names are unprefixed.
    const std::string p = with_ns ? std::string(kMetadataPrefix) + ":" : std::string();
    const std::string pad(static_cast<std::size_t>(std::max(indent, 0)), ' ');
    std::string out = "<" + p + kMetadataElement;
    if (with_ns) {
        out += " xmlns:" + std::string(kMetadataPrefix) + "=\"" + kMetadataUri + "\"";
    }
    if (!m.host.empty()) {
        out += " host=\"" + xmlEscape(m.host) + "\"";
    }
    if (!m.host_id.empty()) {
        out += " host-id=\"" + xmlEscape(m.host_id) + "\"";
    }
    out += " format=\"" + std::to_string(m.format) + "\"";
    if (m.entries.empty()) {
        return out + "/>";
    }
    out += ">\n";
    for (const auto& e : m.entries) {
        out += pad + "  <" + p + "mdev uuid=\"" + xmlEscape(e.uuid) + "\"";
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
        if (!e.address.empty()) {
            out += " address=\"" + xmlEscape(e.address) + "\"";
        }
        if (!e.alias.empty()) {
            out += " alias=\"" + xmlEscape(e.alias) + "\"";
        }
        if (e.fingerprint.facts.empty() && !e.oracle) {
            out += "/>\n";
            continue;
        }
        out += ">\n";
        for (const auto& f : e.fingerprint.facts) {
            out += pad + "    <" + p + "fact name=\"" + xmlEscape(f.name) + "\"";
            // Both or neither (a record that is not valid) are written as
            // they are, so that the element read back is not valid either.
            if (f.value) {
                out += " value=\"" + xmlEscape(*f.value) + "\"";
            }
            if (f.error) {
                out += " error=\"" + xmlEscape(*f.error) + "\"";
            }
            out += "/>\n";
        }
        if (e.oracle) {
            out += pad + "    <" + p + "oracle name=\"" + xmlEscape(e.oracle->name) +
                   "\" token=\"" + xmlEscape(e.oracle->token) + "\"/>\n";
        }
        out += pad + "  </" + p + "mdev>\n";
    }
    out += pad + "</" + p + kMetadataElement + ">";
    return out;
}

namespace {

// Marks every entry whose KEY (not empty) another entry has too, with the
// problem SAY(key).
template <typename Key, typename Say>
void markDuplicates(std::vector<MetadataEntry>& entries, Key key, Say say) {
    // Views of the entries' own strings, which only `problem` changes here.
    std::unordered_map<std::string_view, std::size_t> seen;
    seen.reserve(entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const std::string_view k = key(entries[i]);
        if (k.empty()) {
            continue;
        }
        const auto [it, fresh] = seen.emplace(k, i);
        if (!fresh) {
            entries[i].problem = say(k);
            entries[it->second].problem = say(k);
        }
    }
}

} // namespace

void Metadata::markDuplicateUuids() {
    for (std::size_t i = 1; i < by_uuid_.size(); ++i) {
        if (by_uuid_[i].first == by_uuid_[i - 1].first) {
            entries[by_uuid_[i - 1].second].problem = "the UUID is recorded more than once";
            entries[by_uuid_[i].second].problem = "the UUID is recorded more than once";
        }
    }
}

void clearSharedAddresses(Metadata& m) {
    for (std::string MetadataEntry::*key : {&MetadataEntry::address, &MetadataEntry::alias}) {
        std::unordered_map<std::string, int> count;
        for (const auto& e : m.entries) {
            if (!(e.*key).empty()) {
                ++count[e.*key];
            }
        }
        for (auto& e : m.entries) {
            if (!(e.*key).empty() && count[e.*key] > 1) {
                (e.*key).clear();
            }
        }
    }
}

bool MetadataParser::start(std::string_view local, std::string_view ns, const AttrSource& attrs) {
    const bool ours = ns == kMetadataUri;
    switch (depth_++) {
    case 0: // the element itself
        out_.host = attrs("host").value_or("");
        out_.host_id = attrs("host-id").value_or("");
        out_.format = 1;
        if (auto f = attrs("format")) {
            int v = 0;
            const auto [ptr, ec] = std::from_chars(f->data(), f->data() + f->size(), v);
            out_.format = ec == std::errc() && ptr == f->data() + f->size() && v > 0 ? v : 0;
            if (out_.format == 0) {
                out_.problem = "its format " + quoteValue(*f) + " is not a positive number";
            }
        }
        return true;
    case 1:
        if (ours && local == "mdev") {
            beginEntry(attrs);
            return true;
        }
        break;
    case 2:
        if (ours && local == "fact") {
            // Bounded before it is stored: a hostile record cannot grow this.
            if (++facts_ <= kMaxFacts) {
                entry_.fingerprint.facts.push_back(
                    {attrs("name").value_or(""), attrs("value"), attrs("error")});
            }
        } else if (ours && local == "oracle") {
            ++oracles_;
            entry_.oracle = OracleRecord{attrs("name").value_or(""), attrs("token").value_or("")};
        }
        break;
    default:
        break;
    }
    --depth_;
    return false;
}

void MetadataParser::end() {
    if (--depth_ == 1) {
        endEntry();
    }
}

void MetadataParser::beginEntry(const AttrSource& attrs) {
    entry_ = MetadataEntry{};
    // The kernel facts a record carries: a few (type, device_api, parent
    // kind, driver, ...), grown past these one at a time.
    entry_.fingerprint.facts.reserve(kFactsReserved);
    entry_.uuid = attrs("uuid").value_or("");
    entry_.type = attrs("type").value_or("");
    entry_.parent = attrs("parent").value_or("");
    entry_.version = attrs("version");
    entry_.error = attrs("error");
    const auto address = attrs("address");
    const auto alias = attrs("alias");
    empty_address_ = address && address->empty();
    empty_alias_ = alias && alias->empty();
    entry_.address = address.value_or("");
    entry_.alias = alias.value_or("");
    facts_ = 0;
    oracles_ = 0;
}

void MetadataParser::endEntry() {
    entry_.problem = checkEntry(entry_);
    if (!entry_.problem && (empty_address_ || empty_alias_)) {
        entry_.problem =
            std::string("its ") + (empty_address_ ? "guest address" : "alias") + " is empty";
    }
    if (!entry_.problem && facts_ > kMaxFacts) {
        entry_.problem = "it has " + std::to_string(facts_) + " facts, more than the " +
                         std::to_string(kMaxFacts) + " accepted";
    }
    if (!entry_.problem && oracles_ > 1) {
        entry_.problem = "it has more than one oracle record";
    }
    out_.entries.push_back(std::move(entry_));
}

Metadata MetadataParser::finish() {
    Metadata out = std::move(out_);
    out_ = Metadata{};
    depth_ = 0;
    // A UUID, guest address or alias recorded twice: neither record can be
    // trusted over the other (a domain's hostdevs never share one).  The
    // index sorts the UUIDs, so it is made first; problems do not change it.
    out.index();
    out.markDuplicateUuids();
    markDuplicates(
        out.entries, [](const MetadataEntry& e) { return std::string_view(e.address); },
        [](std::string_view k) {
            return "the guest address " + quoteValue(k) + " is recorded for more than one mdev";
        });
    markDuplicates(
        out.entries, [](const MetadataEntry& e) { return std::string_view(e.alias); },
        [](std::string_view k) {
            return "the alias " + quoteValue(k) + " is recorded for more than one mdev";
        });
    return out;
}

Metadata parseMetadata(const xmlNode* element) {
    MetadataParser p;
    replayElement(element, p);
    return p.finish();
}

} // namespace mdevmc
