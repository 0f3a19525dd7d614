// The simulated sysfs tree: the state of parents, types and devices, and the
// directories, attribute files and relative symlinks the kernel would show
// for it.  Not thread-safe: the Simulator serialises access.
#pragma once

#include "topology.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace mdevsim {

enum class NodeKind { Dir, File, Link };

enum class Attr {
    None,
    Name,
    Description,
    DeviceApi,
    Available,
    TypeMigration,
    Create,
    DeviceMigration,
    Remove,
    Control,
    Static,    // fixed content (pci ids, module versions, extra attributes)
    WriteOnly, // a store that takes any buffer (vfio-ap assign_*), logged only
};

struct Node {
    NodeKind kind = NodeKind::Dir;
    unsigned mode = 0755;
    std::string target; // Link: relative target
    Attr attr = Attr::None;
    std::string parent;  // File: the parent device it belongs to
    std::string type;    // File: the type it belongs to
    std::string uuid;    // File: the device it belongs to
    std::string content; // Attr::Static: what a read returns
};

struct IoResult {
    int err = 0;
    std::string data;      // read: content
    std::size_t count = 0; // write: bytes taken
};

// The name of the hidden control file at the top of the tree.
inline constexpr const char* kControlFile = ".simfs-control";

class Model {
public:
    explicit Model(Topology t);

    // PATH is relative to the mount point, no leading slash ("" = top).
    const Node* lookup(std::string_view path) const;
    const std::set<std::string>* children(std::string_view path) const;
    // PATH with every symlink of the tree followed; nullopt if it does not exist.
    std::optional<std::string> canonical(std::string_view path) const;

    // Attribute I/O as the driver would answer, without injected faults.
    IoResult read(const Node& n) const;
    IoResult write(const Node& n, std::string_view data);

    // Run-time changes (control commands); throw SimError on bad arguments.
    void vanish(const std::string& uuid);
    void setSoftwareVersion(const std::string& parent, const std::string& version);
    void setAvailable(const std::string& parent, const std::string& type, int n);
    void setMigration(const std::string& parent, const std::string& type, const Migration& m);
    // New content for the fixed-content attribute at canonical PATH.
    void setAttribute(const std::string& path, const std::string& content);

    const Topology& state() const { return state_; }

private:
    void rebuild();
    void addDir(const std::string& path);
    void addFile(const std::string& path, unsigned mode, Attr attr, const std::string& parent,
                 const std::string& type, const std::string& uuid);
    void addLink(const std::string& path, const std::string& target_from_top);
    void addStatic(const std::string& path, const std::string& content, unsigned mode = 0444);
    void addHostDevice(const HostDevice& hd);
    void addParentIds(const ParentSpec& p);
    void addDevice(const ParentSpec& p, const DeviceSpec& d);
    ParentSpec& parent(const std::string& address);
    TypeSpec& type(ParentSpec& p, const std::string& id);
    std::string typeVersion(const ParentSpec& p, const TypeSpec& t) const;
    IoResult create(ParentSpec& p, TypeSpec& t, std::string_view data);
    IoResult remove(const std::string& uuid, std::string_view data);

    Topology state_;
    std::map<int, int> free_groups_;
    std::map<std::string, Node, std::less<>> nodes_;
    std::map<std::string, std::set<std::string>, std::less<>> children_;
    std::map<std::string, std::string> overrides_; // set-attr contents by canonical path
};

} // namespace mdevsim
