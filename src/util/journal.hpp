// Structured log entries in systemd's native journal protocol, without
// libsystemd (the hook is a static binary): one datagram to the
// journal's socket, each field "NAME=value\n", or, for a value with a
// newline, "NAME\n", its length as 64-bit little endian, the value, "\n".
// Every value is escaped (escapeLine) and bounded before it is sent.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mdevmc {

// systemd's socket; tests point MDEV_MIGCHECK_JOURNAL_SOCKET elsewhere.
inline constexpr const char* kJournalSocket = "/run/systemd/journal/socket";
inline constexpr const char* kJournalSocketEnv = "MDEV_MIGCHECK_JOURNAL_SOCKET";

// The longest value sent (before escaping), and the longest MESSAGE.
inline constexpr std::size_t kMaxJournalValue = 1024;
inline constexpr std::size_t kMaxJournalMessage = 8192;

struct JournalField {
    std::string name; // [A-Z0-9_], not starting with '_' (else dropped)
    std::string value;
};

// FIELDS in the native protocol, each value escaped and cut at its bound
// (MESSAGE: kMaxJournalMessage; others kMaxJournalValue), the cut marked
// "...".  A field whose name the journal would refuse is left out.
std::string encodeJournalEntry(const std::vector<JournalField>& fields);

// The socket path: $MDEV_MIGCHECK_JOURNAL_SOCKET if set, else kJournalSocket.
std::string journalSocketPath();

// Sends FIELDS to the journal at SOCKET_PATH in one datagram, without
// waiting (a full socket is a failure).  False if there is no journal
// there or it did not take the entry: the caller falls back to syslog.
bool sendJournalEntry(const std::string& socket_path, const std::vector<JournalField>& fields);

} // namespace mdevmc
