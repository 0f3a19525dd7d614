#include "simulator.hpp"

#include "names.hpp"

#include <cerrno>
#include <chrono>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <set>

namespace mdevsim {

Simulator::Simulator(Topology topology, const std::string& write_log)
    : model_(std::move(topology)) {
    if (!write_log.empty()) {
        log_ = std::fopen(write_log.c_str(), "a");
        if (log_ == nullptr) {
            throw SimError("cannot open write log '" + write_log + "'");
        }
    }
}

Simulator::~Simulator() {
    if (log_ != nullptr) {
        std::fclose(log_);
    }
}

int Simulator::stat(const std::string& path, Stat& out, const Interrupted& interrupted) {
    std::unique_lock lock(mu_);
    stall(lock, path);
    if (!wait(lock, path, Access::Lookup, interrupted)) {
        return EINTR;
    }
    if (const auto it = faults_.find(path);
        it != faults_.end() && it->second.at(Access::Lookup).err != 0) {
        return it->second.at(Access::Lookup).err;
    }
    const Node* n = model_.lookup(path);
    if (n == nullptr) {
        return ENOENT;
    }
    out.kind = n->kind;
    out.mode = n->mode;
    out.size = n->kind == NodeKind::File ? kPage : n->kind == NodeKind::Link ? n->target.size() : 0;
    return 0;
}

int Simulator::list(const std::string& path, std::vector<std::string>& out) {
    std::unique_lock lock(mu_);
    stall(lock, path);
    const Node* n = model_.lookup(path);
    if (n == nullptr) {
        return ENOENT;
    }
    if (n->kind != NodeKind::Dir) {
        return ENOTDIR;
    }
    const auto* c = model_.children(path);
    out.assign(c->begin(), c->end());
    return 0;
}

int Simulator::readLink(const std::string& path, std::string& out, const Interrupted& interrupted) {
    std::unique_lock lock(mu_);
    stall(lock, path);
    if (!wait(lock, path, Access::Readlink, interrupted)) {
        return EINTR;
    }
    if (const auto it = faults_.find(path);
        it != faults_.end() && it->second.at(Access::Readlink).err != 0) {
        return it->second.at(Access::Readlink).err;
    }
    const Node* n = model_.lookup(path);
    if (n == nullptr) {
        return ENOENT;
    }
    if (n->kind != NodeKind::Link) {
        return EINVAL;
    }
    out = n->target;
    return 0;
}

int Simulator::open(const std::string& path, int flags) {
    std::unique_lock lock(mu_);
    stall(lock, path);
    const Node* n = model_.lookup(path);
    if (n == nullptr) {
        return ENOENT;
    }
    if (n->kind == NodeKind::Dir) {
        return EISDIR;
    }
    const int acc = flags & O_ACCMODE;
    const bool wants_read = acc == O_RDONLY || acc == O_RDWR;
    const bool wants_write = acc == O_WRONLY || acc == O_RDWR;
    // kernfs refuses an open the attribute has no callback for, also to root.
    if ((wants_read && (n->mode & 0444) == 0) || (wants_write && (n->mode & 0222) == 0)) {
        return EACCES;
    }
    return 0;
}

// Counted while waiting, so that a test can act once an access is held.
namespace {
struct Waiting {
    std::map<std::string, int>& counts;
    const std::string& path;
    Waiting(std::map<std::string, int>& c, const std::string& p) : counts(c), path(p) {
        ++counts[path];
    }
    ~Waiting() {
        if (--counts[path] == 0) {
            counts.erase(path);
        }
    }
    Waiting(const Waiting&) = delete;
    Waiting& operator=(const Waiting&) = delete;
};
} // namespace

void Simulator::stall(std::unique_lock<std::mutex>& lock, const std::string& path) {
    using namespace std::chrono;
    const auto it = faults_.find(path);
    if (it == faults_.end() || it->second.stall_ms <= 0) {
        return;
    }
    Waiting waiting(waiting_, path);
    const auto until = steady_clock::now() + milliseconds(it->second.stall_ms);
    const unsigned long path_gen = released_[path];
    const unsigned long all_gen = release_all_;
    while (steady_clock::now() < until && !shutting_down_ && released_[path] == path_gen &&
           release_all_ == all_gen) {
        cv_.wait_until(lock, std::min(until, steady_clock::now() + milliseconds(20)));
    }
}

bool Simulator::wait(std::unique_lock<std::mutex>& lock, const std::string& path, Access access,
                     const Interrupted& interrupted) {
    using namespace std::chrono;
    const auto fault = [&]() -> const Fault* {
        const auto it = faults_.find(path);
        return it == faults_.end() ? nullptr : &it->second;
    };
    const Fault* f = fault();
    if (f == nullptr) {
        return true;
    }
    if (f->at(access).delay_ms == 0 && !f->at(access).hang) {
        return true;
    }
    Waiting waiting(waiting_, path);
    const int delay = f->at(access).delay_ms;
    if (delay > 0) {
        const auto until = steady_clock::now() + milliseconds(delay);
        while (steady_clock::now() < until) {
            if (shutting_down_ || interrupted()) {
                return false;
            }
            cv_.wait_for(lock, milliseconds(20));
        }
    }
    const unsigned long path_gen = released_[path];
    const unsigned long all_gen = release_all_;
    for (;;) {
        f = fault();
        const bool hang = f != nullptr && f->at(access).hang;
        if (!hang || released_[path] != path_gen || release_all_ != all_gen) {
            return true;
        }
        if (shutting_down_ || interrupted()) {
            return false;
        }
        cv_.wait_for(lock, milliseconds(20));
    }
}

IoResult Simulator::read(const std::string& path, const Interrupted& interrupted) {
    std::unique_lock lock(mu_);
    const Node* n = model_.lookup(path);
    if (n == nullptr) {
        return IoResult{ENOENT, {}, 0};
    }
    if (n->attr == Attr::Control) {
        nlohmann::json j = nlohmann::json::object();
        for (const auto& [p, count] : waiting_) {
            j[p]["waiting"] = count;
        }
        for (const auto& [p, f] : faults_) {
            auto& e = j[p];
            for (const auto& [access, name] : {std::pair{Access::Read, "read"},
                                               {Access::Write, "write"},
                                               {Access::Lookup, "lookup"},
                                               {Access::Readlink, "readlink"}}) {
                const AccessFault& af = f.at(access);
                e[std::string(name) + "_err"] = af.err != 0 ? errnoName(af.err) : "";
                e[std::string(name) + "_delay_ms"] = af.delay_ms;
                e[std::string(name) + "_hang"] = af.hang;
            }
            e["stall_ms"] = f.stall_ms;
        }
        return IoResult{0, j.dump() + "\n", 0};
    }
    stall(lock, path);
    if (!wait(lock, path, Access::Read, interrupted)) {
        return IoResult{EINTR, {}, 0};
    }
    n = model_.lookup(path); // the device may have vanished meanwhile
    if (n == nullptr) {
        return IoResult{ENODEV, {}, 0};
    }
    if (const auto it = faults_.find(path);
        it != faults_.end() && it->second.at(Access::Read).err != 0) {
        return IoResult{it->second.at(Access::Read).err, {}, 0};
    }
    return model_.read(*n);
}

IoResult Simulator::write(const std::string& path, std::string_view data,
                          const Interrupted& interrupted) {
    std::unique_lock lock(mu_);
    const Node* n = model_.lookup(path);
    if (n == nullptr) {
        return IoResult{ENOENT, {}, 0};
    }
    if (n->attr == Attr::Control) {
        const int err = applyControl(data);
        cv_.notify_all();
        return IoResult{err, {}, err == 0 ? data.size() : 0};
    }
    data = data.substr(0, kPage);
    IoResult r;
    stall(lock, path);
    if (!wait(lock, path, Access::Write, interrupted)) {
        r.err = EINTR;
    } else if ((n = model_.lookup(path)) == nullptr) {
        r.err = ENODEV;
    } else if (const auto it = faults_.find(path);
               it != faults_.end() && it->second.at(Access::Write).err != 0) {
        r.err = it->second.at(Access::Write).err;
    } else if (it != faults_.end() && it->second.short_write) {
        r.count = std::min(*it->second.short_write, data.size());
    } else {
        r = model_.write(*n, data);
    }
    logWrite(path, data, r);
    return r;
}

void Simulator::shutdown() {
    std::lock_guard lock(mu_);
    shutting_down_ = true;
    cv_.notify_all();
}

std::string Simulator::canonicalOrThrow(const std::string& path) const {
    auto c = model_.canonical(path);
    if (!c) {
        throw SimError("no path '" + path + "' in the simulated tree");
    }
    return *c;
}

std::string Simulator::entryOrThrow(const std::string& path) const {
    const auto slash = path.find_last_of('/');
    const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash);
    const std::string name = basename(path);
    const auto cdir = model_.canonical(dir);
    if (!cdir || name.empty() || name == "." || name == "..") {
        throw SimError("no directory for '" + path + "' in the simulated tree");
    }
    const std::string entry = cdir->empty() ? name : *cdir + "/" + name;
    if (entry == kControlFile) {
        throw SimError("the control file takes no faults");
    }
    return entry;
}

void Simulator::applyCommand(const Command& c) {
    using Op = Command::Op;
    if (const auto access = accessOf(c.op)) {
        // Lookups and readlinks are of the entry itself, reads and writes
        // of the file it resolves to.
        const bool entry = *access == Access::Lookup || *access == Access::Readlink;
        const std::string key = entry ? entryOrThrow(c.path) : canonicalOrThrow(c.path);
        if (key == kControlFile) {
            throw SimError("the control file takes no faults");
        }
        AccessFault& af = faults_[key].at(*access);
        switch (c.op) {
        case Op::FailRead:
        case Op::FailWrite:
        case Op::FailLookup:
        case Op::FailReadlink:
            af.err = c.number;
            break;
        case Op::DelayRead:
        case Op::DelayWrite:
        case Op::DelayLookup:
        case Op::DelayReadlink:
            af.delay_ms = c.number;
            break;
        default:
            af.hang = true;
            break;
        }
        return;
    }
    switch (c.op) {
    case Op::Stall:
        faults_[entryOrThrow(c.path)].stall_ms = c.number;
        break;
    case Op::ShortWrite:
        faults_[canonicalOrThrow(c.path)].short_write = static_cast<std::size_t>(c.number);
        break;
    case Op::Release:
    case Op::Clear:
        if (c.path == "all") {
            ++release_all_;
            for (auto& [p, f] : faults_) {
                for (auto& af : f.on) {
                    af.hang = false;
                }
                f.stall_ms = 0;
            }
            if (c.op == Op::Clear) {
                faults_.clear();
            }
        } else {
            // Both the file PATH resolves to and the entry it names.
            std::set<std::string> keys;
            if (auto canon = model_.canonical(c.path)) {
                keys.insert(*canon);
            }
            try {
                keys.insert(entryOrThrow(c.path));
            } catch (const SimError&) {
                if (keys.empty()) {
                    throw;
                }
            }
            for (const auto& p : keys) {
                ++released_[p];
                if (c.op == Op::Clear) {
                    faults_.erase(p);
                } else if (auto it = faults_.find(p); it != faults_.end()) {
                    for (auto& af : it->second.on) {
                        af.hang = false;
                    }
                    it->second.stall_ms = 0;
                }
            }
        }
        break;
    case Op::Vanish:
        model_.vanish(c.path);
        break;
    case Op::SetSoftwareVersion:
        model_.setSoftwareVersion(c.path, c.arg1);
        break;
    case Op::SetAvailable:
        model_.setAvailable(c.path, c.arg1, c.number);
        break;
    case Op::SetMigration:
        model_.setMigration(c.path, c.arg1, c.migration);
        break;
    case Op::SetAttr:
        model_.setAttribute(canonicalOrThrow(c.path), c.arg1);
        break;
    default:
        break;
    }
}

int Simulator::applyControl(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const std::size_t j = std::min(text.find('\n', i), text.size());
        const std::string_view line = text.substr(i, j - i);
        i = j + 1;
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) {
            continue;
        }
        try {
            applyCommand(parseCommand(line));
        } catch (const SimError& e) {
            std::fprintf(stderr, "mdev-simfs: control: %s\n", e.what());
            return EINVAL;
        }
    }
    return 0;
}

void Simulator::logWrite(const std::string& path, std::string_view data, const IoResult& r) {
    if (log_ == nullptr) {
        return;
    }
    nlohmann::json j;
    j["path"] = path;
    // Invalid UTF-8 is replaced so that every line stays valid JSON.
    j["data"] = std::string(data);
    if (r.err != 0) {
        j["result"] = errnoName(r.err);
    } else {
        j["result"] = r.count;
    }
    const std::string line =
        j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    std::fwrite(line.data(), 1, line.size(), log_);
    std::fflush(log_);
}

} // namespace mdevsim
