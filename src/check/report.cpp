#include "check/report.hpp"

#include "mdev/validate.hpp"

#include <algorithm>
#include <cctype>

namespace mdevmc {

namespace {

// NAME as one shell word: as it is when it is plain, else single-quoted.
std::string shellWord(std::string_view name) {
    const bool plain = !name.empty() && std::all_of(name.begin(), name.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '-' || ch == '_' ||
               ch == '.' || ch == ':';
    });
    if (plain) {
        return std::string(name);
    }
    std::string out = "'";
    for (const char ch : name) {
        out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
    }
    return out + "'";
}

// TEXT with the placeholder of its next step ("annotate DOMAIN",
// "annotate --managed-save DOMAIN") naming DOMAIN.
std::string withDomain(const std::string& text, std::string_view domain) {
    std::string out = text;
    const std::string word = shellWord(domain);
    for (const std::string_view key : {"annotate DOMAIN", "--managed-save DOMAIN"}) {
        for (auto pos = out.find(key); pos != std::string::npos; pos = out.find(key, pos)) {
            pos += key.size() - 6;
            out.replace(pos, 6, word);
            pos += word.size();
        }
    }
    return out;
}

// The verdict's message, with what decided it and where the record came
// from: " (evidence: protocol; source host 'h1')".
std::string refusalLine(const DeviceVerdict& v, const Decision& d, std::string_view domain) {
    std::string about;
    if (v.evidence != Evidence::None) {
        about = "evidence: " + evidenceName(v);
    }
    if (!d.source_host.empty()) {
        about +=
            (about.empty() ? "" : "; ") + std::string("source host ") + quoteValue(d.source_host);
    }
    std::string line = withDomain(v.message, domain);
    return about.empty() ? line : line + " (" + about + ")";
}

} // namespace

std::vector<std::string> refusalLines(std::string_view prefix, std::string_view domain,
                                      const Decision& d) {
    std::vector<const DeviceVerdict*> refused;
    for (const auto& v : d.devices) {
        if (!v.compatible) {
            refused.push_back(&v);
        }
    }
    // Past the bound, the last line counts what is not shown.
    const std::size_t shown =
        refused.size() <= kMaxRefusalLines ? refused.size() : kMaxRefusalLines - 1;
    const std::string other = "mdev-migcheck: " + std::string(domain) + ": ";
    std::vector<std::string> out;
    for (std::size_t i = 0; i < shown; ++i) {
        out.push_back((i == 0 ? std::string(prefix) : other) + refusalLine(*refused[i], d, domain));
    }
    if (shown < refused.size()) {
        out.push_back(other + std::to_string(refused.size() - shown) +
                      " more mdevs refused (every verdict is in the log)");
    }
    return out;
}

} // namespace mdevmc
