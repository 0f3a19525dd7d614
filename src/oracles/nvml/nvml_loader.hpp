// libnvidia-ml.so.1, opened at run time: hosts without NVIDIA's driver have
// no such library, and the oracle must run (and answer "unclaimed") there.
#pragma once

#include "nvml_api.hpp"

#include <optional>
#include <string>

namespace mdevmc::oracle::nvml {

inline constexpr const char* kLibraryName = "libnvidia-ml.so.1";

// The entry points the oracle calls, all resolved.
struct Library {
    nvmlInit_v2_fn init = nullptr;
    nvmlShutdown_fn shutdown = nullptr;
    nvmlDeviceGetHandleByPciBusId_v2_fn getHandleByPciBusId = nullptr;
    nvmlDeviceGetActiveVgpus_fn getActiveVgpus = nullptr;
    nvmlVgpuInstanceGetMdevUUID_fn getMdevUuid = nullptr;
    nvmlVgpuInstanceGetMetadata_fn getVgpuInstanceMetadata = nullptr;
    nvmlDeviceGetVgpuMetadata_fn getPgpuMetadata = nullptr;
    nvmlGetVgpuCompatibility_fn getVgpuCompatibility = nullptr;
};

struct LoadResult {
    std::optional<Library> library;
    std::string error; // why not: "cannot load 'libnvidia-ml.so.1': ..."
};

// dlopen(RTLD_NOW | RTLD_LOCAL) and dlsym of every entry point.  The
// library stays loaded until the process exits.
LoadResult loadLibrary();

} // namespace mdevmc::oracle::nvml
