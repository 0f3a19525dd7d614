// The fuzz targets' attribute I/O: the one place where they use AttrIo and
// the scripted double.  A plain-file sysfs tree, made once, is loaded into a
// ScriptedAttrIo (every regular file's content, by canonical path); each
// access is resolved beneath the root and answered by the double, so
// nothing on disk changes.  A write that is not to a migration_version
// attribute of the tree, or whose data is not a well-formed version line,
// stops the run.
#pragma once

#include "scripted_io.hpp"
#include "sysfs/attr_io.hpp"
#include "sysfs/root.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <sys/stat.h>

namespace mdevmc::fuzz {

// How the attributes answer in one run.
enum class WriteFault { None, Rejected, NoDevice, Short, Stall, Io };
enum class ReadFault { None, Io, Stall };

class FuzzAttrIo : public AttrIo {
public:
    // Loads every regular file under ROOT; the migration_version files are
    // the only ones that may be written.
    explicit FuzzAttrIo(const Root& root) : root_(root), lookups_(root) {
        namespace fs = std::filesystem;
        const fs::path base(root.path());
        for (const auto& entry : fs::recursive_directory_iterator(base)) {
            if (!entry.is_regular_file(ec_) || entry.is_symlink(ec_)) {
                continue;
            }
            const std::string rel = fs::relative(entry.path(), base).string();
            std::ifstream f(entry.path(), std::ios::binary);
            std::string content((std::istreambuf_iterator<char>(f)),
                                std::istreambuf_iterator<char>());
            template_.onRead(rel, std::move(content));
            if (entry.path().filename() == "migration_version") {
                writable_.insert(rel);
            }
        }
        reset(WriteFault::None, ReadFault::None);
    }

    // A fresh double for one run, with these faults on every
    // migration_version attribute.
    void reset(WriteFault wf, ReadFault rf) {
        io_ = template_;
        state_.clear();
        for (const auto& path : writable_) {
            switch (wf) {
            case WriteFault::None:
                io_.onWrite(path, 0);
                break;
            case WriteFault::Rejected:
                io_.onWrite(path, EINVAL);
                break;
            case WriteFault::NoDevice:
                io_.onWrite(path, ENODEV);
                break;
            case WriteFault::Short:
                io_.shortWrite(path, 3);
                break;
            case WriteFault::Stall:
                io_.stallWrite(path);
                break;
            case WriteFault::Io:
                io_.onWrite(path, EIO);
                break;
            }
            if (rf == ReadFault::Io) {
                io_.onRead(path, "", EIO);
            } else if (rf == ReadFault::Stall) {
                io_.stallRead(path);
            }
        }
    }

    AttrRead read(std::string_view rel, Deadline deadline) override {
        auto canonical = canonicalAttribute(rel);
        if (!canonical.ok()) {
            return AttrRead{canonical.err, false, {}};
        }
        return io_.read(canonical.path, deadline);
    }

    AttrWrite write(std::string_view rel, std::string_view data, Deadline deadline) override {
        auto canonical = canonicalAttribute(rel);
        if (!canonical.ok() || writable_.count(canonical.path) == 0) {
            stop("a write to an attribute that is not a migration_version of the tree", rel);
        }
        if (!wellFormedVersionLine(data)) {
            stop("a write of data that is not one line of 1-4095 printable characters", data);
        }
        return io_.write(canonical.path, data, deadline);
    }

    // Lookups change nothing: they are made on the tree itself.
    Result<std::string> resolve(std::string_view rel, Deadline d) override {
        return lookups_.resolve(rel, d);
    }
    Result<std::string> readLink(std::string_view rel, Deadline d) override {
        return lookups_.readLink(rel, d);
    }
    Result<std::vector<std::string>> list(std::string_view path, Deadline d) override {
        return lookups_.list(path, d);
    }
    Result<FileKind> stat(std::string_view rel, bool follow, Deadline d) override {
        return lookups_.stat(rel, follow, d);
    }
    Result<DirProbe> probeDir(std::string_view rel, const std::vector<std::string>& links,
                              const std::vector<std::string>& files, Deadline d) override {
        return lookups_.probeDir(rel, links, files, d);
    }
    Result<std::optional<std::string>> readFile(std::string_view path, std::size_t max,
                                                Deadline d) override {
        return lookups_.readFile(path, max, d);
    }
    // mdev-migcheck's own state is kept here, not on the tree; only its
    // directory may be written.
    Result<void> replaceFile(std::string_view rel, std::string_view data, Deadline) override {
        if (rel.rfind("run/mdev-migcheck/", 0) != 0 || rel.find("..") != std::string_view::npos) {
            stop("a state file outside run/mdev-migcheck", rel);
        }
        state_[std::string(rel)] = std::string(data);
        return {};
    }
    Result<void> removeFile(std::string_view rel, Deadline) override {
        if (state_.erase(std::string(rel)) == 0) {
            return fail("no state file '" + std::string(rel) + "'", ENOENT);
        }
        return {};
    }
    // The state files of the current run.
    const std::map<std::string, std::string>& stateFiles() const { return state_; }

    // The writes of the current run.
    const std::vector<test::ScriptedAttrIo::Write>& writes() const { return io_.log; }

private:
    std::map<std::string, std::string> state_;
    struct Canonical {
        int err = 0;
        std::string path;
        bool ok() const { return err == 0; }
    };

    // REL resolved beneath the root; like the real AttrIo, the attribute
    // itself must not be a symlink.
    Canonical canonicalAttribute(std::string_view rel) const {
        struct stat st {};
        const std::string r(rel);
        if (::fstatat(root_.fd(), r.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISLNK(st.st_mode)) {
            return {ELOOP, {}};
        }
        auto resolved = root_.resolve(rel);
        if (!resolved) {
            return {resolved.error().err != 0 ? resolved.error().err : ENOENT, {}};
        }
        return {0, *resolved};
    }

    static bool wellFormedVersionLine(std::string_view data) {
        if (data.size() < 2 || data.size() > 4096 || data.back() != '\n') {
            return false;
        }
        for (std::size_t i = 0; i + 1 < data.size(); ++i) {
            const auto c = static_cast<unsigned char>(data[i]);
            if (c < 0x20 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }

    [[noreturn]] static void stop(const char* what, std::string_view detail) {
        std::fprintf(stderr, "fuzz: %s: '%.*s'\n", what, static_cast<int>(detail.size()),
                     detail.data());
        std::abort();
    }

    const Root& root_;
    DirectAttrIo lookups_;
    std::error_code ec_;
    test::ScriptedAttrIo template_;
    test::ScriptedAttrIo io_;
    std::set<std::string> writable_;
};

} // namespace mdevmc::fuzz
