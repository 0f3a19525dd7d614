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
