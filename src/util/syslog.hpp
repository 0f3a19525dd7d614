// Verdicts and notable events to syslog/journal, identifier "mdev-migcheck"
// (read them with `journalctl -t mdev-migcheck`).  Never the domain XML:
// libvirt hands the hook a migratable XML with secrets in it.  Every
// message is escaped (escapeLine) on its way out.
#pragma once

#include <string_view>

namespace mdevmc {

class SysLog {
public:
    explicit SysLog(bool enabled);
    ~SysLog();
    SysLog(const SysLog&) = delete;
    SysLog& operator=(const SysLog&) = delete;

    void info(std::string_view message) const;
    void warning(std::string_view message) const;
    void error(std::string_view message) const;

private:
    void log(int priority, std::string_view message) const;
    bool enabled_;
};

} // namespace mdevmc
