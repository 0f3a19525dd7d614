// An AttrIo whose answers a test chooses per path: any errno, short writes,
// stalls (reported as timed out), and a record of every write.  Lookups
// (resolve, readLink, list, stat, probeDir, readFile) are made beneath the
// root given to lookupsFrom() (none: ENOENT), except for a path given to
// failLookups() and the paths beneath it, which fail with its errno (ETIMEDOUT: as a
// lookup that did not finish before its deadline).
#pragma once

#include "sysfs/attr_io.hpp"

#include <cerrno>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace mdevmc::test {

class ScriptedAttrIo : public AttrIo {
public:
    struct Write {
        std::string path;
        std::string data;
    };

    // Reads of PATH return CONTENT (or fail with ERR).
    void onRead(const std::string& path, std::string content, int err = 0) {
        reads_[path] = AttrRead{err, false, std::move(content)};
    }
    void stallRead(const std::string& path) { reads_[path] = AttrRead{0, true, {}}; }

    // Writes to PATH fail with ERR (0: accepted).
    void onWrite(const std::string& path, int err) { writes_[path] = {err, false, SIZE_MAX}; }
    // Writes to PATH return COUNT bytes.
    void shortWrite(const std::string& path, std::size_t count) {
        writes_[path] = {0, false, count};
    }
    void stallWrite(const std::string& path) { writes_[path] = {0, true, SIZE_MAX}; }
    // Writes to PATH are never made: no worker could be started (ERR).
    void cannotWrite(const std::string& path, int err) {
        writes_[path] = {err, false, SIZE_MAX, true};
    }

    AttrRead read(std::string_view rel, Deadline) override {
        ++read_count;
        read_log.emplace_back(rel);
        const auto it = reads_.find(std::string(rel));
        if (it == reads_.end()) {
            return AttrRead{ENOENT, false, {}};
        }
        return it->second;
    }

    AttrWrite write(std::string_view rel, std::string_view data, Deadline) override {
        log.push_back({std::string(rel), std::string(data)});
        const auto it = writes_.find(std::string(rel));
        if (it == writes_.end()) {
            return AttrWrite{ENOENT, false, 0};
        }
        const Behaviour& b = it->second;
        if (b.stall) {
            return AttrWrite{0, true, 0};
        }
        if (b.not_made) {
            return AttrWrite{b.err, false, 0, true};
        }
        if (b.err != 0) {
            return AttrWrite{b.err, false, 0};
        }
        return AttrWrite{0, false, b.count == SIZE_MAX ? data.size() : b.count};
    }

    void lookupsFrom(const Root& root) { root_ = &root; }
    void failLookups(const std::string& prefix, int err) {
        failed_lookups_.emplace_back(prefix, err);
    }

    Result<std::string> resolve(std::string_view rel, Deadline) override {
        MDEVMC_TRY(lookup(rel));
        return root_->resolve(rel);
    }
    Result<std::string> readLink(std::string_view rel, Deadline) override {
        MDEVMC_TRY(lookup(rel));
        return root_->readLink(rel);
    }
    Result<std::vector<std::string>> list(std::string_view path, Deadline) override {
        MDEVMC_TRY(lookup(path));
        return direct::list(*root_, path);
    }
    Result<FileKind> stat(std::string_view rel, bool follow, Deadline) override {
        MDEVMC_TRY(lookup(rel));
        return direct::stat(*root_, rel, follow);
    }
    Result<DirProbe> probeDir(std::string_view rel, const std::vector<std::string>& links,
                              const std::vector<std::string>& files, Deadline) override {
        probe_log.emplace_back(rel);
        MDEVMC_TRY(lookup(rel));
        return direct::probeDir(*root_, rel, links, files);
    }
    Result<std::optional<std::string>> readFile(std::string_view path, std::size_t max,
                                                Deadline) override {
        MDEVMC_TRY(lookup(path));
        return direct::readFile(*root_, path, max);
    }
    Result<void> replaceFile(std::string_view rel, std::string_view data, Deadline) override {
        MDEVMC_TRY(lookup(rel));
        return direct::replaceFile(*root_, rel, data);
    }
    Result<void> removeFile(std::string_view rel, Deadline) override {
        MDEVMC_TRY(lookup(rel));
        return direct::removeFile(*root_, rel);
    }

    std::vector<Write> log;
    int read_count = 0;
    std::vector<std::string> read_log;  // the paths read, in order
    std::vector<std::string> probe_log; // the directories probed, in order
    int lookup_count = 0;

private:
    Result<void> lookup(std::string_view path) {
        ++lookup_count;
        for (const auto& [prefix, err] : failed_lookups_) {
            if (path == prefix || path.substr(0, prefix.size() + 1) == prefix + "/") {
                return fail(err == ETIMEDOUT ? "looking up '" + std::string(path) + "' timed out"
                                             : "cannot look up '" + std::string(path) + "'",
                            err);
            }
        }
        if (root_ == nullptr) {
            return fail("no such file '" + std::string(path) + "'", ENOENT);
        }
        return {};
    }

    const Root* root_ = nullptr;
    std::vector<std::pair<std::string, int>> failed_lookups_;
    struct Behaviour {
        int err = 0;
        bool stall = false;
        std::size_t count = SIZE_MAX;
        bool not_made = false;
    };
    std::map<std::string, AttrRead> reads_;
    std::map<std::string, Behaviour> writes_;
};

} // namespace mdevmc::test
