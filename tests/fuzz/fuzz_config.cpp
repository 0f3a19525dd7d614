// Fuzz target: the configuration parser (check/config, parseConfigAll and
// parseConfig).  The input is the text of a configuration file.  Asserted,
// besides the sanitizers' checks:
//  - the configuration read (its valid lines applied, with or without
//    errors) holds only values the documented ranges allow;
//  - every error names the file and a line of the input ("FILE:N: ..."),
//    in the order of the lines, and that line is the one at fault: the
//    lines up to it give the same errors up to this one;
//  - parseConfig fails exactly when there is an error, with them all.
#include "check/config.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace mdevmc;

namespace {

constexpr std::string_view kOrigin = "/etc/mdev-migcheck/mdev-migcheck.conf";

[[noreturn]] void failed(const char* what, std::string_view detail) {
    std::fprintf(stderr, "fuzz_config: %s: %.*s\n", what, static_cast<int>(detail.size()),
                 detail.data());
    std::abort();
}

// The first N lines of TEXT (each with its newline).
std::string_view firstLines(std::string_view text, std::size_t n) {
    std::size_t pos = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos) {
            return text;
        }
        pos = nl + 1;
    }
    return text.substr(0, pos);
}

void checkValues(const Config& c) {
    if (c.timeout.count() < 100 || c.timeout.count() > 600000) {
        failed("timeout_ms out of range", std::to_string(c.timeout.count()));
    }
    if (c.attr_timeout.count() < 10 || c.attr_timeout.count() > 600000) {
        failed("attr_timeout_ms out of range", std::to_string(c.attr_timeout.count()));
    }
    if (c.record_wait.count() < 0 || c.record_wait.count() > 3600000) {
        failed("record_wait_ms out of range", std::to_string(c.record_wait.count()));
    }
    if (c.oracles_auto && !c.oracles.empty()) {
        failed("oracles = auto with names", c.oracles.front());
    }
    for (const auto& name : c.oracles) {
        if (name.empty() || name.size() > 32 ||
            name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") != std::string::npos) {
            failed("an oracle name that is not valid", name);
        }
    }
    for (const auto& adj : c.facts) {
        if (adj.driver.empty()) {
            failed("facts. adjustment without a driver", "");
        }
    }
}

// MESSAGE is "ORIGIN:N: ..." with N a line of TEXT; returns N.
std::size_t lineOf(std::string_view message, std::string_view text) {
    const std::string prefix = std::string(kOrigin) + ":";
    if (message.rfind(prefix, 0) != 0) {
        failed("error does not start with the file name", message);
    }
    std::size_t i = prefix.size();
    std::size_t n = 0;
    while (i < message.size() && message[i] >= '0' && message[i] <= '9' && n < 100000000) {
        n = n * 10 + static_cast<std::size_t>(message[i] - '0');
        ++i;
    }
    if (i == prefix.size() || message.substr(i, 2) != ": ") {
        failed("error does not name a line after the file name", message);
    }
    std::size_t lines = 1;
    for (char c : text) {
        lines += c == '\n' ? 1U : 0U;
    }
    if (n < 1 || n > lines) {
        failed("error names a line the text does not have", message);
    }
    return n;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const LoadedConfig all = parseConfigAll(text, kOrigin);
    checkValues(all.config);
    // Each error is checked against a parse of the lines up to it: the
    // first few, so that a text of many errors stays quick to run.
    constexpr std::size_t kChecked = 8;
    std::size_t previous = 1;
    for (std::size_t k = 0; k < all.errors.size(); ++k) {
        const std::string& message = all.errors[k].message;
        const std::size_t line = lineOf(message, text);
        if (line < previous) {
            failed("errors out of the order of their lines", message);
        }
        previous = line;
        if (k >= kChecked) {
            continue;
        }
        const LoadedConfig upto = parseConfigAll(firstLines(text, line), kOrigin);
        if (upto.errors.size() <= k || upto.errors[k].message != message) {
            failed("the line named is not the one at fault", message);
        }
    }
    const auto parsed = parseConfig(text, kOrigin);
    if (parsed.has_value() != all.errors.empty()) {
        failed("parseConfig and parseConfigAll disagree", parsed ? "" : parsed.error().message);
    }
    if (!parsed && parsed.error().message != combineErrors(all.errors).message) {
        failed("parseConfig's error is not every error", parsed.error().message);
    }
    return 0;
}
