#include "check/config.hpp"

#include "util/errno_name.hpp"

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

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

enum class Kind { Millis, Bool };

struct Key {
    const char* name;
    Kind kind;
    std::chrono::milliseconds Config::*ms;
    bool Config::*flag;
    long min;
    long max;
};

constexpr std::array<Key, 5> kKeys{{
    {"timeout_ms", Kind::Millis, &Config::timeout, nullptr, 100, 600000},
    {"attr_timeout_ms", Kind::Millis, &Config::attr_timeout, nullptr, 10, 600000},
    {"allow_unrecorded", Kind::Bool, nullptr, &Config::allow_unrecorded, 0, 0},
    {"syslog", Kind::Bool, nullptr, &Config::syslog, 0, 0},
    {"record_wait_ms", Kind::Millis, &Config::record_wait, nullptr, 0, 3600000},
}};

} // namespace

Result<Config> parseConfig(std::string_view text, std::string_view origin) {
    Config c;
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
        const auto eq = line.find('=');
        if (eq == std::string_view::npos) {
            return fail(where + ": expected 'key = value', got '" + std::string(line) + "'",
                        EINVAL);
        }
        const std::string key(trim(line.substr(0, eq)));
        const std::string value(trim(line.substr(eq + 1)));
        const Key* k = nullptr;
        for (const auto& cand : kKeys) {
            if (key == cand.name) {
                k = &cand;
            }
        }
        if (k == nullptr) {
            return fail(where + ": unknown key '" + key + "'", EINVAL);
        }
        if (k->kind == Kind::Bool) {
            if (value == "yes" || value == "true" || value == "1") {
                c.*(k->flag) = true;
            } else if (value == "no" || value == "false" || value == "0") {
                c.*(k->flag) = false;
            } else {
                return fail(where + ": '" + key + "' takes yes or no, not '" + value + "'", EINVAL);
            }
            continue;
        }
        long v = 0;
        const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
        if (ec != std::errc() || p != value.data() + value.size() || v < k->min || v > k->max) {
            return fail(where + ": '" + key + "' takes a number of milliseconds from " +
                            std::to_string(k->min) + " to " + std::to_string(k->max) + ", not '" +
                            value + "'",
                        EINVAL);
        }
        c.*(k->ms) = std::chrono::milliseconds(v);
    }
    return c;
}

std::string configPath(const Root& root) {
    if (const char* env = ::getenv(kConfigEnv); env != nullptr && *env != '\0') {
        return env;
    }
    return root.display("etc/mdev-migcheck/mdev-migcheck.conf");
}

Result<Config> loadConfig(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        if (errno == ENOENT) {
            return Config{};
        }
        const int e = errno;
        return fail("cannot read configuration file '" + path + "': " + errnoText(e), e);
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    return parseConfig(ss.str(), path);
}

} // namespace mdevmc
