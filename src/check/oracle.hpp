// Vendor oracles (doc/oracle-protocol.md): executables that tell, from
// knowledge sysfs does not expose, whether an mdev recorded on one host can
// be migrated to a device here.  Each runs as a child process with the same
// safety as a sysfs access: a deadline after which its process group is
// killed, standard input and error on /dev/null, standard output bounded,
// none of the caller's descriptors.  A hang, a crash or garbage is "cannot
// tell", with the reason.
#pragma once

#include "check/config.hpp"
#include "sysfs/attr_io.hpp"
#include "sysfs/root.hpp"
#include "util/deadline.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mdevmc {

// Where oracles are installed, relative to the root; the first hides the
// second's entry of the same name.
inline constexpr const char* kOraclesEtcDir = "etc/mdev-migcheck/oracles.d";
inline constexpr const char* kOraclesLibexecDir = "usr/libexec/mdev-migcheck/oracles";
// The most of an oracle's standard output that is read.
inline constexpr std::size_t kMaxOracleOutput = 8192;
// The longest reason kept from an oracle's answer.
inline constexpr std::size_t kMaxOracleReason = 512;

struct OracleAnswer {
    enum class Kind { Token, Unclaimed, Compatible, Incompatible, Unknown };
    Kind kind = Kind::Unknown;
    std::string text; // Token: the token; Incompatible, Unknown: the reason
};
const char* toString(OracleAnswer::Kind k);

// Parses an oracle's standard output for a `record` (RECORD true) or a
// `check`: the first line must be one of the protocol's answers.
OracleAnswer parseOracleAnswer(std::string_view output, bool record);

class Oracles {
public:
    // Looks the oracles up through IO (each lookup bounded by the
    // configuration's attr_timeout).
    Oracles(const Root& root, AttrIo& io, const Config& config)
        : root_(root), io_(io), config_(config) {}

    // The installed oracles the configuration selects, in name order.
    const std::vector<std::string>& names();

    OracleAnswer record(const std::string& name, std::string_view uuid, std::string_view type,
                        std::string_view parent, Deadline deadline);
    OracleAnswer check(const std::string& name, std::string_view uuid, std::string_view type,
                       std::string_view parent, std::string_view token, Deadline deadline);

private:
    // The oracle's executable as a path to execute, or why there is none.
    std::optional<std::string> executable(const std::string& name, std::string& why) const;
    OracleAnswer run(const std::string& name, const std::vector<std::string>& args, bool record,
                     Deadline deadline);

    Deadline lookup() const { return Deadline::after(config_.attr_timeout); }

    const Root& root_;
    AttrIo& io_;
    const Config& config_;
    std::optional<std::vector<std::string>> names_;
};

} // namespace mdevmc
