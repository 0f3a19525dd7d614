// An AttrIo whose answers a test chooses per path: any errno, short writes,
// stalls (reported as timed out), and a record of every write.
#pragma once

#include "sysfs/attr_io.hpp"

#include <map>
#include <string>
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

    AttrRead read(std::string_view rel, Deadline) override {
        ++read_count;
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
        if (b.err != 0) {
            return AttrWrite{b.err, false, 0};
        }
        return AttrWrite{0, false, b.count == SIZE_MAX ? data.size() : b.count};
    }

    std::vector<Write> log;
    int read_count = 0;

private:
    struct Behaviour {
        int err = 0;
        bool stall = false;
        std::size_t count = SIZE_MAX;
    };
    std::map<std::string, AttrRead> reads_;
    std::map<std::string, Behaviour> writes_;
};

} // namespace mdevmc::test
