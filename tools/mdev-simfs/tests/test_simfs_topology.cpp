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
