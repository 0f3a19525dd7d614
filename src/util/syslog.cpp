#include "util/syslog.hpp"

#include "util/escape.hpp"

#include <string>
#include <syslog.h>

namespace mdevmc {

SysLog::SysLog(bool enabled) : enabled_(enabled) {
    if (enabled_) {
        ::openlog("mdev-migcheck", LOG_PID | LOG_NDELAY, LOG_DAEMON);
    }
}

SysLog::~SysLog() {
    if (enabled_) {
        ::closelog();
    }
}

void SysLog::log(int priority, std::string_view message) const {
    if (enabled_) {
        const std::string m = escapeLine(message);
        ::syslog(priority, "%s", m.c_str());
    }
}

void SysLog::entry(int priority, std::string_view message,
                   const std::vector<JournalField>& fields) const {
    if (!enabled_) {
        return;
    }
    std::vector<JournalField> all{{"MESSAGE", std::string(message)},
                                  {"PRIORITY", std::to_string(priority)},
                                  {"SYSLOG_IDENTIFIER", "mdev-migcheck"},
                                  {"SYSLOG_FACILITY", std::to_string(LOG_DAEMON >> 3)}};
    all.insert(all.end(), fields.begin(), fields.end());
    if (!sendJournalEntry(journalSocketPath(), all)) {
        log(priority, message);
    }
}

void SysLog::info(std::string_view message) const {
    log(LOG_INFO, message);
}
void SysLog::warning(std::string_view message) const {
    log(LOG_WARNING, message);
}
void SysLog::error(std::string_view message) const {
    log(LOG_ERR, message);
}

} // namespace mdevmc
