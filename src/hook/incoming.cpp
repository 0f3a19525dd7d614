#include "hook/incoming.hpp"

#include "mdev/validate.hpp"

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>

namespace mdevmc {

namespace {

// The longest domain name libvirt's qemu driver keeps in a file name.
constexpr std::size_t kMaxNameBytes = 200;

bool isFileName(std::string_view name) {
    if (name.empty() || name.size() > kMaxNameBytes || name.front() == '.') {
        return false;
    }
    for (const char c : name) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '/' || u < 0x20 || u == 0x7f) {
            return false;
        }
    }
    return true;
}

Unexpected<Error> bad(std::string_view field, std::string_view value) {
    return fail("incoming note: invalid " + std::string(field) + " " + quoteValue(value), EINVAL);
}

} // namespace

std::string incomingNotePath(std::string_view domain_uuid) {
    return "run/mdev-migcheck/incoming/" + std::string(domain_uuid);
}

std::string formatIncomingNote(const IncomingNote& note) {
    std::string out = "domain=" + note.domain + "\nuuid=" + note.uuid +
                      "\nat-ms=" + std::to_string(note.at_ms) + "\ndefinition=" + note.definition +
                      "\n";
    for (const auto& m : note.mdevs) {
        out += "mdev=" + m + "\n";
    }
    return out;
}

Result<IncomingNote> parseIncomingNote(std::string_view text) {
    IncomingNote note;
    bool have_uuid = false;
    bool have_at = false;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        if (nl == std::string_view::npos) {
            return fail("incoming note: its last line is cut", EINVAL);
        }
        const std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl + 1);
        const auto eq = line.find('=');
        if (eq == std::string_view::npos) {
            return bad("line", line);
        }
        const std::string_view key = line.substr(0, eq);
        const std::string_view value = line.substr(eq + 1);
        if (key == "domain") {
            if (!isFileName(value)) {
                return bad("domain", value);
            }
            note.domain = value;
        } else if (key == "uuid") {
            if (!isValidUuid(value)) {
                return bad("uuid", value);
            }
            note.uuid = value;
            have_uuid = true;
        } else if (key == "at-ms") {
            const auto [p, ec] =
                std::from_chars(value.data(), value.data() + value.size(), note.at_ms);
            if (ec != std::errc() || p != value.data() + value.size() || note.at_ms < 0) {
                return bad("at-ms", value);
            }
            have_at = true;
        } else if (key == "definition") {
            if (value != "absent" &&
                (value.size() != 16 ||
                 value.find_first_not_of("0123456789abcdef") != std::string_view::npos)) {
                return bad("definition", value);
            }
            note.definition = value;
        } else if (key == "mdev") {
            if (!isValidUuid(value)) {
                return bad("mdev", value);
            }
            note.mdevs.emplace_back(value);
        } else {
            return bad("key", key);
        }
    }
    if (!have_uuid || !have_at || note.definition.empty()) {
        return fail("incoming note: uuid, at-ms or definition is missing", EINVAL);
    }
    return note;
}

std::optional<std::string> definitionPath(std::string_view name) {
    if (!isFileName(name)) {
        return std::nullopt;
    }
    return "etc/libvirt/qemu/" + std::string(name) + ".xml";
}

std::string definitionDigest(const std::optional<std::string>& text) {
    if (!text) {
        return "absent";
    }
    // FNV-1a, 64 bits: a change detector, not a defence (the file is root's).
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (const char c : *text) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ULL;
    }
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

} // namespace mdevmc
