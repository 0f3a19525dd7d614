#include "cli/args.hpp"

namespace mdevmc::cli {

namespace {

// The option named "--NAME" among SPECS (the last one declared), or null.
const OptionSpec* findLong(const std::vector<OptionSpec>& specs, const std::string& name) {
    const OptionSpec* spec = nullptr;
    for (const auto& s : specs) {
        if (name == s.long_name) {
            spec = &s;
        }
    }
    return spec;
}

// The option named "-C" among SPECS (the last one declared), or null.
const OptionSpec* findShort(const std::vector<OptionSpec>& specs, char c) {
    const OptionSpec* spec = nullptr;
    for (const auto& s : specs) {
        if (s.short_name != 0 && c == s.short_name) {
            spec = &s;
        }
    }
    return spec;
}

// An option argument ("--name", "--name=value", "-c") looked up in SPECS.
struct FoundOption {
    const OptionSpec* spec = nullptr;        // null: not one of SPECS
    std::optional<std::string> inline_value; // the VALUE of "--name=VALUE"
};

FoundOption findOption(const std::string& a, const std::vector<OptionSpec>& specs) {
    FoundOption found;
    if (a[1] == '-') {
        std::string name = a.substr(2);
        if (const auto eq = name.find('='); eq != std::string::npos) {
            found.inline_value = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        found.spec = findLong(specs, name);
    } else {
        // "-c VALUE" or, as getopt takes it, "-cVALUE" for an option with a
        // value; short flags are not bundled.
        found.spec = findShort(specs, a[1]);
        if (a.size() > 2 && (found.spec == nullptr || !found.spec->takes_value)) {
            found.spec = nullptr;
        } else if (a.size() > 2) {
            found.inline_value = a.substr(2);
        }
    }
    return found;
}

} // namespace

Args::Args(const std::string& command, const std::vector<std::string>& args,
           const std::vector<OptionSpec>& specs)
    : command_(command) {
    const std::string who = "mdev-migcheck " + command;
    bool options_done = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (options_done || a == "-" || a.size() < 2 || a[0] != '-') {
            positional_.push_back(a);
            continue;
        }
        if (a == "--") {
            options_done = true;
            continue;
        }
        const FoundOption found = findOption(a, specs);
        const OptionSpec* spec = found.spec;
        if (spec == nullptr) {
            throw Fatal(who + ": unknown option '" + a + "' (see 'mdev-migcheck " + command +
                        " --help')");
        }
        if (!spec->takes_value) {
            if (found.inline_value) { // "--flag=VALUE"
                throw Fatal(who + ": option '--" + spec->long_name + "' takes no value");
            }
            values_[spec->long_name] = "";
            continue;
        }
        if (found.inline_value) {
            values_[spec->long_name] = *found.inline_value;
        } else if (i + 1 < args.size()) {
            values_[spec->long_name] = args[++i];
        } else {
            throw Fatal(who + ": option '" + a + "' needs a value");
        }
        all_values_[spec->long_name].push_back(values_[spec->long_name]);
    }
}

std::optional<std::string> Args::value(const std::string& long_name) const {
    const auto it = values_.find(long_name);
    if (it == values_.end()) {
        return std::nullopt;
    }
    return it->second;
}

std::vector<std::string> Args::values(const std::string& long_name) const {
    const auto it = all_values_.find(long_name);
    return it == all_values_.end() ? std::vector<std::string>{} : it->second;
}

void Args::atMostPositional(std::size_t allowed) const {
    if (positional_.size() > allowed) {
        throw Fatal("mdev-migcheck " + command_ + ": unexpected argument '" + positional_[allowed] +
                    "'");
    }
}

bool wantsHelp(const std::vector<std::string>& args) {
    for (const auto& a : args) {
        if (a == "--help" || a == "-h") {
            return true;
        }
        if (a == "--") {
            break;
        }
    }
    return false;
}

} // namespace mdevmc::cli
