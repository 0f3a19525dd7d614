#include "topology.hpp"

#include <cerrno>
#include <gtest/gtest.h>

using namespace mdevsim;

namespace {

const char* kGood = R"({"parents": [
   {"address": "0000:00:02.0", "vendor": "8086", "device": "193b",
    "software_version": "5.2", "iommu_group_base": 10,
    "types": [
      {"id": "i915-GVTg_V5_4", "name": "GVTg_V5_4", "device_api": "vfio-pci",
       "available_instances": 4, "migration": "supported"},
      {"id": "i915-GVTg_V5_8", "name": "GVTg_V5_8", "device_api": "vfio-pci",
       "available_instances": 2, "migration": "absent"},
      {"id": "i915-GVTg_V5_1", "migration": "ENODEV", "software_version": "7.0"}]}],
 "devices": [
   {"uuid": "C2177883-F1BB-47F0-914D-32A22E3A8804",
    "parent": "0000:00:02.0", "type": "i915-GVTg_V5_4",
    "device_migration_version": true}]})";

std::string errorOf(const std::string& json) {
    try {
        parseTopology(json);
    } catch (const SimError& e) {
        return e.what();
    }
    return "";
}

} // namespace

TEST(SimfsTopology, ParsesTheDocumentedFormat) {
    const Topology t = parseTopology(kGood);
    ASSERT_EQ(t.parents.size(), 1U);
    const ParentSpec& p = t.parents[0];
    EXPECT_EQ(p.sysfs_path, "devices/pci0000:00/0000:00:02.0");
    EXPECT_EQ(p.iommu_group_base, 10);
    ASSERT_EQ(p.types.size(), 3U);
    EXPECT_EQ(p.types[0].available_instances, 4);
    EXPECT_EQ(p.types[1].migration.kind, Migration::Kind::Absent);
    EXPECT_EQ(p.types[2].migration.kind, Migration::Kind::Errno);
    EXPECT_EQ(p.types[2].migration.err, ENODEV);
    EXPECT_EQ(p.types[2].name, "i915-GVTg_V5_1");
    EXPECT_EQ(p.types[2].software_version, "7.0");
    ASSERT_EQ(t.devices.size(), 1U);
    EXPECT_EQ(t.devices[0].uuid, "c2177883-f1bb-47f0-914d-32a22e3a8804");
    EXPECT_TRUE(t.devices[0].device_migration_version);
}

TEST(SimfsTopology, RejectionsNameTheKey) {
    EXPECT_EQ(errorOf("{"), "topology is not valid JSON: "
                            "[json.exception.parse_error.101] parse error at line 1, column 2: "
                            "syntax error while parsing object key - unexpected end of input; "
                            "expected string literal");
    EXPECT_EQ(errorOf(R"({"parents": [], "extra": 1})"), "topology: unknown key 'extra'");
    EXPECT_EQ(errorOf(R"({"parents": [{"address": "a/b"}]})"),
              "parents[0].address: 'a/b' is not a valid device name");
    EXPECT_EQ(errorOf(R"({"parents": [{"address": "p", "vendor": "80-86", "device": "1",
                      "software_version": "1.0", "types": []}]})"),
              "parents[0].vendor: '80-86' must be a non-empty name without '-'");
    EXPECT_EQ(errorOf(R"({"parents": [{"address": "p", "vendor": "1", "device": "1",
                      "software_version": "1", "types": []}]})"),
              "parents[0].software_version: '1' is not MAJOR.MINOR");
    EXPECT_EQ(errorOf(R"({"parents": [{"address": "p", "vendor": "1", "device": "1",
                      "software_version": "1.0", "types": [{"id": "t", "migration": "maybe"}]}]})"),
              "parents[0].types[0].migration: 'maybe' is not 'supported', 'absent' or an errno "
              "name such as 'ENODEV'");
    EXPECT_EQ(errorOf(R"({"parents": [{"address": "p", "vendor": "1", "device": "1",
                      "software_version": "1.0", "types": [{"id": "t", "available_instances": -1}]}]})"),
              "parents[0].types[0].available_instances: expected an integer from 0 to 100000");
    EXPECT_EQ(errorOf(R"({"parents": [{"address": "p", "vendor": "1", "device": "1",
                      "software_version": "1.0", "types": [{"id": "t"}, {"id": "t"}]}]})"),
              "parents[0].types[1].id: 't' appears twice on p");
    const std::string base = R"({"parents": [{"address": "p", "vendor": "1", "device": "1",
                      "software_version": "1.0", "types": [{"id": "t"}]}], "devices": [)";
    EXPECT_EQ(errorOf(base + R"({"uuid": "nope", "parent": "p", "type": "t"}]})"),
              "devices[0].uuid: 'nope' is not a canonical UUID");
    EXPECT_EQ(errorOf(base + R"({"uuid": "c2177883-f1bb-47f0-914d-32a22e3a8804", "parent": "q",
                      "type": "t"}]})"),
              "devices[0].parent: no parent 'q' in the topology");
    EXPECT_EQ(errorOf(base + R"({"uuid": "c2177883-f1bb-47f0-914d-32a22e3a8804", "parent": "p",
                      "type": "u"}]})"),
              "devices[0].type: parent 'p' offers no type 'u'");
    EXPECT_EQ(errorOf(base + R"({"uuid": "c2177883-f1bb-47f0-914d-32a22e3a8804", "parent": "p",
                      "type": "t"}, {"uuid": "c2177883-f1bb-47f0-914d-32a22e3a8804",
                      "parent": "p", "type": "t"}]})"),
              "devices[1].uuid: 'c2177883-f1bb-47f0-914d-32a22e3a8804' appears twice");
}

TEST(SimfsTopology, MissingFile) {
    try {
        loadTopology("/nonexistent/topo.json");
        FAIL();
    } catch (const SimError& e) {
        EXPECT_STREQ(e.what(), "cannot read topology file '/nonexistent/topo.json'");
    }
}

namespace {

// A real-profile parent with every new key; EXTRA is spliced into it.
std::string realParent(const std::string& extra) {
    return R"({"profile": "real", "parents": [{"address": "0000:3b:00.0",
        "types": [{"id": "nvidia-231"}])" +
           extra + "}]}";
}

} // namespace

TEST(SimfsTopology, ParsesRealDriverProfiles) {
    const Topology t = parseTopology(R"({"profile": "real",
      "modules": {"mtty": {"srcversion": "6D1C7A3F"}},
      "pci_devices": [{"address": "0000:41:00.0", "pci": {"vendor": "10DE", "device": "0x2236"},
                       "attributes": {"sriov_numvfs": "4\n"}}],
      "parents": [
        {"address": "0000:41:00.4", "physfn": "0000:41:00.0",
         "sysfs_path": "devices/pci0000:00/0000:00:03.0/0000:41:00.4",
         "pci": {"vendor": "10de", "device": "2236", "subsystem_vendor": "10de",
                 "subsystem_device": "1482", "class": "0x30200"},
         "driver": {"name": "nvidia-x", "version": "550.54.10", "srcversion": "ABCDEF0123",
                    "modules": {"nvidia_vgpu_vfio": "550.54.10",
                                "other": {"srcversion": "0123"}}},
         "types": [{"id": "nvidia-592", "name": "NVIDIA A10-8Q", "description": null,
                    "attributes": {"extra": "1\n"}},
                   {"id": "nvidia-593", "migration": "supported"}],
         "software_version": "1.0"},
        {"address": "mtty", "sysfs_path": "devices/virtual/mtty/mtty", "profile": "simulated",
         "vendor": "mt", "device": "ty", "software_version": "0.1", "types": [{"id": "mtty-1"}]}],
      "devices": [{"uuid": "c2177883-f1bb-47f0-914d-32a22e3a8804", "parent": "0000:41:00.4",
                   "type": "nvidia-592", "attributes": {"matrix": "05.0004\n"}}]})");
    ASSERT_EQ(t.pci_devices.size(), 1U);
    EXPECT_EQ(t.pci_devices[0].pci->vendor, "10de");
    EXPECT_EQ(t.pci_devices[0].pci->device, "2236");
    EXPECT_EQ(t.pci_devices[0].attributes.at("sriov_numvfs"), "4\n");
    const ParentSpec& vf = t.parents[0];
    EXPECT_TRUE(vf.real_profile);
    EXPECT_EQ(vf.physfn, "0000:41:00.0");
    EXPECT_EQ(vf.sysfs_path, "devices/pci0000:00/0000:00:03.0/0000:41:00.4");
    EXPECT_EQ(vf.pci->subsystem_device, "1482");
    EXPECT_EQ(vf.pci->device_class, "030200");
    EXPECT_EQ(vf.vendor, "10de"); // from pci
    EXPECT_EQ(vf.driver->bus, "pci");
    EXPECT_EQ(vf.driver->module, "nvidia_x");
    EXPECT_EQ(vf.types[0].migration.kind, Migration::Kind::Absent);
    EXPECT_FALSE(vf.types[0].has_description);
    EXPECT_EQ(vf.types[0].attributes.at("extra"), "1\n");
    EXPECT_EQ(vf.types[1].migration.kind, Migration::Kind::Supported);
    EXPECT_FALSE(t.parents[1].real_profile);
    EXPECT_EQ(t.parents[1].types[0].migration.kind, Migration::Kind::Supported);
    EXPECT_EQ(t.modules.at("nvidia_x").version, "550.54.10");
    EXPECT_EQ(t.modules.at("nvidia_x").srcversion, "ABCDEF0123");
    EXPECT_EQ(t.modules.at("nvidia_vgpu_vfio").version, "550.54.10");
    EXPECT_EQ(t.modules.at("other").version, std::nullopt);
    EXPECT_EQ(t.modules.at("other").srcversion, "0123");
    EXPECT_EQ(t.modules.at("mtty").srcversion, "6D1C7A3F");
    EXPECT_EQ(t.devices[0].attributes.at("matrix"), "05.0004\n");
    // A real profile needs no ids or version when no type has the attribute.
    const Topology bare = parseTopology(realParent(""));
    EXPECT_EQ(bare.parents[0].vendor, "");
    EXPECT_EQ(bare.parents[0].types[0].migration.kind, Migration::Kind::Absent);
}

TEST(SimfsTopology, RejectionsOfProfileKeysNameKeyAndValue) {
    EXPECT_EQ(errorOf(R"({"profile": "fake", "parents": []})"),
              "topology.profile: 'fake' is not 'simulated' or 'real'");
    EXPECT_EQ(errorOf(realParent(R"(, "pci": {"vendor": "10dex", "device": "1"})")),
              "parents[0].pci.vendor: '10dex' is not a hex id of at most 4 digits");
    EXPECT_EQ(errorOf(realParent(R"(, "pci": {"vendor": "10de", "device": 7})")),
              "parents[0].pci.device: 7 is not a hex id of at most 4 digits");
    EXPECT_EQ(errorOf(realParent(R"(, "pci": {"vendor": "10de"})")),
              "parents[0].pci: missing key 'device'");
    EXPECT_EQ(
        errorOf(realParent(R"(, "pci": {"vendor": "10de", "device": "1", "class": "0x1234567"})")),
        "parents[0].pci.class: '0x1234567' is not a hex id of at most 6 digits");
    EXPECT_EQ(errorOf(realParent(R"(, "pci": {"vendor": "10de", "device": "1", "rev": "1"})")),
              "parents[0].pci: unknown key 'rev'");
    EXPECT_EQ(
        errorOf(realParent(R"(, "pci": {"vendor": "10de", "device": "1eb8"}, "vendor": "8086")")),
        "parents[0].vendor: '8086' differs from parents[0].pci.vendor '10de'");
    EXPECT_EQ(errorOf(realParent(R"(, "driver": {"name": "a/b"})")),
              "parents[0].driver.name: 'a/b' is not a valid driver name");
    EXPECT_EQ(errorOf(realParent(R"(, "driver": {"name": "nvidia", "version": "5 5"})")),
              "parents[0].driver.version: '5 5' is not a version (1 to 64 printable characters, "
              "no blanks)");
    EXPECT_EQ(errorOf(realParent(R"(, "driver": {"name": "nvidia", "srcversion": "XYZ"})")),
              "parents[0].driver.srcversion: 'XYZ' is not a srcversion (1 to 64 hex digits)");
    EXPECT_EQ(errorOf(realParent(R"(, "driver": {"name": "nvidia", "module": "nv-idia"})")),
              "parents[0].driver.module: 'nv-idia' is not a module name (no '-', no '/')");
    EXPECT_EQ(errorOf(realParent(R"(, "driver": {"name": "nvidia", "modules": {"m": 3}})")),
              "parents[0].driver.modules.m: 3 is neither a version string nor an object with "
              "version/srcversion");
    EXPECT_EQ(errorOf(realParent(R"(, "driver": {"name": "nvidia", "bogus": 1})")),
              "parents[0].driver: unknown key 'bogus'");
    EXPECT_EQ(errorOf(R"({"parents": [{"address": "mtty", "driver": {"name": "mtty"},
                      "types": []}]})"),
              "parents[0].driver: missing key 'bus' (the device's address is not a PCI address)");
    EXPECT_EQ(errorOf(R"({"modules": {"nvidia": "1"}, "profile": "real", "parents": [
                      {"address": "0000:3b:00.0", "driver": {"name": "nvidia", "version": "2"},
                       "types": []}]})"),
              "parents[0].driver.module: module 'nvidia' is already described differently "
              "elsewhere in the topology");
    EXPECT_EQ(errorOf(realParent(R"(, "physfn": "0000:41:00.0")")),
              "parents[0].physfn: no device '0000:41:00.0' in parents or pci_devices");
    EXPECT_EQ(errorOf(realParent(R"(, "physfn": "0000:3b:00.0")")),
              "parents[0].physfn: '0000:3b:00.0' is not another device's address");
    EXPECT_EQ(errorOf(realParent(R"(, "attributes": {"vendor": "x"})")),
              "parents[0].attributes: 'vendor' is not a valid name for an extra attribute here");
    EXPECT_EQ(errorOf(realParent(R"(, "attributes": {"x": 1})")),
              "parents[0].attributes.x: expected a string of at most 4096 bytes");
    EXPECT_EQ(errorOf(realParent(R"(, "profile": "other")")),
              "parents[0].profile: 'other' is not 'simulated' or 'real'");
    EXPECT_EQ(errorOf(R"({"profile": "real", "parents": [{"address": "0000:3b:00.0",
                      "types": [{"id": "t", "migration": "supported"}]}]})"),
              "parents[0]: missing key 'vendor' (parents[0].types[0] has a migration_version)");
    EXPECT_EQ(errorOf(R"({"profile": "real", "parents": [{"address": "0000:3b:00.0",
                      "pci": {"vendor": "10de", "device": "1eb8"},
                      "types": [{"id": "t", "migration": "supported"}]}]})"),
              "parents[0]: missing key 'software_version' (parents[0].types[0] has a "
              "migration_version)");
    EXPECT_EQ(errorOf(R"({"parents": [{"address": "p", "vendor": "1", "device": "1",
                      "software_version": "1.0", "types": [{"id": "t",
                      "attributes": {"create": "x"}}]}]})"),
              "parents[0].types[0].attributes: 'create' is not a valid name for an extra "
              "attribute here");
    EXPECT_EQ(
        errorOf(R"({"pci_devices": [{"address": "0000:41:00.0", "bogus": 1}], "parents": []})"),
        "pci_devices[0]: unknown key 'bogus'");
    EXPECT_EQ(errorOf(R"({"pci_devices": [{"address": "0000:41:00.0"}], "parents": [
                      {"address": "0000:41:00.0", "types": []}]})"),
              "parents[0].address: '0000:41:00.0' appears twice");
    EXPECT_EQ(
        errorOf(R"({"parents": [{"address": "p", "sysfs_path": "devices/x/q", "types": []}]})"),
        "parents[0].sysfs_path: 'devices/x/q' must be devices/.../p");
    const std::string base = R"({"parents": [{"address": "p", "vendor": "1", "device": "1",
                      "software_version": "1.0", "types": [{"id": "t"}]}], "devices": [)";
    EXPECT_EQ(errorOf(base + R"({"uuid": "c2177883-f1bb-47f0-914d-32a22e3a8804", "parent": "p",
                      "type": "t", "attributes": {"assign_adapter": "1"}}]})"),
              "devices[0].attributes: 'assign_adapter' is not a valid name for an extra "
              "attribute here");
}
