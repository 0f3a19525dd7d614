#include "fake_sysfs.hpp"
#include "mdev/fingerprint.hpp"
#include "scripted_io.hpp"
#include "sysfs/attr_io.hpp"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <gtest/gtest.h>
#include <thread>

using namespace mdevmc;
using mdevmc::test::FakeSysfs;
using mdevmc::test::ScriptedAttrIo;
using mdevmc::test::TempDir;
using mdevmc::test::writeFile;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr const char* kGpu = "0000:3b:00.0";
constexpr const char* kU1 = "0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3a";

Fact value(std::string_view name, std::string v) {
    return Fact{std::string(name), std::move(v), std::nullopt};
}

// A T4 as the source recorded it.
Fingerprint t4(const std::string& driver_version = "550.54.10",
               const std::string& vendor_version = "550.54.10") {
    Fingerprint fp;
    fp.facts = {value(fact::kType, "nvidia-231"),
                value(fact::kTypeName, "GRID T4-2Q"),
                value(fact::kTypeDescription, "num_heads=4, framebuffer=2048M"),
                value(fact::kTypeDeviceApi, "vfio-pci"),
                value(fact::kParentKind, "pci"),
                value(fact::kParentPci, "10de:1eb8"),
                value(fact::kParentSubsystem, "10de:12a2"),
                value(fact::kDriver, "nvidia"),
                value(fact::kDriverVersion, driver_version),
                value(fact::kVendorModule, "nvidia_vgpu_vfio"),
                value(fact::kVendorModuleVersion, vendor_version)};
    return fp;
}

void set(Fingerprint& fp, std::string_view name, std::optional<std::string> v,
         std::optional<std::string> err = std::nullopt) {
    for (auto& f : fp.facts) {
        if (f.name == name) {
            f.value = std::move(v);
            f.error = std::move(err);
            return;
        }
    }
    fp.facts.push_back({std::string(name), std::move(v), std::move(err)});
}

void drop(Fingerprint& fp, std::string_view name) {
    std::erase_if(fp.facts, [&](const Fact& f) { return f.name == name; });
}

std::vector<std::string> nvidiaFacts() {
    return comparedFacts("nvidia", "pci", {});
}

bool contains(const std::vector<std::string>& v, std::string_view s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

} // namespace

TEST(Fingerprint, CompareDottedVersions) {
    EXPECT_EQ(compareDottedVersions("550.54.10", "550.90.07"), -1);
    EXPECT_EQ(compareDottedVersions("550.90.07", "550.54.10"), 1);
    EXPECT_EQ(compareDottedVersions("550.54.10", "550.54.10"), 0);
    EXPECT_EQ(compareDottedVersions("1.2", "1.2.0"), 0); // missing parts are zero
    EXPECT_EQ(compareDottedVersions("1.10", "1.9"), 1);  // numbers, not text
    EXPECT_EQ(compareDottedVersions("2", "10"), -1);
    EXPECT_EQ(compareDottedVersions("007", "7"), 0);
    EXPECT_EQ(compareDottedVersions("", "1"), std::nullopt);
    EXPECT_EQ(compareDottedVersions("1.", "1"), std::nullopt);
    EXPECT_EQ(compareDottedVersions(".1", "1"), std::nullopt);
    EXPECT_EQ(compareDottedVersions("1..2", "1.2"), std::nullopt);
    EXPECT_EQ(compareDottedVersions("1.2a", "1.2"), std::nullopt);
    EXPECT_EQ(compareDottedVersions("1.2", "srcversion ABC"), std::nullopt);
    EXPECT_EQ(compareDottedVersions("-1", "1"), std::nullopt);
    EXPECT_EQ(compareDottedVersions("99999999999999999999999", "1"), std::nullopt);
}

TEST(Fingerprint, DriverVersionRuleNames) {
    for (auto r :
         {DriverVersionRule::Identical, DriverVersionRule::SameOrNewer, DriverVersionRule::Any}) {
        EXPECT_EQ(driverVersionRuleFromString(toString(r)), r);
    }
    EXPECT_EQ(driverVersionRuleFromString("Identical"), std::nullopt);
    EXPECT_EQ(driverVersionRuleFromString(""), std::nullopt);
    EXPECT_EQ(driverVersionRuleFromString("newer"), std::nullopt);
}

TEST(Fingerprint, FactNames) {
    for (const auto n : knownFacts()) {
        EXPECT_TRUE(isValidFactName(n)) << n;
    }
    EXPECT_TRUE(isValidFactName(std::string(64, 'a')));
    EXPECT_FALSE(isValidFactName(std::string(65, 'a')));
    EXPECT_FALSE(isValidFactName(""));
    EXPECT_FALSE(isValidFactName("Driver"));
    EXPECT_FALSE(isValidFactName("driver-version"));
    EXPECT_FALSE(isValidFactName("a b"));
}

TEST(Fingerprint, IdenticalFingerprintsMatchUnderEveryRule) {
    for (auto r :
         {DriverVersionRule::Identical, DriverVersionRule::SameOrNewer, DriverVersionRule::Any}) {
        EXPECT_TRUE(compareFingerprints(t4(), t4(), nvidiaFacts(), r).empty()) << toString(r);
    }
}

TEST(Fingerprint, NewerDriverHereIsRefusedByIdenticalAndNamesBothValues) {
    const auto m = compareFingerprints(t4(), t4("550.90.07", "550.90.07"), nvidiaFacts(),
                                       DriverVersionRule::Identical);
    ASSERT_EQ(m.size(), 2U);
    EXPECT_EQ(m[0].name, fact::kDriverVersion);
    EXPECT_FALSE(m[0].unreadable);
    EXPECT_EQ(m[0].text, "host driver nvidia '550.54.10' on the source, '550.90.07' here "
                         "(driver_version = identical)");
    EXPECT_EQ(m[1].name, fact::kVendorModuleVersion);
    EXPECT_EQ(m[1].text, "vendor module nvidia_vgpu_vfio '550.54.10' on the source, '550.90.07' "
                         "here (driver_version = identical)");
}

TEST(Fingerprint, SameOrNewerAcceptsANewerDriverHereOnly) {
    const auto newer = t4("550.90.07", "550.90.07");
    EXPECT_TRUE(
        compareFingerprints(t4(), newer, nvidiaFacts(), DriverVersionRule::SameOrNewer).empty());
    const auto m = compareFingerprints(newer, t4(), nvidiaFacts(), DriverVersionRule::SameOrNewer);
    ASSERT_EQ(m.size(), 2U);
    EXPECT_EQ(m[0].text, "host driver nvidia '550.90.07' on the source, '550.54.10' here "
                         "(driver_version = same-or-newer: this host's is older)");
}

TEST(Fingerprint, AnyIgnoresVersionsButNotOtherFacts) {
    auto older = t4("535.129.03", "535.129.03");
    EXPECT_TRUE(compareFingerprints(t4(), older, nvidiaFacts(), DriverVersionRule::Any).empty());
    set(older, fact::kParentPci, "10de:2236");
    const auto m = compareFingerprints(t4(), older, nvidiaFacts(), DriverVersionRule::Any);
    ASSERT_EQ(m.size(), 1U);
    EXPECT_EQ(m[0].name, fact::kParentPci);
    EXPECT_EQ(m[0].text, "GPU '10de:1eb8' on the source, '10de:2236' here");
}

TEST(Fingerprint, OtherFactsAreNamed) {
    struct Case {
        std::string_view name;
        std::string value;
        std::string text;
    };
    for (const Case& c : {
             Case{fact::kType, "nvidia-232", "type 'nvidia-231' on the source, 'nvidia-232' here"},
             Case{fact::kTypeName, "GRID T4-4Q",
                  "type.name 'GRID T4-2Q' on the source, 'GRID T4-4Q' here"},
             Case{fact::kTypeDescription, "other",
                  "type.description 'num_heads=4, framebuffer=2048M' on the source, 'other' here"},
             Case{fact::kParentSubsystem, "10de:1111",
                  "parent PCI subsystem '10de:12a2' on the source, '10de:1111' here"},
         }) {
        auto here = t4();
        set(here, c.name, c.value);
        const auto m =
            compareFingerprints(t4(), here, nvidiaFacts(), DriverVersionRule::SameOrNewer);
        ASSERT_EQ(m.size(), 1U) << c.name;
        EXPECT_EQ(m[0].name, c.name);
        EXPECT_EQ(m[0].text, c.text);
        EXPECT_FALSE(m[0].unreadable);
    }
}

TEST(Fingerprint, UnreadableFactCannotBeCompared) {
    auto here = t4();
    set(here, fact::kDriverVersion, std::nullopt, "EIO");
    auto m = compareFingerprints(t4(), here, nvidiaFacts(), DriverVersionRule::Identical);
    ASSERT_EQ(m.size(), 1U);
    EXPECT_TRUE(m[0].unreadable);
    EXPECT_EQ(m[0].name, fact::kDriverVersion);
    EXPECT_EQ(m[0].text, "cannot compare host driver nvidia: '550.54.10' on the source, "
                         "unreadable (EIO: Input/output error) here");
    // Also under `any`: an unreadable fact is never "equal".
    EXPECT_EQ(compareFingerprints(t4(), here, nvidiaFacts(), DriverVersionRule::Any).size(), 1U);
    // On the source's side.
    auto src = t4();
    set(src, fact::kTypeDescription, std::nullopt, "ETIMEDOUT");
    m = compareFingerprints(src, t4(), nvidiaFacts(), DriverVersionRule::Identical);
    ASSERT_EQ(m.size(), 1U);
    EXPECT_TRUE(m[0].unreadable);
    EXPECT_EQ(m[0].text,
              "cannot compare type.description: unreadable (ETIMEDOUT: Connection timed out) on "
              "the source, "
              "'num_heads=4, framebuffer=2048M' here");
}

TEST(Fingerprint, FactOnOneSideOnly) {
    auto here = t4();
    drop(here, fact::kParentSubsystem);
    auto m = compareFingerprints(t4(), here, nvidiaFacts(), DriverVersionRule::Identical);
    ASSERT_EQ(m.size(), 1U);
    EXPECT_EQ(m[0].text, "parent PCI subsystem '10de:12a2' on the source, none here");
    m = compareFingerprints(here, t4(), nvidiaFacts(), DriverVersionRule::Identical);
    ASSERT_EQ(m.size(), 1U);
    EXPECT_EQ(m[0].text, "parent PCI subsystem none on the source, '10de:12a2' here");
    // Absent on both sides: nothing to compare.
    EXPECT_TRUE(
        compareFingerprints(here, here, nvidiaFacts(), DriverVersionRule::Identical).empty());
    // A fact that is not compared may differ.
    auto other = t4();
    set(other, fact::kVendorModule, "something_else");
    EXPECT_TRUE(
        compareFingerprints(t4(), other, nvidiaFacts(), DriverVersionRule::Identical).empty());
}

TEST(Fingerprint, VersionOnOneSideOnlyIsAMismatchUnderEveryRule) {
    auto here = t4();
    drop(here, fact::kVendorModuleVersion);
    for (auto r :
         {DriverVersionRule::Identical, DriverVersionRule::SameOrNewer, DriverVersionRule::Any}) {
        const auto m = compareFingerprints(t4(), here, nvidiaFacts(), r);
        ASSERT_EQ(m.size(), 1U) << toString(r);
        EXPECT_EQ(m[0].name, fact::kVendorModuleVersion);
        // Missing is not "older": the rule is not what refuses it.
        EXPECT_EQ(m[0].text, "vendor module nvidia_vgpu_vfio '550.54.10' on the source, none here");
    }
}

TEST(Fingerprint, SameOrNewerWithUndottedVersionsNeedsThemEqual) {
    Fingerprint src;
    src.facts = {value(fact::kType, "mtty-2"), value(fact::kDriverVersion, "srcversion AAAA")};
    Fingerprint here = src;
    set(here, fact::kDriverVersion, "srcversion BBBB");
    const std::vector<std::string> compared{"type", "driver.version"};
    const auto so = compareFingerprints(src, here, compared, DriverVersionRule::SameOrNewer);
    ASSERT_EQ(so.size(), 1U);
    EXPECT_EQ(so[0].text, "driver module 'srcversion AAAA' on the source, 'srcversion BBBB' here "
                          "(driver_version = same-or-newer: the versions cannot be ordered)");
    EXPECT_TRUE(compareFingerprints(src, here, compared, DriverVersionRule::Any).empty());
    const auto m = compareFingerprints(src, here, compared, DriverVersionRule::Identical);
    ASSERT_EQ(m.size(), 1U);
    EXPECT_EQ(m[0].text, "driver module 'srcversion AAAA' on the source, 'srcversion BBBB' here "
                         "(driver_version = identical)");
}

TEST(Fingerprint, ComparedFactsPerDriver) {
    const auto nv = nvidiaFacts();
    EXPECT_TRUE(contains(nv, fact::kVendorModuleVersion));
    EXPECT_TRUE(contains(nv, fact::kDriverVersion));
    EXPECT_TRUE(contains(nv, fact::kParentPci));
    EXPECT_TRUE(contains(nv, fact::kParentSubsystem));
    EXPECT_FALSE(contains(nv, fact::kApMatrix));

    const auto gvt = comparedFacts("i915", "pci", {});
    EXPECT_TRUE(contains(gvt, fact::kParentPci));
    EXPECT_FALSE(contains(gvt, fact::kParentSubsystem));
    EXPECT_FALSE(contains(gvt, fact::kVendorModuleVersion));

    const auto mtty = comparedFacts("", "virtual/mtty", {});
    EXPECT_TRUE(contains(mtty, fact::kParentPath));
    EXPECT_TRUE(contains(mtty, fact::kDriverVersion));
    EXPECT_FALSE(contains(mtty, fact::kDriver));
    EXPECT_FALSE(contains(mtty, fact::kParentPci));

    const auto ap = comparedFacts("vfio_ap", "vfio_ap", {});
    EXPECT_TRUE(contains(ap, fact::kApMatrix));
    EXPECT_TRUE(contains(ap, fact::kApControlDomains));
    EXPECT_FALSE(contains(ap, fact::kTypeName));

    const auto ccw = comparedFacts("vfio_ccw", "css", {});
    EXPECT_TRUE(contains(ccw, fact::kParentKind));
    EXPECT_FALSE(contains(ccw, fact::kApMatrix));

    // Anything else: the default row, PCI ids but no vendor module.
    const auto other = comparedFacts("some_driver", "pci", {});
    EXPECT_TRUE(contains(other, fact::kParentPci));
    EXPECT_FALSE(contains(other, fact::kVendorModuleVersion));
    // No driver link and not mtty: the default row too.
    EXPECT_EQ(comparedFacts("", "virtual/other", {}), other);
}

TEST(Fingerprint, AdjustmentsAddAndDropPerDriverAndForAll) {
    const std::vector<FactAdjustment> adj{
        {"nvidia", {"vendor_module"}, {"vendor_module.version", "type.description"}},
        {"i915", {"parent.subsystem"}, {}},
        {"*", {}, {"type.name"}},
    };
    const auto nv = comparedFacts("nvidia", "pci", adj);
    EXPECT_TRUE(contains(nv, fact::kVendorModule));
    EXPECT_FALSE(contains(nv, fact::kVendorModuleVersion));
    EXPECT_FALSE(contains(nv, fact::kTypeDescription));
    EXPECT_FALSE(contains(nv, fact::kTypeName)); // "*"
    EXPECT_TRUE(contains(nv, fact::kParentSubsystem));
    EXPECT_TRUE(contains(nv, fact::kDriverVersion));
    EXPECT_EQ(std::count(nv.begin(), nv.end(), "vendor_module"), 1);

    const auto gvt = comparedFacts("i915", "pci", adj);
    EXPECT_TRUE(contains(gvt, fact::kParentSubsystem)); // not nvidia's adjustment
    EXPECT_TRUE(contains(gvt, fact::kTypeDescription));
    EXPECT_FALSE(contains(gvt, fact::kTypeName));

    // Adding a fact the profile already has does not duplicate it.
    const auto twice = comparedFacts("nvidia", "pci", {{"nvidia", {"type", "type"}, {}}});
    EXPECT_EQ(std::count(twice.begin(), twice.end(), "type"), 1);
    // A drop after an add (in configuration order) wins.
    const auto later =
        comparedFacts("nvidia", "pci", {{"nvidia", {"ap.matrix"}, {}}, {"*", {}, {"ap.matrix"}}});
    EXPECT_FALSE(contains(later, fact::kApMatrix));

    // A dropped version makes a newer driver acceptable under `identical`.
    const auto relaxed = comparedFacts(
        "nvidia", "pci", {{"nvidia", {}, {"driver.version", "vendor_module.version"}}});
    EXPECT_TRUE(compareFingerprints(t4(), t4("550.90.07", "550.90.07"), relaxed,
                                    DriverVersionRule::Identical)
                    .empty());
}

namespace {

// A T4-like host in plain files: the parent behind pci0000:00, the nvidia
// driver link, module versions.
class FingerprintRead : public ::testing::Test {
protected:
    void SetUp() override {
        sys.addType(kGpu, "nvidia-231", "");
        sys.addDevice(kU1, kGpu, "nvidia-231");
        const fs::path pd = sys.parentDir(kGpu);
        writeFile(sys.typeDir(kGpu, "nvidia-231") / "name", "GRID T4-2Q\n");
        writeFile(sys.typeDir(kGpu, "nvidia-231") / "description",
                  "num_heads=4, frl_config=60, framebuffer=2048M\n");
        writeFile(pd / "vendor", "0x10de\n");
        writeFile(pd / "device", "0x1eb8\n");
        writeFile(pd / "subsystem_vendor", "0x10de\n");
        writeFile(pd / "subsystem_device", "0x12a2\n");
        fs::create_directories(dir.path() / "sys/bus/pci/drivers/nvidia");
        fs::create_directory_symlink("../../../bus/pci/drivers/nvidia", pd / "driver");
        writeFile(dir.path() / "sys/module/nvidia/version", "550.54.10\n");
        writeFile(dir.path() / "sys/module/nvidia_vgpu_vfio/version", "550.54.10\n");
        auto r = Root::open(dir.path().string());
        ASSERT_TRUE(r);
        root.emplace(std::move(*r));
    }
    Fingerprint read(AttrIo& io, const MdevDevice* dev = nullptr) {
        const MdevHost host(*root, io);
        return readFingerprint(host, kGpu, "nvidia-231", dev, Deadline::after(2s));
    }
    static std::string valueOf(const Fingerprint& fp, std::string_view name) {
        const Fact* f = fp.find(name);
        if (f == nullptr) {
            return "(absent)";
        }
        return f->value ? *f->value : "(error " + f->error.value_or("?") + ")";
    }
    TempDir dir;
    FakeSysfs sys{dir.path()};
    std::optional<Root> root;
};

} // namespace

TEST_F(FingerprintRead, ReadsEveryFactOfANvidiaParent) {
    DirectAttrIo io(*root);
    const Fingerprint fp = read(io);
    EXPECT_EQ(valueOf(fp, fact::kType), "nvidia-231");
    EXPECT_EQ(valueOf(fp, fact::kTypeName), "GRID T4-2Q");
    EXPECT_EQ(valueOf(fp, fact::kTypeDescription), "num_heads=4, frl_config=60, framebuffer=2048M");
    EXPECT_EQ(valueOf(fp, fact::kTypeDeviceApi), "vfio-pci");
    EXPECT_EQ(valueOf(fp, fact::kParentKind), "pci");
    EXPECT_EQ(valueOf(fp, fact::kParentPci), "10de:1eb8");
    EXPECT_EQ(valueOf(fp, fact::kParentSubsystem), "10de:12a2");
    EXPECT_EQ(valueOf(fp, fact::kDriver), "nvidia");
    EXPECT_EQ(valueOf(fp, fact::kDriverVersion), "550.54.10");
    EXPECT_EQ(valueOf(fp, fact::kVendorModule), "nvidia_vgpu_vfio");
    EXPECT_EQ(valueOf(fp, fact::kVendorModuleVersion), "550.54.10");
    EXPECT_EQ(valueOf(fp, fact::kParentPath), "(absent)"); // PCI: the ids say it
    EXPECT_EQ(valueOf(fp, fact::kApMatrix), "(absent)");
    // Recorded in the order of knownFacts().
    std::vector<std::string_view> order;
    for (const auto& f : fp.facts) {
        order.push_back(f.name);
    }
    std::vector<std::string_view> known;
    for (const auto n : knownFacts()) {
        if (fp.find(n) != nullptr) {
            known.push_back(n);
        }
    }
    EXPECT_EQ(order, known);
    // And the host compares equal to itself.
    EXPECT_TRUE(
        compareFingerprints(fp, read(io), nvidiaFacts(), DriverVersionRule::Identical).empty());
}

TEST_F(FingerprintRead, SrcversionStandsInForAMissingVersionAndBuiltinsHaveNone) {
    fs::remove(dir.path() / "sys/module/nvidia/version");
    writeFile(dir.path() / "sys/module/nvidia/srcversion", "4E2B9A1C\n");
    fs::remove_all(dir.path() / "sys/module/nvidia_vgpu_vfio");
    DirectAttrIo io(*root);
    const Fingerprint fp = read(io);
    EXPECT_EQ(valueOf(fp, fact::kDriverVersion), "srcversion 4E2B9A1C");
    EXPECT_EQ(valueOf(fp, fact::kVendorModuleVersion), "(absent)");
    EXPECT_EQ(valueOf(fp, fact::kVendorModule), "(absent)");
}

TEST_F(FingerprintRead, MultiLineAndHostileValues) {
    writeFile(sys.typeDir(kGpu, "nvidia-231") / "name", "two\nlines\n");
    writeFile(sys.typeDir(kGpu, "nvidia-231") / "description", std::string("bad\x01value\n"));
    writeFile(dir.path() / "sys/module/nvidia/version", std::string(kMaxFactValue + 1, 'v'));
    DirectAttrIo io(*root);
    const Fingerprint fp = read(io);
    EXPECT_EQ(valueOf(fp, fact::kTypeName), "two,lines");
    EXPECT_EQ(valueOf(fp, fact::kTypeDescription), "(error EILSEQ)");
    EXPECT_EQ(valueOf(fp, fact::kDriverVersion), "(error E2BIG)");
}

TEST_F(FingerprintRead, FailedAndStalledReadsAreRecordedAsErrors) {
    const std::string type_dir = paths::type(kGpu, "nvidia-231");
    ScriptedAttrIo io;
    io.lookupsFrom(*root);
    io.onRead(type_dir + "/name", "GRID T4-2Q\n");
    io.stallRead(type_dir + "/description");
    io.onRead(type_dir + "/device_api", "", EIO);
    io.onRead("sys/module/nvidia/version", "", ENODEV);
    const Fingerprint fp = read(io);
    EXPECT_EQ(valueOf(fp, fact::kTypeName), "GRID T4-2Q");
    EXPECT_EQ(valueOf(fp, fact::kTypeDescription), "(error ETIMEDOUT)");
    EXPECT_EQ(valueOf(fp, fact::kTypeDeviceApi), "(error EIO)");
    EXPECT_EQ(valueOf(fp, fact::kDriverVersion), "(error ENODEV)");
    // Absent through this io: the PCI ids and the vendor module.
    EXPECT_EQ(valueOf(fp, fact::kParentPci), "(absent)");
    EXPECT_EQ(valueOf(fp, fact::kVendorModuleVersion), "(absent)");
    // The driver link is read through the root, not the io.
    EXPECT_EQ(valueOf(fp, fact::kDriver), "nvidia");
    const auto m = compareFingerprints(fp, fp, nvidiaFacts(), DriverVersionRule::Any);
    ASSERT_EQ(m.size(), 3U);
    for (const auto& x : m) {
        EXPECT_TRUE(x.unreadable) << x.text;
    }
}

namespace {

// Reads through the real files; one path hangs until its deadline.
class HangingIo : public DirectAttrIo {
public:
    HangingIo(const Root& root, std::string hung) : DirectAttrIo(root), hung_(std::move(hung)) {}
    AttrRead read(std::string_view rel, Deadline deadline) override {
        if (rel == hung_) {
            while (!deadline.expired()) {
                std::this_thread::sleep_for(5ms);
            }
            return AttrRead{0, true, {}};
        }
        if (deadline.expired()) {
            return AttrRead{0, true, {}};
        }
        return DirectAttrIo::read(rel, deadline);
    }
    AttrWrite write(std::string_view, std::string_view, Deadline) override {
        return AttrWrite{EACCES, false, 0};
    }

private:
    std::string hung_;
};

} // namespace

TEST_F(FingerprintRead, OneHungAttributeCostsOnlyItsOwnRead) {
    HangingIo io(*root, paths::typeAttr(kGpu, "nvidia-231", "description"));
    const MdevHost host(*root, io);
    const auto start = std::chrono::steady_clock::now();
    const Fingerprint fp =
        readFingerprint(host, kGpu, "nvidia-231", nullptr, Deadline::after(10s), 200ms);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    EXPECT_EQ(valueOf(fp, fact::kTypeDescription), "(error ETIMEDOUT)");
    // The reads after it had their own time.
    EXPECT_EQ(valueOf(fp, fact::kTypeDeviceApi), "vfio-pci");
    EXPECT_EQ(valueOf(fp, fact::kParentPci), "10de:1eb8");
    EXPECT_EQ(valueOf(fp, fact::kDriverVersion), "550.54.10");
    EXPECT_EQ(valueOf(fp, fact::kVendorModuleVersion), "550.54.10");
    // The overall deadline still bounds them all.
    const Fingerprint late =
        readFingerprint(host, kGpu, "nvidia-231", nullptr, Deadline::after(100ms), 5s);
    EXPECT_EQ(valueOf(late, fact::kTypeDescription), "(error ETIMEDOUT)");
    EXPECT_EQ(valueOf(late, fact::kParentKind), "(error ETIMEDOUT)");
}

TEST_F(FingerprintRead, OneOfTwoIdsUnreadable) {
    const std::string pd = "sys/devices/pci0000:00/" + std::string(kGpu);
    ScriptedAttrIo io;
    io.lookupsFrom(*root);
    io.onRead(pd + "/vendor", "0x10de\n");
    io.onRead(pd + "/device", "", EIO);
    const Fingerprint fp = read(io);
    EXPECT_EQ(valueOf(fp, fact::kParentPci), "(error EIO)");
}

TEST_F(FingerprintRead, ParentWithoutDriverLinkOrWithAnEscapingOne) {
    const fs::path pd = sys.parentDir(kGpu);
    fs::remove(pd / "driver");
    DirectAttrIo io(*root);
    Fingerprint fp = read(io);
    EXPECT_EQ(valueOf(fp, fact::kDriver), "(absent)");
    EXPECT_EQ(valueOf(fp, fact::kDriverVersion), "(absent)");
    // A driver name that is not a valid name is an error, not a path.
    fs::create_directory_symlink("../../../bus/pci/drivers/..", pd / "driver");
    fp = read(io);
    EXPECT_EQ(valueOf(fp, fact::kDriver), "(error EINVAL)");
}

TEST_F(FingerprintRead, MissingParentIsAnUnreadableKind) {
    DirectAttrIo io(*root);
    const MdevHost host(*root, io);
    const Fingerprint fp =
        readFingerprint(host, "0000:99:00.0", "nvidia-231", nullptr, Deadline::after(2s));
    EXPECT_EQ(valueOf(fp, fact::kType), "nvidia-231");
    EXPECT_EQ(valueOf(fp, fact::kParentKind), "(error ENOENT)");
}

TEST_F(FingerprintRead, VfioApDeviceLevelFacts) {
    // A vfio_ap parent: devices/vfio_ap/matrix, driver vfio_ap on bus matrix.
    const fs::path pd = dir.path() / "sys/devices/vfio_ap/matrix";
    const fs::path td = pd / "mdev_supported_types/vfio_ap-passthrough";
    writeFile(td / "name", "VFIO AP Passthrough Device\n");
    writeFile(td / "device_api", "vfio-ap\n");
    fs::create_directories(td / "devices");
    fs::create_directory_symlink("../../devices/vfio_ap/matrix",
                                 dir.path() / "sys/class/mdev_bus/matrix");
    fs::create_directories(dir.path() / "sys/bus/matrix/drivers/vfio_ap");
    fs::create_directory_symlink("../../../bus/matrix/drivers/vfio_ap", pd / "driver");
    const std::string uuid = "4e2b9a1c-7d0f-4e5a-8b8c-9d0112233445";
    writeFile(pd / uuid / "matrix", "05.0004\n05.0005\n");
    writeFile(pd / uuid / "control_domains", "0004\n");
    DirectAttrIo io(*root);
    const MdevHost host(*root, io);
    const MdevDevice dev{uuid, "vfio_ap-passthrough", "matrix",
                         "sys/devices/vfio_ap/matrix/" + uuid};
    const Fingerprint fp =
        readFingerprint(host, "matrix", "vfio_ap-passthrough", &dev, Deadline::after(2s));
    EXPECT_EQ(valueOf(fp, fact::kParentKind), "vfio_ap");
    EXPECT_EQ(valueOf(fp, fact::kParentPath), "vfio_ap/matrix");
    EXPECT_EQ(valueOf(fp, fact::kDriver), "vfio_ap");
    EXPECT_EQ(valueOf(fp, fact::kApMatrix), "05.0004,05.0005");
    EXPECT_EQ(valueOf(fp, fact::kApControlDomains), "0004");
    // Without the device only the type-level facts.
    const Fingerprint type_only =
        readFingerprint(host, "matrix", "vfio_ap-passthrough", nullptr, Deadline::after(2s));
    EXPECT_EQ(valueOf(type_only, fact::kApMatrix), "(absent)");
    // A different matrix is named.
    Fingerprint other = fp;
    set(other, fact::kApMatrix, "05.0006");
    const auto m = compareFingerprints(fp, other, comparedFacts("vfio_ap", "vfio_ap", {}),
                                       DriverVersionRule::Identical);
    ASSERT_EQ(m.size(), 1U);
    EXPECT_EQ(m[0].text, "ap.matrix '05.0004,05.0005' on the source, '05.0006' here");
}

TEST_F(FingerprintRead, MttyParentUsesItsModuleAndPath) {
    const fs::path pd = dir.path() / "sys/devices/virtual/mtty/mtty";
    const fs::path td = pd / "mdev_supported_types/mtty-2";
    writeFile(td / "name", "Dual port serial\n");
    writeFile(td / "device_api", "vfio-pci\n");
    fs::create_directory_symlink("../../devices/virtual/mtty/mtty",
                                 dir.path() / "sys/class/mdev_bus/mtty");
    writeFile(dir.path() / "sys/module/mtty/srcversion", "6D1C7A3F\n");
    DirectAttrIo io(*root);
    const MdevHost host(*root, io);
    const Fingerprint fp = readFingerprint(host, "mtty", "mtty-2", nullptr, Deadline::after(2s));
    EXPECT_EQ(valueOf(fp, fact::kParentKind), "virtual/mtty");
    EXPECT_EQ(valueOf(fp, fact::kParentPath), "virtual/mtty/mtty");
    EXPECT_EQ(valueOf(fp, fact::kDriver), "(absent)");
    EXPECT_EQ(valueOf(fp, fact::kDriverVersion), "srcversion 6D1C7A3F");
    EXPECT_EQ(valueOf(fp, fact::kTypeDescription), "(absent)");
    // Another mtty path (a second instance) is a mismatch the profile sees.
    Fingerprint other = fp;
    set(other, fact::kParentPath, "virtual/mtty/mtty1");
    const auto m = compareFingerprints(fp, other, comparedFacts("", "virtual/mtty", {}),
                                       DriverVersionRule::Identical);
    ASSERT_EQ(m.size(), 1U);
    EXPECT_EQ(m[0].name, fact::kParentPath);
}
