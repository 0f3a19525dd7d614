#include "util/journal.hpp"

#include "util/escape.hpp"
#include "util/unique_fd.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>

namespace mdevmc {

namespace {

bool validName(std::string_view n) {
    if (n.empty() || n.size() > 64 || n[0] == '_' || (n[0] >= '0' && n[0] <= '9')) {
        return false;
    }
    for (const char ch : n) {
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_')) {
            return false;
        }
    }
    return true;
}

// VALUE escaped, cut to at most MAX bytes of the original.
std::string bounded(std::string_view value, std::size_t max) {
    if (value.size() <= max) {
        return escapeLine(value);
    }
    return escapeLine(value.substr(0, max)) + "...";
}

void appendField(std::string& out, std::string_view name, const std::string& value) {
    out += name;
    if (value.find('\n') == std::string::npos) {
        out += '=';
        out += value;
        out += '\n';
        return;
    }
    // The binary form (escapeLine leaves no newline; kept for any caller
    // whose value is not escaped text).
    out += '\n';
    std::uint64_t n = value.size();
    for (int i = 0; i < 8; ++i) {
        out += static_cast<char>(n & 0xffU);
        n >>= 8U;
    }
    out += value;
    out += '\n';
}

} // namespace

std::string encodeJournalEntry(const std::vector<JournalField>& fields) {
    std::string out;
    for (const auto& f : fields) {
        if (!validName(f.name)) {
            continue;
        }
        const std::size_t max = f.name == "MESSAGE" ? kMaxJournalMessage : kMaxJournalValue;
        appendField(out, f.name, bounded(f.value, max));
    }
    return out;
}

std::string journalSocketPath() {
    if (const char* p = ::getenv(kJournalSocketEnv); p != nullptr && *p != '\0') {
        return p;
    }
    return kJournalSocket;
}

bool sendJournalEntry(const std::string& socket_path, const std::vector<JournalField>& fields) {
    sockaddr_un addr{};
    if (socket_path.empty() || socket_path.size() >= sizeof(addr.sun_path)) {
        return false;
    }
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());
    const UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd.valid()) {
        return false;
    }
    const std::string entry = encodeJournalEntry(fields);
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
    const auto* sa = reinterpret_cast<const sockaddr*>(&addr);
    const ssize_t n =
        ::sendto(fd.get(), entry.data(), entry.size(), MSG_NOSIGNAL | MSG_DONTWAIT, sa,
                 static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_path.size()));
    return n == static_cast<ssize_t>(entry.size());
}

} // namespace mdevmc
