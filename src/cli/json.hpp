// JSON output of the commands: objects keep their keys in insertion order;
// each document is printed compactly on one line.
#pragma once

#include "util/errno_name.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>

namespace mdevmc::cli {

using Json = nlohmann::ordered_json;

// DOC on one line, then a newline.  Bytes that are not UTF-8 are replaced
// (U+FFFD) rather than failing the command.
inline void printJson(std::ostream& out, const Json& doc) {
    out << doc.dump(-1, ' ', false, Json::error_handler_t::replace) << '\n';
}

// The errno name of ERR, or null for 0.
inline Json errnoJson(int err) {
    return err != 0 ? Json(errnoName(err)) : Json(nullptr);
}

// S, or null if it is absent or empty.
inline Json stringOrNull(const std::optional<std::string>& s) {
    return s && !s->empty() ? Json(*s) : Json(nullptr);
}

} // namespace mdevmc::cli
