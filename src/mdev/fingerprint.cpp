#include "mdev/fingerprint.hpp"

#include "mdev/validate.hpp"
#include "util/errno_name.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>

namespace mdevmc {

namespace {

// Which facts matter for which driver.  A row matches a parent whose driver
// is DRIVER (or, for a row without one, whose kind is KIND); the last row is
// the default.  MODULE names the kernel module whose version is the driver
// version when the parent has no driver link (mtty); VENDOR_MODULE the
// vendor's mdev module, where the driver has one.
struct Profile {
    std::string_view driver;
    std::string_view kind;
    std::string_view module;
    std::string_view vendor_module;
    std::vector<std::string_view> compared;
};

const std::vector<Profile>& profiles() {
    using namespace fact;
    static const std::vector<Profile> kProfiles{
        {"nvidia",
         "",
         "",
         "nvidia_vgpu_vfio",
         {kType, kTypeName, kTypeDescription, kTypeDeviceApi, kParentPci, kParentSubsystem, kDriver,
          kDriverVersion, kVendorModuleVersion}},
        {"i915",
         "",
         "",
         "kvmgt",
         {kType, kTypeName, kTypeDescription, kTypeDeviceApi, kParentPci, kDriver, kDriverVersion}},
        {"vfio_ap",
         "",
         "",
         "",
         {kType, kTypeDeviceApi, kParentKind, kDriver, kDriverVersion, kApMatrix,
          kApControlDomains}},
        {"vfio_ccw", "", "", "", {kType, kTypeDeviceApi, kParentKind, kDriver, kDriverVersion}},
        {"",
         "virtual/mtty",
         "mtty",
         "",
         {kType, kTypeName, kTypeDescription, kTypeDeviceApi, kParentKind, kParentPath,
          kDriverVersion}},
        {"",
         "",
         "",
         "",
         {kType, kTypeName, kTypeDescription, kTypeDeviceApi, kParentKind, kParentPci,
          kParentSubsystem, kDriver, kDriverVersion}},
    };
    return kProfiles;
}

const Profile& profileFor(std::string_view driver, std::string_view kind) {
    const auto& ps = profiles();
    for (const auto& p : ps) {
        if (!p.driver.empty() ? p.driver == driver : (!p.kind.empty() && p.kind == kind)) {
            return p;
        }
    }
    return ps.back();
}

std::string baseName(std::string_view p) {
    const auto slash = p.rfind('/');
    return std::string(slash == std::string_view::npos ? p : p.substr(slash + 1));
}

// The parent's kind and, for a non-PCI parent, its path under devices/.
std::pair<std::string, std::string> parentKind(std::string_view dir) {
    constexpr std::string_view kDevices = "sys/devices/";
    if (dir.substr(0, kDevices.size()) != kDevices) {
        return {"other", std::string(dir)};
    }
    const std::string_view under = dir.substr(kDevices.size());
    if (under.substr(0, 3) == "pci") {
        return {"pci", {}};
    }
    const auto slash = under.find('/');
    std::string_view first = under.substr(0, slash);
    if (first == "virtual" && slash != std::string_view::npos) {
        const auto next = under.find('/', slash + 1);
        return {"virtual/" + std::string(under.substr(slash + 1, next - slash - 1)),
                std::string(under)};
    }
    // css0, css1, ...: channel subsystems.
    while (!first.empty() && first.back() >= '0' && first.back() <= '9') {
        first.remove_suffix(1);
    }
    return {std::string(first), std::string(under)};
}

// An attribute as a fact value: one trailing newline stripped, further
// lines joined with ',', printable ASCII only, bounded.
Fact attrFact(std::string_view name, const AttrRead& r) {
    Fact f{std::string(name), std::nullopt, std::nullopt};
    if (r.timed_out) {
        f.error = errnoName(ETIMEDOUT);
        return f;
    }
    if (r.err != 0) {
        f.error = errnoName(r.err);
        return f;
    }
    std::string v = r.data;
    while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) {
        v.pop_back();
    }
    std::replace(v.begin(), v.end(), '\n', ',');
    const bool printable = std::all_of(v.begin(), v.end(), [](char c) {
        return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) <= 0x7e;
    });
    if (!printable) {
        f.error = errnoName(EILSEQ);
    } else if (v.size() > kMaxFactValue) {
        f.error = errnoName(E2BIG);
    } else {
        f.value = std::move(v);
    }
    return f;
}

// "0x10de" -> "10de".
std::optional<std::string> pciId(const Fact& f) {
    if (!f.value) {
        return std::nullopt;
    }
    std::string v = *f.value;
    if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
        v.erase(0, 2);
    }
    return v;
}

class Reader {
public:
    Reader(const MdevHost& host, Deadline deadline,
           std::optional<std::chrono::milliseconds> per_read)
        : host_(host), deadline_(deadline), per_read_(per_read) {}

    // Adds the attribute at REL as fact NAME; absent attributes add nothing.
    const Fact* attr(Fingerprint& fp, std::string_view name, const std::string& rel) {
        const AttrRead r = host_.io().read(rel, bound());
        if (!r.timed_out && r.err == ENOENT) {
            return nullptr;
        }
        fp.facts.push_back(attrFact(name, r));
        return &fp.facts.back();
    }

    // Reads two attributes of DIR into one "a:b" fact; nothing when both
    // are absent.
    void idPair(Fingerprint& fp, std::string_view name, const std::string& dir, const char* a,
                const char* b) {
        const AttrRead ra = host_.io().read(joinPath(dir, a), bound());
        const AttrRead rb = host_.io().read(joinPath(dir, b), bound());
        const auto absent = [](const AttrRead& r) { return !r.timed_out && r.err == ENOENT; };
        if (absent(ra) && absent(rb)) {
            return;
        }
        const Fact fa = attrFact("a", ra);
        const Fact fb = attrFact("b", rb);
        Fact f{std::string(name), std::nullopt, std::nullopt};
        if (!fa.value || !fb.value) {
            f.error = fa.error ? *fa.error : fb.error.value_or(errnoName(EIO));
        } else {
            f.value = *pciId(fa) + ":" + *pciId(fb);
        }
        fp.facts.push_back(std::move(f));
    }

    // The version of kernel module MODULE ("srcversion X" when it has no
    // version); nothing for a module built into the kernel.
    void moduleVersion(Fingerprint& fp, std::string_view name, std::string_view module) {
        if (!isValidName(module)) {
            return;
        }
        const std::string dir = joinPath("sys/module", module);
        AttrRead r = host_.io().read(joinPath(dir, "version"), bound());
        if (!r.timed_out && r.err == ENOENT) {
            r = host_.io().read(joinPath(dir, "srcversion"), bound());
            if (!r.timed_out && r.err == ENOENT) {
                return;
            }
            if (r.ok()) {
                r.data = "srcversion " + r.data;
            }
        }
        fp.facts.push_back(attrFact(name, r));
    }

    const MdevHost& host() const { return host_; }

private:
    // The deadline of one read.
    Deadline bound() const { return per_read_ ? deadline_.capped(*per_read_) : deadline_; }

    const MdevHost& host_;
    Deadline deadline_;
    std::optional<std::chrono::milliseconds> per_read_;
};

std::string moduleOf(std::string_view driver) {
    std::string m(driver);
    std::replace(m.begin(), m.end(), '-', '_');
    return m;
}

} // namespace

const std::vector<std::string_view>& knownFacts() {
    using namespace fact;
    static const std::vector<std::string_view> kAll{
        kType,       kTypeName,        kTypeDescription, kTypeDeviceApi,
        kParentKind, kParentPath,      kParentPci,       kParentSubsystem,
        kDriver,     kDriverVersion,   kVendorModule,    kVendorModuleVersion,
        kApMatrix,   kApControlDomains};
    return kAll;
}

bool isValidFactName(std::string_view name) {
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
    });
}

const Fact* Fingerprint::find(std::string_view name) const {
    for (const auto& f : facts) {
        if (f.name == name) {
            return &f;
        }
    }
    return nullptr;
}

const Fingerprint* FingerprintCache::find(std::string_view parent, std::string_view type_id) const {
    const auto it = entries_.find(std::make_pair(std::string(parent), std::string(type_id)));
    return it == entries_.end() ? nullptr : &it->second;
}

const Fingerprint& FingerprintCache::put(std::string_view parent, std::string_view type_id,
                                         Fingerprint fp) {
    return entries_[std::make_pair(std::string(parent), std::string(type_id))] = std::move(fp);
}

namespace {

// The facts of the type and its parent: the same for every device of them.
Fingerprint readTypeFactsFrom(const MdevHost& host, std::string_view parent,
                              std::string_view type_id, Deadline deadline,
                              std::optional<std::chrono::milliseconds> per_read) {
    Fingerprint fp;
    Reader rd(host, deadline, per_read);
    fp.facts.push_back({std::string(fact::kType), std::string(type_id), std::nullopt});
    rd.attr(fp, fact::kTypeName, paths::typeAttr(parent, type_id, "name"));
    rd.attr(fp, fact::kTypeDescription, paths::typeAttr(parent, type_id, "description"));
    rd.attr(fp, fact::kTypeDeviceApi, paths::typeAttr(parent, type_id, "device_api"));

    // The parent's directory and its driver link, in one access.
    auto probe = host.io().probeDir(joinPath(paths::kClassParents, parent), {"driver"}, {},
                                    per_read ? deadline.capped(*per_read) : deadline);
    if (!probe) {
        fp.facts.push_back({std::string(fact::kParentKind), std::nullopt,
                            errnoName(probe.error().err != 0 ? probe.error().err : EIO)});
        return fp;
    }
    const std::string* dir = &probe->dir;
    const auto [kind, under] = parentKind(*dir);
    fp.facts.push_back({std::string(fact::kParentKind), kind, std::nullopt});
    if (kind == "pci") {
        rd.idPair(fp, fact::kParentPci, *dir, "vendor", "device");
        rd.idPair(fp, fact::kParentSubsystem, *dir, "subsystem_vendor", "subsystem_device");
    } else {
        fp.facts.push_back({std::string(fact::kParentPath), under, std::nullopt});
    }

    std::string driver;
    if (const Result<std::string>& link = probe->links.at(0)) {
        driver = baseName(*link);
        if (isValidName(driver)) {
            fp.facts.push_back({std::string(fact::kDriver), driver, std::nullopt});
        } else {
            fp.facts.push_back({std::string(fact::kDriver), std::nullopt, errnoName(EINVAL)});
            driver.clear();
        }
    } else if (link.error().err != ENOENT) {
        fp.facts.push_back({std::string(fact::kDriver), std::nullopt, errnoName(link.error().err)});
    }
    const Profile& prof = profileFor(driver, kind);
    const std::string module = !driver.empty() ? moduleOf(driver) : std::string(prof.module);
    if (!module.empty()) {
        rd.moduleVersion(fp, fact::kDriverVersion, module);
    }
    if (!prof.vendor_module.empty()) {
        const std::size_t before = fp.facts.size();
        rd.moduleVersion(fp, fact::kVendorModuleVersion, prof.vendor_module);
        if (fp.facts.size() != before) {
            fp.facts.insert(fp.facts.end() - 1,
                            Fact{std::string(fact::kVendorModule), std::string(prof.vendor_module),
                                 std::nullopt});
        }
    }
    return fp;
}

// The accesses of readTypeFactsFrom, made ahead in two batches (what needs
// nothing, then what needs the parent's directory and driver), so that the
// facts of a type cost the hook's worker two exchanges.  A module's
// srcversion is read along with its version, used only if there is none.
Fingerprint readTypeFacts(const MdevHost& host, std::string_view parent, std::string_view type_id,
                          Deadline deadline, std::optional<std::chrono::milliseconds> per_read) {
    PrefetchedIo io(host.io());
    const auto each = per_read.value_or(std::chrono::milliseconds(1LL << 40));
    const std::vector<IoRequest> first{
        IoRequest::read(paths::typeAttr(parent, type_id, "name")),
        IoRequest::read(paths::typeAttr(parent, type_id, "description")),
        IoRequest::read(paths::typeAttr(parent, type_id, "device_api")),
        IoRequest::probe(joinPath(paths::kClassParents, parent), {"driver"}, {})};
    auto replies = io.batch(first, deadline, each);
    std::vector<IoRequest> second;
    if (replies.size() == first.size() && replies[3].probe) {
        const DirProbe& p = *replies[3].probe;
        const auto [kind, under] = parentKind(p.dir);
        if (kind == "pci") {
            for (const char* id : {"vendor", "device", "subsystem_vendor", "subsystem_device"}) {
                second.push_back(IoRequest::read(joinPath(p.dir, id)));
            }
        }
        std::string driver;
        if (!p.links.empty() && p.links[0] && isValidName(baseName(*p.links[0]))) {
            driver = baseName(*p.links[0]);
        }
        const Profile& prof = profileFor(driver, kind);
        for (const std::string& module :
             {!driver.empty() ? moduleOf(driver) : std::string(prof.module),
              std::string(prof.vendor_module)}) {
            if (!module.empty() && isValidName(module)) {
                second.push_back(IoRequest::read(joinPath("sys/module", module) + "/version"));
                second.push_back(IoRequest::read(joinPath("sys/module", module) + "/srcversion"));
            }
        }
    }
    for (std::size_t i = 0; i < replies.size(); ++i) {
        io.add(first[i], std::move(replies[i]));
    }
    io.prefetch(second, deadline, each);
    const MdevHost ahead(host.root(), io);
    return readTypeFactsFrom(ahead, parent, type_id, deadline, per_read);
}

} // namespace

Fingerprint readFingerprint(const MdevHost& host, std::string_view parent, std::string_view type_id,
                            const MdevDevice* dev, Deadline deadline,
                            std::optional<std::chrono::milliseconds> per_read,
                            FingerprintCache* cache) {
    const Fingerprint* cached = cache != nullptr ? cache->find(parent, type_id) : nullptr;
    Fingerprint fp =
        cached != nullptr ? *cached : readTypeFacts(host, parent, type_id, deadline, per_read);
    if (cache != nullptr && cached == nullptr) {
        cache->put(parent, type_id, fp);
    }
    const Fact* driver = fp.find(fact::kDriver);
    if (dev != nullptr && driver != nullptr && driver->value == "vfio_ap") {
        Reader rd(host, deadline, per_read);
        rd.attr(fp, fact::kApMatrix, joinPath(dev->dir, "matrix"));
        rd.attr(fp, fact::kApControlDomains, joinPath(dev->dir, "control_domains"));
    }
    return fp;
}

const char* toString(DriverVersionRule r) {
    switch (r) {
    case DriverVersionRule::Identical:
        return "identical";
    case DriverVersionRule::SameOrNewer:
        return "same-or-newer";
    case DriverVersionRule::Any:
        return "any";
    }
    return "identical";
}

std::optional<DriverVersionRule> driverVersionRuleFromString(std::string_view s) {
    for (auto r :
         {DriverVersionRule::Identical, DriverVersionRule::SameOrNewer, DriverVersionRule::Any}) {
        if (s == toString(r)) {
            return r;
        }
    }
    return std::nullopt;
}

std::vector<std::string> comparedFacts(std::string_view driver, std::string_view kind,
                                       const std::vector<FactAdjustment>& adjustments) {
    const Profile& p = profileFor(driver, kind);
    std::vector<std::string> out(p.compared.begin(), p.compared.end());
    for (const auto& adj : adjustments) {
        if (adj.driver != driver && !(adj.driver == "*")) {
            continue;
        }
        for (const auto& a : adj.add) {
            if (std::find(out.begin(), out.end(), a) == out.end()) {
                out.push_back(a);
            }
        }
        for (const auto& d : adj.drop) {
            out.erase(std::remove(out.begin(), out.end(), d), out.end());
        }
    }
    return out;
}

std::optional<int> compareDottedVersions(std::string_view a, std::string_view b) {
    auto parse = [](std::string_view s) -> std::optional<std::vector<unsigned long>> {
        std::vector<unsigned long> out;
        while (true) {
            unsigned long v = 0;
            const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
            if (ec != std::errc() || p == s.data()) {
                return std::nullopt;
            }
            out.push_back(v);
            s.remove_prefix(static_cast<std::size_t>(p - s.data()));
            if (s.empty()) {
                return out;
            }
            if (s.front() != '.') {
                return std::nullopt;
            }
            s.remove_prefix(1);
        }
    };
    const auto va = parse(a);
    const auto vb = parse(b);
    if (!va || !vb) {
        return std::nullopt;
    }
    const std::size_t n = std::max(va->size(), vb->size());
    for (std::size_t i = 0; i < n; ++i) {
        const unsigned long x = i < va->size() ? (*va)[i] : 0;
        const unsigned long y = i < vb->size() ? (*vb)[i] : 0;
        if (x != y) {
            return x < y ? -1 : 1;
        }
    }
    return 0;
}

namespace {

bool isVersionFact(std::string_view name) {
    return name == fact::kDriverVersion || name == fact::kVendorModuleVersion;
}

// How a fact is named to an operator, with the source's context.
std::string label(std::string_view name, const Fingerprint& source) {
    const Fact* drv = source.find(fact::kDriver);
    const std::string driver = drv != nullptr && drv->value ? *drv->value : std::string();
    if (name == fact::kDriverVersion) {
        return driver.empty() ? "driver module" : "host driver " + driver;
    }
    if (name == fact::kVendorModuleVersion) {
        const Fact* m = source.find(fact::kVendorModule);
        return "vendor module " + (m != nullptr && m->value ? *m->value : std::string("?"));
    }
    if (name == fact::kParentPci) {
        return driver == "nvidia" || driver == "i915" ? "GPU" : "parent PCI id";
    }
    if (name == fact::kParentSubsystem) {
        return "parent PCI subsystem";
    }
    if (name == fact::kType) {
        return "type";
    }
    if (name == fact::kDriver) {
        return "parent driver";
    }
    return std::string(name);
}

std::string shown(const Fact* f) {
    if (f == nullptr) {
        return "none";
    }
    if (f->value) {
        return quoteValue(*f->value);
    }
    const auto err = f->error ? errnoFromName(*f->error) : std::nullopt;
    return "unreadable (" + (err ? errnoPhrase(*err) : f->error.value_or("EIO")) + ")";
}

} // namespace

std::vector<FactMismatch> compareFingerprints(const Fingerprint& source, const Fingerprint& here,
                                              const std::vector<std::string>& compared,
                                              DriverVersionRule rule) {
    std::vector<FactMismatch> out;
    for (const auto& name : compared) {
        const Fact* s = source.find(name);
        const Fact* h = here.find(name);
        if (s == nullptr && h == nullptr) {
            continue;
        }
        const std::string what = label(name, source);
        if ((s != nullptr && s->error) || (h != nullptr && h->error)) {
            out.push_back({name,
                           "cannot compare " + what + ": " + shown(s) + " on the source, " +
                               shown(h) + " here",
                           true});
            continue;
        }
        if (s != nullptr && h != nullptr && *s->value == *h->value) {
            continue;
        }
        if (s != nullptr && h != nullptr && isVersionFact(name)) {
            if (rule == DriverVersionRule::Any) {
                continue;
            }
            const auto cmp = compareDottedVersions(*h->value, *s->value);
            if (rule == DriverVersionRule::SameOrNewer && cmp && *cmp >= 0) {
                continue;
            }
        }
        std::string text = what + " " + shown(s) + " on the source, " + shown(h) + " here";
        // The rule is named only when it is what refuses: both sides have a
        // version (a version missing on one side is refused by every rule).
        if (s != nullptr && h != nullptr && isVersionFact(name)) {
            if (rule == DriverVersionRule::Identical) {
                text += " (driver_version = identical)";
            } else if (compareDottedVersions(*h->value, *s->value)) {
                text += " (driver_version = same-or-newer: this host's is older)";
            } else {
                text += " (driver_version = same-or-newer: the versions cannot be ordered)";
            }
        }
        out.push_back({name, std::move(text), false});
    }
    return out;
}

} // namespace mdevmc
