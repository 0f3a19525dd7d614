// Verdicts and notable events to syslog/journal, identifier "mdev-migcheck"
// (read them with `journalctl -t mdev-migcheck`).  Never the domain XML:
// libvirt hands the hook a migratable XML with secrets in it.  Every
// message is escaped (escapeLine) on its way out.  A structured entry
// (entry()) goes to the journal's native socket with its fields, and to
// syslog as its message alone where there is no journal.
#pragma once

#include "util/journal.hpp"

#include <string>
#include <string_view>
#include <vector>

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
    // MESSAGE with FIELDS (and PRIORITY, SYSLOG_IDENTIFIER) to the journal
    // at journalSocketPath(); to syslog, the message alone, without one.
    void entry(int priority, std::string_view message,
               const std::vector<JournalField>& fields) const;
    // Whether anything is logged (the configuration's syslog = yes): a
    // caller spares building an entry nobody will read.
    bool enabled() const { return enabled_; }

private:
    void log(int priority, std::string_view message) const;
    bool enabled_;
};

} // namespace mdevmc
