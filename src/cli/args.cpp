#include "cli/args.hpp"

namespace mdevmc::cli {

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
        const OptionSpec* spec = nullptr;
        std::string inline_value;
        bool has_inline = false;
        if (a[1] == '-') {
            std::string name = a.substr(2);
            if (const auto eq = name.find('='); eq != std::string::npos) {
                inline_value = name.substr(eq + 1);
                name = name.substr(0, eq);
                has_inline = true;
            }
            for (const auto& s : specs) {
                if (name == s.long_name) {
                    spec = &s;
                }
            }
        } else if (a.size() == 2) {
            for (const auto& s : specs) {
                if (s.short_name != 0 && a[1] == s.short_name) {
                    spec = &s;
                }
            }
        }
        if (spec == nullptr) {
            throw Fatal(who + ": unknown option '" + a + "' (see 'mdev-migcheck " + command +
                        " --help')");
        }
        if (!spec->takes_value) {
            if (has_inline) {
                throw Fatal(who + ": option '--" + spec->long_name + "' takes no value");
            }
            values_[spec->long_name] = "";
            continue;
        }
        if (has_inline) {
            values_[spec->long_name] = inline_value;
        } else if (i + 1 < args.size()) {
            values_[spec->long_name] = args[++i];
        } else {
            throw Fatal(who + ": option '" + a + "' needs a value");
        }
    }
}

std::optional<std::string> Args::value(const std::string& long_name) const {
    const auto it = values_.find(long_name);
    if (it == values_.end()) {
        return std::nullopt;
    }
    return it->second;
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
