// The option parser of the mdev-migcheck commands: options declared up
// front, unknown options and missing values are errors that name the
// option.
#pragma once

#include "util/error.hpp"

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mdevmc::cli {

struct OptionSpec {
    const char* long_name; // "xml"
    char short_name;       // 'c', or 0
    bool takes_value;
};

// ARGS parsed against a command's options: "--name VALUE", "--name=VALUE",
// "-c VALUE", "-cVALUE" and flags (not bundled: "-ab" is unknown); "--"
// ends the options, "-" is an argument.
class Args {
public:
    // Throws Fatal (exit 2) on a usage error.  COMMAND names the
    // subcommand in messages.
    Args(const std::string& command, const std::vector<std::string>& args,
         const std::vector<OptionSpec>& specs);

    const std::string& command() const { return command_; }
    bool has(const std::string& long_name) const { return values_.count(long_name) != 0; }
    // The value of the last occurrence of an option.
    std::optional<std::string> value(const std::string& long_name) const;
    // The values of every occurrence, in order (an option given more than
    // once: "--to b --to c").
    std::vector<std::string> values(const std::string& long_name) const;
    const std::vector<std::string>& positional() const { return positional_; }

    // Throws Fatal naming the first argument beyond the ALLOWED ones.
    void atMostPositional(std::size_t allowed) const;

private:
    std::string command_;
    std::map<std::string, std::string> values_;
    std::map<std::string, std::vector<std::string>> all_values_;
    std::vector<std::string> positional_;
};

// True if ARGS ask for --help or -h (before any "--").
bool wantsHelp(const std::vector<std::string>& args);

} // namespace mdevmc::cli
