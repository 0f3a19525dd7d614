// The simulated host and domain the CLI's golden and JSON schema tests run
// on: two parents offering i915-GVTg_V5_4 (one accepting 5.1 and one not),
// a type without migration_version, one with an unreadable one, one that
// only the second parent offers, and a device with an attribute of its own.
#pragma once

namespace mdevmc::test {

inline const char* kTopology = R"({"parents": [
   {"address": "0000:00:02.0", "vendor": "8086", "device": "193b", "software_version": "5.2",
    "iommu_group_base": 10,
    "types": [{"id": "i915-GVTg_V5_4", "name": "GVTg_V5_4", "available_instances": 3},
              {"id": "i915-GVTg_V5_8", "name": "GVTg_V5_8", "migration": "absent"},
              {"id": "i915-GVTg_V5_2", "name": "GVTg_V5_2", "migration": "ENODEV"}]},
   {"address": "0000:00:03.0", "vendor": "8086", "device": "193b", "software_version": "5.0",
    "iommu_group_base": 20,
    "types": [{"id": "i915-GVTg_V5_4", "name": "GVTg_V5_4", "available_instances": 0},
              {"id": "i915-GVTg_V5_1", "name": "GVTg_V5_1", "available_instances": 7}]}],
 "devices": [{"uuid": "c2177883-f1bb-47f0-914d-32a22e3a8804", "parent": "0000:00:02.0",
              "type": "i915-GVTg_V5_4", "device_migration_version": true}]})";

inline constexpr const char* kSampleU1 = "c2177883-f1bb-47f0-914d-32a22e3a8804";

// Two mdevs recorded on a source host: one that exists here (compatible),
// one that does not (refused, with the parents that offer its type).
inline const char* kDomain = R"(<domain type='kvm'>
  <name>vgpu3</name>
  <uuid>3e1e7d8c-1b4a-4f63-9a43-52f0c1e9d003</uuid>
  <metadata>
    <mdevmc:migcheck xmlns:mdevmc="urn:mdev-migcheck:metadata:1" host="hostA">
      <mdevmc:mdev uuid="c2177883-f1bb-47f0-914d-32a22e3a8804" type="i915-GVTg_V5_4" parent="0000:00:02.0" version="8086-193b-i915-GVTg_V5_4-5.2"/>
      <mdevmc:mdev uuid="0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3a" type="i915-GVTg_V5_4" parent="0000:00:02.0" version="8086-193b-i915-GVTg_V5_4-5.1"/>
    </mdevmc:migcheck>
  </metadata>
  <devices>
    <hostdev mode='subsystem' type='mdev' model='vfio-pci'>
      <source><address uuid='c2177883-f1bb-47f0-914d-32a22e3a8804'/></source>
    </hostdev>
    <hostdev mode='subsystem' type='mdev' model='vfio-pci'>
      <source><address uuid='0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3a'/></source>
    </hostdev>
  </devices>
</domain>
)";

// A domain without mdevs.
inline const char* kPlainDomain = R"(<domain type='kvm'>
  <name>plain</name>
  <uuid>3e1e7d8c-1b4a-4f63-9a43-52f0c1e9d004</uuid>
  <devices/>
</domain>
)";

} // namespace mdevmc::test
