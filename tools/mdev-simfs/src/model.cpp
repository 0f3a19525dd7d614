#include "model.hpp"

#include "names.hpp"
#include "policy.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <vector>

namespace mdevsim {

namespace {

std::vector<std::string> split(std::string_view p) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i <= p.size()) {
        const std::size_t j = std::min(p.find('/', i), p.size());
        if (j > i) {
            out.emplace_back(p.substr(i, j - i));
        }
        i = j + 1;
    }
    return out;
}

std::string join(const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& s : parts) {
        out += (out.empty() ? "" : "/") + s;
    }
    return out;
}

std::string dirOf(const std::string& p) {
    const auto slash = p.rfind('/');
    return slash == std::string::npos ? "" : p.substr(0, slash);
}

// The relative path from directory FROM_DIR to TO (both from the top).
std::string relative(const std::string& from_dir, const std::string& to) {
    const auto a = split(from_dir);
    const auto b = split(to);
    std::size_t common = 0;
    while (common < a.size() && common < b.size() && a[common] == b[common]) {
        ++common;
    }
    std::string out;
    for (std::size_t i = common; i < a.size(); ++i) {
        out += "../";
    }
    for (std::size_t i = common; i < b.size(); ++i) {
        out += b[i] + (i + 1 < b.size() ? "/" : "");
    }
    return out;
}

} // namespace

Model::Model(Topology t) : state_(std::move(t)) {
    rebuild();
}

void Model::addDir(const std::string& path) {
    if (nodes_.count(path) != 0) {
        return;
    }
    if (!path.empty()) {
        addDir(dirOf(path));
        children_[dirOf(path)].insert(basename(path));
    }
    nodes_[path] = Node{NodeKind::Dir, 0755, {}, Attr::None, {}, {}, {}, {}};
    children_[path];
}

void Model::addFile(const std::string& path, unsigned mode, Attr attr, const std::string& parent,
                    const std::string& type, const std::string& uuid) {
    addDir(dirOf(path));
    children_[dirOf(path)].insert(basename(path));
    nodes_[path] = Node{NodeKind::File, mode, {}, attr, parent, type, uuid, {}};
}

void Model::addLink(const std::string& path, const std::string& target_from_top) {
    addDir(dirOf(path));
    children_[dirOf(path)].insert(basename(path));
    nodes_[path] = Node{
        NodeKind::Link, 0777, relative(dirOf(path), target_from_top), Attr::None, {}, {}, {}, {}};
}

void Model::addStatic(const std::string& path, const std::string& content, unsigned mode) {
    addFile(path, mode, mode == 0200 ? Attr::WriteOnly : Attr::Static, {}, {}, {});
    const auto it = overrides_.find(path);
    nodes_[path].content = it != overrides_.end() ? it->second : content;
}

void Model::addHostDevice(const HostDevice& hd) {
    const std::string& dir = hd.sysfs_path;
    addDir(dir);
    if (hd.pci) {
        addStatic(dir + "/vendor", "0x" + hd.pci->vendor + "\n");
        addStatic(dir + "/device", "0x" + hd.pci->device + "\n");
        addStatic(dir + "/subsystem_vendor", "0x" + hd.pci->subsystem_vendor + "\n");
        addStatic(dir + "/subsystem_device", "0x" + hd.pci->subsystem_device + "\n");
        addStatic(dir + "/class", "0x" + hd.pci->device_class + "\n");
    }
    if (hd.driver) {
        const DriverSpec& d = *hd.driver;
        const std::string drv = "bus/" + d.bus + "/drivers/" + d.name;
        addLink(dir + "/driver", drv);
        addLink(drv + "/" + hd.address, dir);
        addLink(drv + "/module", "module/" + d.module);
        addLink("module/" + d.module + "/drivers/" + d.bus + ":" + d.name, drv);
        addLink("bus/" + d.bus + "/devices/" + hd.address, dir);
    } else if (isPciAddress(hd.address)) {
        addLink("bus/pci/devices/" + hd.address, dir);
    }
    for (const auto& [name, content] : hd.attributes) {
        addStatic(dir + "/" + name, content);
    }
}

// A PCI-style parent without 'pci' still shows the ids of its version string.
void Model::addParentIds(const ParentSpec& p) {
    if (p.pci || !isPciAddress(p.address)) {
        return;
    }
    for (const auto& [file, id] : {std::pair{"vendor", p.vendor}, {"device", p.device}}) {
        std::string h = lowerCase(id);
        if (h.size() > 2 && h.substr(0, 2) == "0x") {
            h = h.substr(2);
        }
        if (!h.empty() && h.size() <= 4 &&
            h.find_first_not_of("0123456789abcdef") == std::string::npos) {
            addStatic(p.sysfs_path + "/" + file, "0x" + std::string(4 - h.size(), '0') + h + "\n");
        }
    }
}

void Model::rebuild() {
    nodes_.clear();
    children_.clear();
    addDir("");
    addFile(kControlFile, 0600, Attr::Control, {}, {}, {});
    addDir("bus/mdev/devices");
    addDir("bus/mdev/drivers/vfio_mdev");
    addDir("class/mdev_bus");
    addDir("kernel/iommu_groups");
    for (const auto& [name, m] : state_.modules) {
        addDir("module/" + name);
        if (m.version) {
            addStatic("module/" + name + "/version", *m.version + "\n");
        }
        if (m.srcversion) {
            addStatic("module/" + name + "/srcversion", *m.srcversion + "\n");
        }
    }
    for (const auto& hd : state_.pci_devices) {
        addHostDevice(hd);
    }
    for (const auto& p : state_.parents) {
        addHostDevice(p);
        addParentIds(p);
        addLink("class/mdev_bus/" + p.address, p.sysfs_path);
        for (const auto& t : p.types) {
            const std::string td = p.sysfs_path + "/mdev_supported_types/" + t.id;
            addFile(td + "/name", 0444, Attr::Name, p.address, t.id, {});
            if (t.has_description) {
                addFile(td + "/description", 0444, Attr::Description, p.address, t.id, {});
            }
            addFile(td + "/device_api", 0444, Attr::DeviceApi, p.address, t.id, {});
            addFile(td + "/available_instances", 0444, Attr::Available, p.address, t.id, {});
            addFile(td + "/create", 0200, Attr::Create, p.address, t.id, {});
            addDir(td + "/devices");
            if (t.migration.kind != Migration::Kind::Absent) {
                addFile(td + "/migration_version", 0644, Attr::TypeMigration, p.address, t.id, {});
            }
            for (const auto& [name, content] : t.attributes) {
                addStatic(td + "/" + name, content);
            }
        }
    }
    // SR-IOV: physfn on the virtual function, virtfnN on the physical one.
    std::map<std::string, int> vfs;
    const auto sysfsPathOf = [this](const std::string& address) {
        for (const auto& hd : state_.pci_devices) {
            if (hd.address == address) {
                return hd.sysfs_path;
            }
        }
        for (const auto& p : state_.parents) {
            if (p.address == address) {
                return p.sysfs_path;
            }
        }
        return std::string();
    };
    const auto linkPhysfn = [&](const HostDevice& hd) {
        const std::string pf = sysfsPathOf(hd.physfn);
        if (!hd.physfn.empty() && !pf.empty()) {
            addLink(hd.sysfs_path + "/physfn", pf);
            addLink(pf + "/virtfn" + std::to_string(vfs[hd.physfn]++), hd.sysfs_path);
        }
    };
    for (const auto& hd : state_.pci_devices) {
        linkPhysfn(hd);
    }
    for (const auto& p : state_.parents) {
        linkPhysfn(p);
    }
    for (auto& d : state_.devices) {
        if (d.iommu_group >= 0) {
            continue;
        }
        // The lowest free group from the parent's base, kept for the
        // device's lifetime.
        int base = 0;
        for (const auto& cand : state_.parents) {
            if (cand.address == d.parent) {
                base = cand.iommu_group_base;
            }
        }
        for (int g = base;; ++g) {
            if (std::none_of(state_.devices.begin(), state_.devices.end(),
                             [g](const DeviceSpec& o) { return o.iommu_group == g; })) {
                d.iommu_group = g;
                break;
            }
        }
    }
    for (const auto& d : state_.devices) {
        for (const auto& cand : state_.parents) {
            if (cand.address == d.parent) {
                addDevice(cand, d);
            }
        }
    }
}

void Model::addDevice(const ParentSpec& p, const DeviceSpec& d) {
    const std::string dd = p.sysfs_path + "/" + d.uuid;
    const std::string td = p.sysfs_path + "/mdev_supported_types/" + d.type;
    const int group = d.iommu_group;
    addDir(dd);
    addLink(dd + "/mdev_type", td);
    addLink(dd + "/iommu_group", "kernel/iommu_groups/" + std::to_string(group));
    addLink(dd + "/driver", "bus/mdev/drivers/vfio_mdev");
    addFile(dd + "/remove", 0200, Attr::Remove, p.address, d.type, d.uuid);
    if (d.device_migration_version) {
        addFile(dd + "/migration_version", 0644, Attr::DeviceMigration, p.address, d.type, d.uuid);
    }
    // vfio_ap's matrix mdev: the assignment attributes of vfio_ap_ops.c.
    for (const auto& t : p.types) {
        if (t.id == d.type && t.device_api == "vfio-ap") {
            for (const char* a : {"matrix", "guest_matrix", "control_domains"}) {
                addStatic(dd + "/" + a, "");
            }
            for (const char* a :
                 {"assign_adapter", "unassign_adapter", "assign_domain", "unassign_domain",
                  "assign_control_domain", "unassign_control_domain"}) {
                addStatic(dd + "/" + a, "", 0200);
            }
        }
    }
    for (const auto& [name, content] : d.attributes) {
        addStatic(dd + "/" + name, content);
    }
    addLink(td + "/devices/" + d.uuid, dd);
    addLink("bus/mdev/devices/" + d.uuid, dd);
    addLink("bus/mdev/drivers/vfio_mdev/" + d.uuid, dd);
    addLink("kernel/iommu_groups/" + std::to_string(group) + "/devices/" + d.uuid, dd);
}

const Node* Model::lookup(std::string_view path) const {
    const auto it = nodes_.find(path);
    return it == nodes_.end() ? nullptr : &it->second;
}

const std::set<std::string>* Model::children(std::string_view path) const {
    const auto it = children_.find(path);
    return it == children_.end() ? nullptr : &it->second;
}

std::optional<std::string> Model::canonical(std::string_view path) const {
    std::vector<std::string> done;
    std::vector<std::string> todo = split(path);
    std::reverse(todo.begin(), todo.end());
    int links = 0;
    while (!todo.empty()) {
        std::string c = std::move(todo.back());
        todo.pop_back();
        if (c == ".") {
            continue;
        }
        if (c == "..") {
            if (done.empty()) {
                return std::nullopt;
            }
            done.pop_back();
            continue;
        }
        done.push_back(c);
        const Node* n = lookup(join(done));
        if (n == nullptr) {
            return std::nullopt;
        }
        if (n->kind == NodeKind::Link) {
            if (++links > 40) {
                return std::nullopt;
            }
            done.pop_back();
            auto parts = split(n->target);
            for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
                todo.push_back(*it);
            }
        }
    }
    return join(done);
}

ParentSpec& Model::parent(const std::string& address) {
    for (auto& p : state_.parents) {
        if (p.address == address) {
            return p;
        }
    }
    throw SimError("no parent '" + address + "'");
}

TypeSpec& Model::type(ParentSpec& p, const std::string& id) {
    for (auto& t : p.types) {
        if (t.id == id) {
            return t;
        }
    }
    throw SimError("parent '" + p.address + "' has no type '" + id + "'");
}

std::string Model::typeVersion(const ParentSpec& p, const TypeSpec& t) const {
    return formatVersion(p.vendor, p.device, t.id, t.software_version.value_or(p.software_version));
}

IoResult Model::read(const Node& n) const {
    IoResult r;
    if (n.attr == Attr::Static) {
        r.data = n.content;
        return r;
    }
    if (n.attr == Attr::Create || n.attr == Attr::Remove || n.attr == Attr::WriteOnly) {
        r.err = EACCES;
        return r;
    }
    const ParentSpec* p = nullptr;
    const TypeSpec* t = nullptr;
    for (const auto& cp : state_.parents) {
        if (cp.address == n.parent) {
            p = &cp;
            for (const auto& ct : cp.types) {
                if (ct.id == n.type) {
                    t = &ct;
                }
            }
        }
    }
    if (p == nullptr || t == nullptr) {
        r.err = ENODEV;
        return r;
    }
    switch (n.attr) {
    case Attr::Name:
        r.data = t->name + "\n";
        break;
    case Attr::Description:
        r.data = t->description + "\n";
        break;
    case Attr::DeviceApi:
        r.data = t->device_api + "\n";
        break;
    case Attr::Available:
        r.data = std::to_string(t->available_instances) + "\n";
        break;
    case Attr::TypeMigration:
    case Attr::DeviceMigration:
        if (t->migration.kind == Migration::Kind::Errno) {
            r.err = t->migration.err;
        } else if (t->migration.kind == Migration::Kind::Absent) {
            r.err = ENOENT;
        } else {
            r.data = typeVersion(*p, *t) + "\n";
        }
        break;
    default:
        r.err = EINVAL;
    }
    return r;
}

IoResult Model::create(ParentSpec& p, TypeSpec& t, std::string_view data) {
    IoResult r;
    // The mdev core: the buffer is a UUID, optionally with a newline.
    if (data.size() < 36 || data.size() > 37 || (data.size() == 37 && data.back() != '\n')) {
        r.err = EINVAL;
        return r;
    }
    const std::string uuid = lowerCase(data.substr(0, 36));
    if (!isValidUuid(uuid)) {
        r.err = EINVAL;
        return r;
    }
    for (const auto& d : state_.devices) {
        if (d.uuid == uuid) {
            r.err = EEXIST;
            return r;
        }
    }
    if (t.available_instances <= 0) {
        r.err = EUSERS;
        return r;
    }
    --t.available_instances;
    state_.devices.push_back(DeviceSpec{uuid, p.address, t.id, false, -1, {}});
    rebuild();
    r.count = data.size();
    return r;
}

IoResult Model::remove(const std::string& uuid, std::string_view data) {
    IoResult r;
    std::string s(data);
    if (!s.empty() && s.back() == '\n') {
        s.pop_back();
    }
    unsigned long v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
        r.err = EINVAL;
        return r;
    }
    r.count = data.size();
    if (v != 0) {
        vanish(uuid);
    }
    return r;
}

IoResult Model::write(const Node& n, std::string_view data) {
    IoResult r;
    if (n.attr == Attr::Remove) {
        return remove(n.uuid, data);
    }
    if (n.attr == Attr::WriteOnly) {
        r.count = data.size();
        return r;
    }
    ParentSpec* p = nullptr;
    TypeSpec* t = nullptr;
    try {
        p = &parent(n.parent);
        t = &type(*p, n.type);
    } catch (const SimError&) {
        r.err = ENODEV;
        return r;
    }
    switch (n.attr) {
    case Attr::Create:
        return create(*p, *t, data);
    case Attr::TypeMigration:
    case Attr::DeviceMigration:
        if (t->migration.kind == Migration::Kind::Errno) {
            r.err = t->migration.err;
        } else if (t->migration.kind == Migration::Kind::Absent) {
            r.err = ENOENT;
        } else {
            r.err = acceptVersion(typeVersion(*p, *t), data);
        }
        r.count = r.err == 0 ? data.size() : 0;
        return r;
    default:
        r.err = EACCES;
        return r;
    }
}

void Model::vanish(const std::string& uuid_in) {
    const std::string uuid = lowerCase(uuid_in);
    const auto it = std::find_if(state_.devices.begin(), state_.devices.end(),
                                 [&](const DeviceSpec& d) { return d.uuid == uuid; });
    if (it == state_.devices.end()) {
        throw SimError("no device '" + uuid + "'");
    }
    ParentSpec& p = parent(it->parent);
    ++type(p, it->type).available_instances;
    // A device created again with this UUID starts afresh.
    const std::string dir = p.sysfs_path + "/" + uuid + "/";
    std::erase_if(overrides_, [&](const auto& o) { return o.first.rfind(dir, 0) == 0; });
    state_.devices.erase(it);
    rebuild();
}

void Model::setSoftwareVersion(const std::string& parent_address, const std::string& version) {
    if (!parseMajorMinor(version)) {
        throw SimError("'" + version + "' is not MAJOR.MINOR");
    }
    parent(parent_address).software_version = version;
}

void Model::setAvailable(const std::string& parent_address, const std::string& type_id, int n) {
    if (n < 0) {
        throw SimError("available_instances cannot be negative");
    }
    type(parent(parent_address), type_id).available_instances = n;
}

void Model::setMigration(const std::string& parent_address, const std::string& type_id,
                         const Migration& m) {
    ParentSpec& p = parent(parent_address);
    if (m.kind != Migration::Kind::Absent &&
        (p.vendor.empty() || p.device.empty() || p.software_version.empty())) {
        throw SimError("parent '" + parent_address +
                       "' has no vendor, device and software_version for a migration_version");
    }
    type(p, type_id).migration = m;
    rebuild();
}

void Model::setAttribute(const std::string& path, const std::string& content) {
    const Node* n = lookup(path);
    if (n == nullptr || n->attr != Attr::Static) {
        throw SimError("'" + path + "' is not a fixed-content attribute");
    }
    overrides_[path] = content;
    nodes_[path].content = content;
}

} // namespace mdevsim
