// Command-line parsing shared by the mdev-migcheck subcommands: options
// declared up front, unknown options and missing values are errors that
// name the option.
#pragma once

#include "util/error.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mdevmc {

struct OptionSpec {
    const char* long_name; // "xml"
    char short_name;       // 'c', or 0
    bool takes_value;
};

class CliArgs {
public:
    // Parses ARGS against SPECS; throws Fatal (exit 2) on a usage error.
    // COMMAND names the subcommand in messages.
    CliArgs(const std::string& command, const std::vector<std::string>& args,
            const std::vector<OptionSpec>& specs);

    bool has(const std::string& long_name) const { return values_.count(long_name) != 0; }
    std::optional<std::string> value(const std::string& long_name) const;
    const std::vector<std::string>& positional() const { return positional_; }

private:
    std::map<std::string, std::string> values_;
    std::vector<std::string> positional_;
};

} // namespace mdevmc
