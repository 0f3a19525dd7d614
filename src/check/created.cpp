#include "check/created.hpp"

#include "mdev/validate.hpp"
#include "util/errno_name.hpp"
#include "util/escape.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace mdevmc {

namespace {

// The largest entry read back (a real one is a few hundred bytes).
constexpr std::size_t kMaxEntry = 4096;
// The longest domain name kept (libvirt's names are far shorter).
constexpr std::size_t kMaxDomainName = 1024;

bool isPrintable(std::string_view s) {
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7f) {
            return false;
        }
    }
    return true;
}

Result<std::int64_t> parseTime(std::string_view s) {
    std::int64_t t = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), t);
    if (ec != std::errc() || end != s.data() + s.size() || t < 0) {
        return fail("time " + quoteValue(s) + " is not a number of seconds", EINVAL);
    }
    return t;
}

// Sets the field KEY of E from VALUE, validated.
Result<void> setField(CreatedEntry& e, std::string_view key, std::string_view value) {
    if (key == "format") {
        if (value != "1") {
            return fail("unknown format " + quoteValue(value), EINVAL);
        }
    } else if (key == "mdev" || key == "domain-uuid") {
        if (!isValidUuid(value)) {
            return fail(std::string(key) + " " + quoteValue(value) + " is not a UUID", EINVAL);
        }
        (key == "mdev" ? e.mdev : e.domain_uuid) = canonicalUuid(value);
    } else if (key == "parent" || key == "type") {
        if (!isValidName(value)) {
            return fail(std::string(key) + " " + quoteValue(value) + " is not a valid name",
                        EINVAL);
        }
        (key == "parent" ? e.parent : e.type) = value;
    } else if (key == "domain") {
        if (value.empty() || value.size() > kMaxDomainName || !isPrintable(value)) {
            return fail("domain " + quoteValue(value) + " is not a domain name", EINVAL);
        }
        e.domain = value;
    } else if (key == "time") {
        MDEVMC_TRY_ASSIGN(e.time, parseTime(value));
    } else if (key == "mdevctl") {
        if (value != "defined") {
            return fail("mdevctl " + quoteValue(value) + " is not 'defined'", EINVAL);
        }
        e.mdevctl_defined = true;
    } else {
        return fail("unknown key " + quoteValue(key), EINVAL);
    }
    return {};
}

std::string errnoText(const std::string& what, int e) {
    return what + " (" + errnoPhrase(e) + ")";
}

Result<void> makeDir(const std::string& path) {
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
        return fail(errnoText("cannot create directory '" + path + "'", errno), errno);
    }
    return {};
}

Result<std::string> readSmallFile(const std::string& path) {
    const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
    if (!fd.valid()) {
        return fail(errnoText("cannot open it", errno), errno);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
        return fail("it is not a regular file", EINVAL);
    }
    std::string out(kMaxEntry + 1, '\0');
    std::size_t got = 0;
    while (got < out.size()) {
        const ssize_t n = ::read(fd.get(), out.data() + got, out.size() - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return fail(errnoText("cannot read it", errno), errno);
        }
        if (n == 0) {
            break;
        }
        got += static_cast<std::size_t>(n);
    }
    if (got > kMaxEntry) {
        return fail("it is larger than " + std::to_string(kMaxEntry) + " bytes", EFBIG);
    }
    out.resize(got);
    return out;
}

} // namespace

std::string formatCreatedEntry(const CreatedEntry& e) {
    std::string out = "format=1\nmdev=" + e.mdev + "\nparent=" + e.parent + "\ntype=" + e.type +
                      "\ndomain=" + escapeLine(e.domain) + "\ndomain-uuid=" + e.domain_uuid +
                      "\ntime=" + std::to_string(e.time) + "\n";
    if (e.mdevctl_defined) {
        out += "mdevctl=defined\n";
    }
    return out;
}

Result<CreatedEntry> parseCreatedEntry(std::string_view text, std::string_view name) {
    CreatedEntry e;
    e.time = -1;
    std::size_t line_no = 0;
    while (!text.empty()) {
        ++line_no;
        const auto nl = text.find('\n');
        if (nl == std::string_view::npos) {
            return fail("line " + std::to_string(line_no) + " is not ended", EINVAL);
        }
        const std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl + 1);
        const auto eq = line.find('=');
        if (eq == std::string_view::npos) {
            return fail("line " + std::to_string(line_no) + " " + quoteValue(line) +
                            " is not key=value",
                        EINVAL);
        }
        if (auto r = setField(e, line.substr(0, eq), line.substr(eq + 1)); !r) {
            return fail("line " + std::to_string(line_no) + ": " + r.error().message, EINVAL);
        }
    }
    for (const auto& [field, missing] :
         {std::pair{"mdev", e.mdev.empty()}, std::pair{"parent", e.parent.empty()},
          std::pair{"type", e.type.empty()}, std::pair{"domain", e.domain.empty()},
          std::pair{"domain-uuid", e.domain_uuid.empty()}, std::pair{"time", e.time < 0}}) {
        if (missing) {
            return fail(std::string("no ") + field + "= line", EINVAL);
        }
    }
    if (name != e.mdev) {
        return fail("its name " + quoteValue(name) + " is not its mdev UUID " + e.mdev, EINVAL);
    }
    return e;
}

CreatedJournal::CreatedJournal(std::string run_dir)
    : run_dir_(std::move(run_dir)), dir_(run_dir_ + "/created") {}

std::string CreatedJournal::entryPath(const std::string& mdev) const {
    return dir_ + "/" + mdev;
}

Result<void> CreatedJournal::ensureDirs() const {
    // Every missing component (/run exists on a host; a test's root may
    // have none of it).
    for (auto slash = run_dir_.find('/', 1); slash != std::string::npos;
         slash = run_dir_.find('/', slash + 1)) {
        MDEVMC_TRY(makeDir(run_dir_.substr(0, slash)));
    }
    MDEVMC_TRY(makeDir(run_dir_));
    return makeDir(dir_);
}

Result<void> CreatedJournal::write(const CreatedEntry& entry) const {
    MDEVMC_TRY(ensureDirs());
    const std::string path = entryPath(entry.mdev);
    const std::string tmp = dir_ + "/." + entry.mdev + ".tmp";
    const std::string text = formatCreatedEntry(entry);
    {
        const UniqueFd fd(
            ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644));
        if (!fd.valid()) {
            return fail(errnoText("cannot write journal entry '" + tmp + "'", errno), errno);
        }
        if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
            const int e = errno != 0 ? errno : EIO;
            ::unlink(tmp.c_str());
            return fail(errnoText("cannot write journal entry '" + tmp + "'", e), e);
        }
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int e = errno;
        ::unlink(tmp.c_str());
        return fail(errnoText("cannot write journal entry '" + path + "'", e), e);
    }
    return {};
}

Result<void> CreatedJournal::remove(const std::string& mdev) const {
    const std::string path = entryPath(mdev);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return fail(errnoText("cannot remove journal entry '" + path + "'", errno), errno);
    }
    return {};
}

Result<std::vector<JournalRecord>> CreatedJournal::list() const {
    std::vector<JournalRecord> out;
    DIR* d = ::opendir(dir_.c_str());
    if (d == nullptr) {
        if (errno == ENOENT) {
            return out;
        }
        return fail(errnoText("cannot list journal '" + dir_ + "'", errno), errno);
    }
    std::vector<std::string> names;
    while (const dirent* e = ::readdir(d)) {
        if (e->d_name[0] != '.') {
            names.emplace_back(e->d_name);
        }
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
        JournalRecord rec;
        rec.path = dir_ + "/" + n;
        auto text = readSmallFile(rec.path);
        if (!text) {
            rec.entry = Unexpected<Error>(text.error());
        } else {
            rec.entry = parseCreatedEntry(*text, n);
        }
        out.push_back(std::move(rec));
    }
    return out;
}

Result<std::optional<CreatedEntry>> CreatedJournal::find(const std::string& mdev) const {
    const std::string path = entryPath(mdev);
    auto text = readSmallFile(path);
    if (!text) {
        if (text.error().err == ENOENT) {
            return std::optional<CreatedEntry>{};
        }
        return fail("journal entry '" + path + "': " + text.error().message, text.error().err);
    }
    auto e = parseCreatedEntry(*text, mdev);
    if (!e) {
        return fail("journal entry '" + path + "': " + e.error().message, EINVAL);
    }
    return std::optional<CreatedEntry>(std::move(*e));
}

Result<UniqueFd> CreatedJournal::lock(Deadline deadline) const {
    MDEVMC_TRY(ensureDirs());
    const std::string path = run_dir_ + "/lock";
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.valid()) {
        return fail(errnoText("cannot open lock '" + path + "'", errno), errno);
    }
    // Polled, so that the wait is bounded by DEADLINE without a signal.
    for (;;) {
        if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) {
            return fd;
        }
        if (errno != EWOULDBLOCK && errno != EINTR) {
            return fail(errnoText("cannot take lock '" + path + "'", errno), errno);
        }
        if (deadline.expired()) {
            return fail("lock '" + path + "' is held by another mdev-migcheck (timed out)",
                        ETIMEDOUT);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

} // namespace mdevmc
