#include "cli/preflight_target.hpp"

#include <algorithm>
#include <charconv>

namespace mdevmc::cli {

namespace {

bool alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// A DNS name, an IPv4 address or an IPv6 address (without brackets): what
// ssh takes as a host, never read as one of its options.
Result<void> checkHost(std::string_view host, std::string_view spec) {
    const std::string what = "target '" + std::string(spec) + "'";
    if (host.empty()) {
        return fail(what + " names no host");
    }
    if (host.size() > 253) {
        return fail(what + ": the host name is longer than 253 characters");
    }
    if (!alnum(host.front()) && host.front() != ':') {
        return fail(what + ": a host name must begin with a letter, a digit or ':' (IPv6)");
    }
    const auto bad = std::find_if(host.begin(), host.end(), [](char c) {
        return !alnum(c) && c != '.' && c != '-' && c != '_' && c != ':';
    });
    if (bad != host.end()) {
        return fail(what + ": the host name may hold only letters, digits, '.', '-', '_' and ':'");
    }
    return {};
}

Result<void> checkUser(std::string_view user, std::string_view spec) {
    const std::string what = "target '" + std::string(spec) + "'";
    if (user.empty() || user.size() > 32 || user.front() == '-' ||
        !std::all_of(user.begin(), user.end(),
                     [](char c) { return alnum(c) || c == '.' || c == '_' || c == '-'; })) {
        return fail(what + ": the user name must be 1 to 32 letters, digits, '.', '_' or '-', "
                           "not beginning with '-'");
    }
    return {};
}

// "[user@]host[:port]" of a URI (HOST may be "[v6]").
Result<Target> parseAuthority(std::string_view auth, std::string_view spec) {
    Target t;
    t.spec = std::string(spec);
    if (const auto at = auth.rfind('@'); at != std::string_view::npos) {
        t.user = std::string(auth.substr(0, at));
        MDEVMC_TRY(checkUser(t.user, spec));
        auth.remove_prefix(at + 1);
    }
    std::string_view port;
    if (!auth.empty() && auth.front() == '[') {
        const auto close = auth.find(']');
        if (close == std::string_view::npos) {
            return fail("target '" + t.spec + "': '[' without ']'");
        }
        t.host = std::string(auth.substr(1, close - 1));
        const std::string_view rest = auth.substr(close + 1);
        if (!rest.empty() && rest.front() != ':') {
            return fail("target '" + t.spec + "': unexpected text after ']'");
        }
        port = rest.empty() ? rest : rest.substr(1);
        if (rest.size() == 1) {
            return fail("target '" + t.spec + "': empty port");
        }
    } else if (const auto colon = auth.find(':'); colon != std::string_view::npos) {
        t.host = std::string(auth.substr(0, colon));
        port = auth.substr(colon + 1);
        if (port.empty()) {
            return fail("target '" + t.spec + "': empty port");
        }
    } else {
        t.host = std::string(auth);
    }
    MDEVMC_TRY(checkHost(t.host, spec));
    if (!port.empty()) {
        const auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), t.port);
        if (ec != std::errc() || p != port.data() + port.size() || t.port < 1 || t.port > 65535) {
            return fail("target '" + t.spec + "': port '" + std::string(port) +
                        "' is not a number from 1 to 65535");
        }
    }
    return t;
}

} // namespace

Result<Target> parseTarget(std::string_view spec) {
    if (spec.empty()) {
        return fail("an empty target");
    }
    if (const auto scheme = spec.find("://"); scheme != std::string_view::npos) {
        std::string_view auth = spec.substr(scheme + 3);
        auth = auth.substr(0, std::min(auth.find('/'), auth.find('?')));
        return parseAuthority(auth, spec);
    }
    Target t;
    t.spec = std::string(spec);
    std::string_view host = spec;
    if (const auto at = spec.rfind('@'); at != std::string_view::npos) {
        t.user = std::string(spec.substr(0, at));
        MDEVMC_TRY(checkUser(t.user, spec));
        host.remove_prefix(at + 1);
    }
    MDEVMC_TRY(checkHost(host, spec));
    t.host = std::string(host);
    return t;
}

std::vector<std::string> sshArgv(const std::string& ssh, const Target& t,
                                 std::chrono::seconds connect_timeout) {
    std::vector<std::string> argv{
        ssh,  "-T",
        "-o", "BatchMode=yes",
        "-o", "ConnectTimeout=" + std::to_string(connect_timeout.count())};
    if (!t.user.empty()) {
        argv.insert(argv.end(), {"-l", t.user});
    }
    if (t.port != 0) {
        argv.insert(argv.end(), {"-p", std::to_string(t.port)});
    }
    argv.insert(argv.end(), {"--", t.host, kRemoteCommand});
    return argv;
}

} // namespace mdevmc::cli
