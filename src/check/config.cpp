#include "check/config.hpp"

#include "mdev/validate.hpp"
#include "util/errno_name.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>

namespace mdevmc {

namespace {

std::string_view trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string_view::npos) {
        return {};
    }
    const auto e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

enum class Kind { Millis, Bool, Other };

struct Key {
    const char* name;
    Kind kind;
    std::chrono::milliseconds Config::*ms;
    bool Config::*flag;
    long min;
    long max;
};

constexpr std::array<Key, 10> kKeys{{
    {"enabled", Kind::Bool, nullptr, &Config::enabled, 0, 0},
    {"mode", Kind::Other, nullptr, nullptr, 0, 0},
    {"driver_version", Kind::Other, nullptr, nullptr, 0, 0},
    {"oracles", Kind::Other, nullptr, nullptr, 0, 0},
    {"timeout_ms", Kind::Millis, &Config::timeout, nullptr, 100, 600000},
    {"attr_timeout_ms", Kind::Millis, &Config::attr_timeout, nullptr, 10, 600000},
    {"allow_unrecorded", Kind::Bool, nullptr, &Config::allow_unrecorded, 0, 0},
    {"syslog", Kind::Bool, nullptr, &Config::syslog, 0, 0},
    {"provision", Kind::Bool, nullptr, &Config::provision, 0, 0},
    {"record_wait_ms", Kind::Millis, &Config::record_wait, nullptr, 0, 3600000},
}};

bool isOracleName(std::string_view s) {
    return !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), [](char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
    });
}

std::vector<std::string> words(std::string_view s, char sep) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos <= s.size()) {
        const std::size_t end = std::min(s.find(sep, pos), s.size());
        const auto w = trim(s.substr(pos, end - pos));
        if (!w.empty()) {
            out.emplace_back(w);
        }
        pos = end + 1;
    }
    return out;
}

// The keys whose values are words: mode, driver_version, oracles and
// facts.DRIVER.  Returns why VALUE is wrong, or an empty string.
std::string setOther(Config& c, const std::string& key, const std::string& value) {
    if (key == "mode") {
        if (value == "enforce" || value == "audit") {
            c.mode = value == "audit" ? Mode::Audit : Mode::Enforce;
            return {};
        }
        return "'mode' takes enforce or audit";
    }
    if (key == "driver_version") {
        if (auto r = driverVersionRuleFromString(value)) {
            c.driver_version = *r;
            return {};
        }
        return "'driver_version' takes identical, same-or-newer or any";
    }
    if (key == "oracles") {
        c.oracles.clear();
        c.oracles_auto = value == "auto";
        if (value == "auto" || value == "none") {
            return {};
        }
        for (auto& w : words(value, ',')) {
            if (!isOracleName(w)) {
                return "'oracles' takes auto, none or oracle names ([a-z0-9_-], comma-separated)";
            }
            c.oracles.push_back(std::move(w));
        }
        return c.oracles.empty() ? "'oracles' needs a value" : std::string();
    }
    // facts.DRIVER = +fact -fact ...
    FactAdjustment adj;
    adj.driver = key.substr(6);
    if (adj.driver.empty() ||
        (adj.driver != "*" && !std::all_of(adj.driver.begin(), adj.driver.end(), [](char ch) {
             return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '_' || ch == '-';
         }))) {
        return "'" + key + "': 'facts.' must be followed by a driver name or '*'";
    }
    for (const auto& w : words(value, ' ')) {
        if (w.size() < 2 || (w[0] != '+' && w[0] != '-') || !isValidFactName(w.substr(1))) {
            return "'" + key +
                   "' takes +FACT and -FACT words (fact names: see mdev-migcheck.conf(5))";
        }
        (w[0] == '+' ? adj.add : adj.drop).push_back(w.substr(1));
    }
    c.facts.push_back(std::move(adj));
    return {};
}

} // namespace

const char* toString(Mode m) {
    return m == Mode::Audit ? "audit" : "enforce";
}

namespace {

// One line "key = value" of ORIGIN: sets it in C, or says why it is wrong.
Result<void> parseLine(Config& c, std::string_view line, const std::string& where);

// Every line of TEXT: the valid ones set C, each invalid one adds its error
// (file and line) to ERRORS; parsing goes on past it.
void parseInto(Config& c, std::string_view text, std::string_view origin,
               std::vector<Error>& errors) {
    std::size_t lineno = 0;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        const std::size_t nl = std::min(text.find('\n', pos), text.size());
        std::string_view line = text.substr(pos, nl - pos);
        pos = nl + 1;
        ++lineno;
        if (const auto hash = line.find('#'); hash != std::string_view::npos) {
            line = line.substr(0, hash);
        }
        line = trim(line);
        if (line.empty()) {
            continue;
        }
        const std::string where = std::string(origin) + ":" + std::to_string(lineno);
        if (auto r = parseLine(c, line, where); !r) {
            errors.push_back(r.error());
        }
    }
}

Result<void> parseLine(Config& c, std::string_view line, const std::string& where) {
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) {
        // The line itself is not shown: a configuration path that
        // links to another file must not echo that file.
        return fail(where + ": expected 'key = value'", EINVAL);
    }
    const std::string key(trim(line.substr(0, eq)));
    const std::string value(trim(line.substr(eq + 1)));
    const Key* k = nullptr;
    for (const auto& cand : kKeys) {
        if (key == cand.name) {
            k = &cand;
        }
    }
    if (k == nullptr && key.rfind("facts.", 0) != 0) {
        return fail(where + ": unknown key " + quoteValue(key), EINVAL);
    }
    if (k == nullptr || k->kind == Kind::Other) {
        if (auto why = setOther(c, key, value); !why.empty()) {
            return fail(where + ": " + why + ", not " + quoteValue(value), EINVAL);
        }
        return {};
    }
    if (k->kind == Kind::Bool) {
        if (value == "yes" || value == "true" || value == "1") {
            c.*(k->flag) = true;
        } else if (value == "no" || value == "false" || value == "0") {
            c.*(k->flag) = false;
        } else {
            return fail(where + ": '" + key + "' takes yes or no, not " + quoteValue(value),
                        EINVAL);
        }
        return {};
    }
    long v = 0;
    const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc() || p != value.data() + value.size() || v < k->min || v > k->max) {
        return fail(where + ": '" + key + "' takes a number of milliseconds from " +
                        std::to_string(k->min) + " to " + std::to_string(k->max) + ", not " +
                        quoteValue(value),
                    EINVAL);
    }
    c.*(k->ms) = std::chrono::milliseconds(v);
    return {};
}

} // namespace

Error combineErrors(const std::vector<Error>& errors) {
    // Bounded: a file of bad lines must not make a line of megabytes.
    constexpr std::size_t kShown = 8;
    std::string m;
    for (std::size_t i = 0; i < errors.size() && i < kShown; ++i) {
        m += (i == 0 ? "" : "; ") + errors[i].message;
    }
    if (errors.size() > kShown) {
        m += "; and " + std::to_string(errors.size() - kShown) + " more configuration errors";
    }
    return Error{m, errors.empty() ? 0 : errors.front().err, 0};
}

LoadedConfig parseConfigAll(std::string_view text, std::string_view origin) {
    LoadedConfig l;
    parseInto(l.config, text, origin, l.errors);
    return l;
}

Result<Config> parseConfig(std::string_view text, std::string_view origin) {
    auto l = parseConfigAll(text, origin);
    if (!l.errors.empty()) {
        return Unexpected<Error>(combineErrors(l.errors));
    }
    return l.config;
}

std::string configPath(const Root& root) {
    if (const char* env = ::getenv(kConfigEnv); env != nullptr && *env != '\0') {
        return env;
    }
    return root.display("etc/mdev-migcheck/mdev-migcheck.conf");
}

namespace {

// The largest configuration file read.
constexpr std::size_t kMaxConfigFile = std::size_t{64} * 1024;

// Reads the configuration file PATH through IO: it must be a regular file,
// opened without blocking (a FIFO never stalls the hook).  ENOENT: nullopt.
Result<std::optional<std::string>> readConfigFile(AttrIo& io, const std::string& path,
                                                  Deadline deadline) {
    auto text = io.readFile(path, kMaxConfigFile, deadline);
    if (text) {
        return text;
    }
    const int e = text.error().err;
    switch (e) {
    case EINVAL:
        return fail("configuration file '" + path + "' is not a regular file", e);
    case EFBIG:
        return fail("configuration file '" + path + "' is larger than " +
                        std::to_string(kMaxConfigFile) + " bytes",
                    e);
    case ETIMEDOUT:
        return fail("cannot read configuration file '" + path + "' (timed out)", e);
    default:
        return fail("cannot read configuration file '" + path + "' (" + errnoPhrase(e) + ")", e);
    }
}

// The *.conf files of drop-in directory DIR, sorted; none if it is missing.
Result<std::vector<std::string>> dropIns(AttrIo& io, const std::string& dir, Deadline deadline) {
    auto names = io.list(dir, deadline);
    if (!names) {
        if (names.error().err == ENOENT) {
            return std::vector<std::string>{};
        }
        return fail("cannot list configuration directory '" + dir + "' " +
                        (names.error().err == ETIMEDOUT
                             ? std::string("(timed out)")
                             : "(" + errnoPhrase(names.error().err) + ")"),
                    names.error().err);
    }
    std::vector<std::string> out;
    for (const auto& n : *names) {
        if (n.size() > 5 && n[0] != '.' && n.compare(n.size() - 5, 5, ".conf") == 0) {
            out.push_back(dir + "/" + n);
        }
    }
    return out; // sorted: the listing is
}

} // namespace

LoadedConfig loadConfigAll(const std::string& path, AttrIo& io, Deadline deadline) {
    LoadedConfig l;
    std::vector<std::string> files{path};
    if (auto more = dropIns(io, path + ".d", deadline)) {
        files.insert(files.end(), more->begin(), more->end());
    } else {
        l.errors.push_back(more.error());
    }
    for (const auto& file : files) {
        auto text = readConfigFile(io, file, deadline);
        if (!text) {
            l.errors.push_back(text.error());
        } else if (*text) {
            parseInto(l.config, **text, file, l.errors);
        }
    }
    return l;
}

Result<Config> loadConfig(const std::string& path, AttrIo& io, Deadline deadline) {
    auto l = loadConfigAll(path, io, deadline);
    if (!l.errors.empty()) {
        return Unexpected<Error>(combineErrors(l.errors));
    }
    return l.config;
}

} // namespace mdevmc
