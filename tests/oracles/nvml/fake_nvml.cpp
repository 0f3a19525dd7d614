// A fake libnvidia-ml.so.1 for the nvml oracle's tests: the entry points the
// oracle uses, answering from a scenario file.
//
// The scenario is the JSON file named by FAKE_NVML_SCENARIO, or else
// $MDEV_MIGCHECK_ROOT/fake-nvml.json (so the oracle can run with the
// protocol's environment only):
//   {
//     "gpus": [{"bus_id": "0000:3b:00.0", "host_driver": "550.54.10",
//               "vgpu_range": [min, max], "opaque": "<hex>",
//               "vgpus": [{"instance": 7, "mdev_uuid": "...", "guest_driver": "535.129.03",
//                          "host_driver": "550.54.10", "guest_vgpu_version": 1234,
//                          "guest_info": true, "opaque": "<hex>"}]}],
//     "compatibility": [{"guest_driver": "...", "source_host_driver": "...",
//                        "host_driver": "...", "opaque": "<hex>",
//                        "states": ["live", "cold", "hibernate", "sleep"],
//                        "limit": ["host_driver", "guest_driver", "gpu", "other"]}],
//     "errors": {"nvmlInit_v2": "NVML_ERROR_DRIVER_NOT_LOADED", "nvmlShutdown": 3},
//     "hang": ["nvmlGetVgpuCompatibility"]
//   }
// A compatibility rule matches when each of its optional keys equals the
// vGPU metadata's guest driver, its host driver (source_host_driver), the
// pGPU's host driver (host_driver) and the vGPU's opaque data; the first
// match decides; with none, every state is allowed.  Errors are names as in
// nvml.h or numbers.  Each call is appended, by name, to
// $MDEV_MIGCHECK_ROOT/fake-nvml.log when that directory exists.
#include "nvml_api.hpp"

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>
#include <unistd.h>
#include <vector>

struct nvmlDevice_st {
    std::size_t index;
};

namespace {

using nlohmann::json;

struct FakeVgpu {
    nvmlVgpuInstance_t instance = 0;
    std::string mdevUuid;
    std::string guestDriver;
    std::string hostDriver;
    unsigned int guestVgpuVersion = 0;
    bool guestInfo = true;
    std::vector<unsigned char> opaque;
};

struct FakeGpu {
    std::string busId;
    std::string hostDriver;
    nvmlVgpuVersion_t range{0, 0};
    std::vector<unsigned char> opaque;
    std::vector<FakeVgpu> vgpus;
};

struct Scenario {
    bool loaded = false;
    json doc;
    std::vector<FakeGpu> gpus;
    std::vector<nvmlDevice_st> handles;
    int inits = 0;
};

Scenario& scenario() {
    static Scenario s;
    return s;
}

std::string rootPath(const char* file) {
    const char* root = std::getenv("MDEV_MIGCHECK_ROOT");
    return std::string(root != nullptr ? root : "/") + "/" + file;
}

void logCall(const char* name) {
    if (std::getenv("MDEV_MIGCHECK_ROOT") == nullptr) {
        return;
    }
    std::ofstream log(rootPath("fake-nvml.log"), std::ios::app);
    log << name << '\n';
}

std::vector<unsigned char> fromHex(const std::string& s) {
    std::vector<unsigned char> out;
    for (std::size_t i = 0; i + 1 < s.size(); i += 2) {
        out.push_back(static_cast<unsigned char>(std::stoul(s.substr(i, 2), nullptr, 16)));
    }
    return out;
}

nvmlReturn_t codeFromJson(const json& v) {
    if (v.is_number_integer()) {
        return static_cast<nvmlReturn_t>(v.get<int>());
    }
    static const std::pair<const char*, int> names[] = {
        {"NVML_SUCCESS", 0},
        {"NVML_ERROR_UNINITIALIZED", 1},
        {"NVML_ERROR_INVALID_ARGUMENT", 2},
        {"NVML_ERROR_NOT_SUPPORTED", 3},
        {"NVML_ERROR_NO_PERMISSION", 4},
        {"NVML_ERROR_NOT_FOUND", 6},
        {"NVML_ERROR_INSUFFICIENT_SIZE", 7},
        {"NVML_ERROR_DRIVER_NOT_LOADED", 9},
        {"NVML_ERROR_TIMEOUT", 10},
        {"NVML_ERROR_GPU_IS_LOST", 15},
        {"NVML_ERROR_LIB_RM_VERSION_MISMATCH", 18},
        {"NVML_ERROR_UNKNOWN", 999},
    };
    const std::string name = v.get<std::string>();
    for (const auto& [n, code] : names) {
        if (name == n) {
            return static_cast<nvmlReturn_t>(code);
        }
    }
    return NVML_ERROR_UNKNOWN;
}

bool load() {
    Scenario& s = scenario();
    if (s.loaded) {
        return true;
    }
    const char* env = std::getenv("FAKE_NVML_SCENARIO");
    std::ifstream in(env != nullptr ? std::string(env) : rootPath("fake-nvml.json"));
    if (!in) {
        return false;
    }
    try {
        s.doc = json::parse(in);
        unsigned int next = 1;
        for (const auto& g : s.doc.value("gpus", json::array())) {
            FakeGpu gpu;
            gpu.busId = g.at("bus_id").get<std::string>();
            gpu.hostDriver = g.value("host_driver", "");
            if (g.contains("vgpu_range")) {
                gpu.range = {g["vgpu_range"][0].get<unsigned int>(),
                             g["vgpu_range"][1].get<unsigned int>()};
            }
            gpu.opaque = fromHex(g.value("opaque", ""));
            for (const auto& v : g.value("vgpus", json::array())) {
                FakeVgpu vgpu;
                vgpu.instance = v.value("instance", next);
                next = vgpu.instance + 1;
                vgpu.mdevUuid = v.at("mdev_uuid").get<std::string>();
                vgpu.guestDriver = v.value("guest_driver", "");
                vgpu.hostDriver = v.value("host_driver", gpu.hostDriver);
                vgpu.guestVgpuVersion = v.value("guest_vgpu_version", 0u);
                vgpu.guestInfo = v.value("guest_info", true);
                vgpu.opaque = fromHex(v.value("opaque", ""));
                gpu.vgpus.push_back(std::move(vgpu));
            }
            s.gpus.push_back(std::move(gpu));
        }
        s.handles.resize(s.gpus.size());
        for (std::size_t i = 0; i < s.handles.size(); ++i) {
            s.handles[i].index = i;
        }
    } catch (const std::exception&) {
        return false;
    }
    s.loaded = true;
    return true;
}

// The scenario's injected behaviour for `name`: hangs forever, or returns
// the error to give (NVML_SUCCESS: none).
nvmlReturn_t injected(const char* name) {
    logCall(name);
    if (!load()) {
        return NVML_ERROR_UNKNOWN;
    }
    const json& doc = scenario().doc;
    if (doc.contains("hang")) {
        for (const auto& h : doc["hang"]) {
            if (h.get<std::string>() == name) {
                for (;;) {
                    ::pause();
                }
            }
        }
    }
    if (doc.contains("errors") && doc["errors"].contains(name)) {
        return codeFromJson(doc["errors"][name]);
    }
    return NVML_SUCCESS;
}

void copyString(char* dst, std::size_t size, const std::string& src) {
    std::memset(dst, 0, size);
    std::memcpy(dst, src.data(), std::min(src.size(), size - 1));
}

const FakeVgpu* findVgpu(nvmlVgpuInstance_t instance) {
    for (const auto& g : scenario().gpus) {
        for (const auto& v : g.vgpus) {
            if (v.instance == instance) {
                return &v;
            }
        }
    }
    return nullptr;
}

const FakeGpu* findGpu(nvmlDevice_t device) {
    Scenario& s = scenario();
    for (auto& h : s.handles) {
        if (&h == device) {
            return &s.gpus[h.index];
        }
    }
    return nullptr;
}

// The opaque data of a metadata block: it runs past opaqueData[4], so it is
// addressed from the start of the block.
template <typename T>
unsigned char* opaqueOf(T* block) {
    return reinterpret_cast<unsigned char*>(block) + offsetof(T, opaqueData);
}

// Size of a metadata block whose opaque data is `n` bytes.
template <typename T>
unsigned int blockSize(std::size_t n) {
    return static_cast<unsigned int>(offsetof(T, opaqueData) + std::max<std::size_t>(n, 4));
}

constexpr std::pair<const char*, unsigned int> kStateNames[] = {
    {"live", NVML_VGPU_VM_COMPATIBILITY_LIVE},
    {"cold", NVML_VGPU_VM_COMPATIBILITY_COLD},
    {"hibernate", NVML_VGPU_VM_COMPATIBILITY_HIBERNATE},
    {"sleep", NVML_VGPU_VM_COMPATIBILITY_SLEEP},
};
constexpr std::pair<const char*, unsigned int> kLimitNames[] = {
    {"host_driver", NVML_VGPU_COMPATIBILITY_LIMIT_HOST_DRIVER},
    {"guest_driver", NVML_VGPU_COMPATIBILITY_LIMIT_GUEST_DRIVER},
    {"gpu", NVML_VGPU_COMPATIBILITY_LIMIT_GPU},
    {"other", NVML_VGPU_COMPATIBILITY_LIMIT_OTHER},
};

// The bit named `name` in `table`; an unknown name is taken as a number.
template <std::size_t N>
unsigned int bitFor(const std::string& name,
                    const std::pair<const char*, unsigned int> (&table)[N]) {
    for (const auto& [n, bit] : table) {
        if (name == n) {
            return bit;
        }
    }
    return static_cast<unsigned int>(std::stoul(name, nullptr, 0));
}

bool matches(const json& rule, const char* key, const std::string& value) {
    return !rule.contains(key) || rule[key].get<std::string>() == value;
}

} // namespace

extern "C" {

nvmlReturn_t nvmlInit_v2(void) {
    if (const nvmlReturn_t r = injected("nvmlInit_v2"); r != NVML_SUCCESS) {
        return r;
    }
    ++scenario().inits;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlShutdown(void) {
    if (const nvmlReturn_t r = injected("nvmlShutdown"); r != NVML_SUCCESS) {
        return r;
    }
    if (scenario().inits == 0) {
        return NVML_ERROR_UNINITIALIZED;
    }
    --scenario().inits;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByPciBusId_v2(const char* pciBusId, nvmlDevice_t* device) {
    if (const nvmlReturn_t r = injected("nvmlDeviceGetHandleByPciBusId_v2"); r != NVML_SUCCESS) {
        return r;
    }
    if (scenario().inits == 0) {
        return NVML_ERROR_UNINITIALIZED;
    }
    if (pciBusId == nullptr || device == nullptr) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    Scenario& s = scenario();
    for (std::size_t i = 0; i < s.gpus.size(); ++i) {
        if (strcasecmp(s.gpus[i].busId.c_str(), pciBusId) == 0) {
            *device = &s.handles[i];
            return NVML_SUCCESS;
        }
    }
    return NVML_ERROR_NOT_FOUND;
}

nvmlReturn_t nvmlDeviceGetActiveVgpus(nvmlDevice_t device, unsigned int* vgpuCount,
                                      nvmlVgpuInstance_t* vgpuInstances) {
    if (const nvmlReturn_t r = injected("nvmlDeviceGetActiveVgpus"); r != NVML_SUCCESS) {
        return r;
    }
    const FakeGpu* gpu = findGpu(device);
    if (gpu == nullptr || vgpuCount == nullptr) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    const auto n = static_cast<unsigned int>(gpu->vgpus.size());
    if (*vgpuCount < n) {
        *vgpuCount = n;
        return NVML_ERROR_INSUFFICIENT_SIZE;
    }
    if (n > 0 && vgpuInstances == nullptr) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    for (unsigned int i = 0; i < n; ++i) {
        vgpuInstances[i] = gpu->vgpus[i].instance;
    }
    *vgpuCount = n;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlVgpuInstanceGetMdevUUID(nvmlVgpuInstance_t vgpuInstance, char* mdevUuid,
                                         unsigned int size) {
    if (const nvmlReturn_t r = injected("nvmlVgpuInstanceGetMdevUUID"); r != NVML_SUCCESS) {
        return r;
    }
    if (vgpuInstance == 0 || mdevUuid == nullptr) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    const FakeVgpu* v = findVgpu(vgpuInstance);
    if (v == nullptr) {
        return NVML_ERROR_NOT_FOUND;
    }
    if (size < v->mdevUuid.size() + 1) {
        return NVML_ERROR_INSUFFICIENT_SIZE;
    }
    copyString(mdevUuid, size, v->mdevUuid);
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlVgpuInstanceGetMetadata(nvmlVgpuInstance_t vgpuInstance,
                                         nvmlVgpuMetadata_t* vgpuMetadata,
                                         unsigned int* bufferSize) {
    if (const nvmlReturn_t r = injected("nvmlVgpuInstanceGetMetadata"); r != NVML_SUCCESS) {
        return r;
    }
    if (bufferSize == nullptr || vgpuInstance == 0 ||
        (vgpuMetadata == nullptr && *bufferSize != 0)) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    const FakeVgpu* v = findVgpu(vgpuInstance);
    if (v == nullptr) {
        return NVML_ERROR_NOT_FOUND;
    }
    const unsigned int need = blockSize<nvmlVgpuMetadata_t>(v->opaque.size());
    if (*bufferSize < need) {
        *bufferSize = need;
        return NVML_ERROR_INSUFFICIENT_SIZE;
    }
    std::memset(vgpuMetadata, 0, need);
    vgpuMetadata->version = 1;
    vgpuMetadata->guestInfoState = v->guestInfo ? NVML_VGPU_INSTANCE_GUEST_INFO_STATE_INITIALIZED
                                                : NVML_VGPU_INSTANCE_GUEST_INFO_STATE_UNINITIALIZED;
    if (v->guestInfo) {
        copyString(vgpuMetadata->guestDriverVersion, sizeof(vgpuMetadata->guestDriverVersion),
                   v->guestDriver);
    }
    copyString(vgpuMetadata->hostDriverVersion, sizeof(vgpuMetadata->hostDriverVersion),
               v->hostDriver);
    vgpuMetadata->vgpuVirtualizationCaps = 1;
    vgpuMetadata->guestVgpuVersion = v->guestVgpuVersion;
    vgpuMetadata->opaqueDataSize = static_cast<unsigned int>(v->opaque.size());
    std::memcpy(opaqueOf(vgpuMetadata), v->opaque.data(), v->opaque.size());
    *bufferSize = need;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetVgpuMetadata(nvmlDevice_t device, nvmlVgpuPgpuMetadata_t* pgpuMetadata,
                                       unsigned int* bufferSize) {
    if (const nvmlReturn_t r = injected("nvmlDeviceGetVgpuMetadata"); r != NVML_SUCCESS) {
        return r;
    }
    const FakeGpu* gpu = findGpu(device);
    if (bufferSize == nullptr || gpu == nullptr || (pgpuMetadata == nullptr && *bufferSize != 0)) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    const unsigned int need = blockSize<nvmlVgpuPgpuMetadata_t>(gpu->opaque.size());
    if (*bufferSize < need) {
        *bufferSize = need;
        return NVML_ERROR_INSUFFICIENT_SIZE;
    }
    std::memset(pgpuMetadata, 0, need);
    pgpuMetadata->version = 1;
    copyString(pgpuMetadata->hostDriverVersion, sizeof(pgpuMetadata->hostDriverVersion),
               gpu->hostDriver);
    pgpuMetadata->pgpuVirtualizationCaps = 1;
    pgpuMetadata->hostSupportedVgpuRange = gpu->range;
    pgpuMetadata->opaqueDataSize = static_cast<unsigned int>(gpu->opaque.size());
    std::memcpy(opaqueOf(pgpuMetadata), gpu->opaque.data(), gpu->opaque.size());
    *bufferSize = need;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlGetVgpuCompatibility(nvmlVgpuMetadata_t* vgpuMetadata,
                                      nvmlVgpuPgpuMetadata_t* pgpuMetadata,
                                      nvmlVgpuPgpuCompatibility_t* compatibilityInfo) {
    if (const nvmlReturn_t r = injected("nvmlGetVgpuCompatibility"); r != NVML_SUCCESS) {
        return r;
    }
    if (vgpuMetadata == nullptr || pgpuMetadata == nullptr || compatibilityInfo == nullptr) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    auto bounded = [](const char* field, std::size_t size) {
        return std::string(field, strnlen(field, size));
    };
    const std::string guest =
        bounded(vgpuMetadata->guestDriverVersion, sizeof(vgpuMetadata->guestDriverVersion));
    const std::string source =
        bounded(vgpuMetadata->hostDriverVersion, sizeof(vgpuMetadata->hostDriverVersion));
    const std::string here =
        bounded(pgpuMetadata->hostDriverVersion, sizeof(pgpuMetadata->hostDriverVersion));
    std::string opaque;
    for (unsigned int i = 0; i < vgpuMetadata->opaqueDataSize; ++i) {
        static const char digits[] = "0123456789abcdef";
        const unsigned char b = opaqueOf(vgpuMetadata)[i];
        opaque += digits[b >> 4];
        opaque += digits[b & 15];
    }
    unsigned int states = NVML_VGPU_VM_COMPATIBILITY_COLD | NVML_VGPU_VM_COMPATIBILITY_HIBERNATE |
                          NVML_VGPU_VM_COMPATIBILITY_SLEEP | NVML_VGPU_VM_COMPATIBILITY_LIVE;
    unsigned int limit = NVML_VGPU_COMPATIBILITY_LIMIT_NONE;
    for (const auto& rule : scenario().doc.value("compatibility", json::array())) {
        if (!matches(rule, "guest_driver", guest) || !matches(rule, "source_host_driver", source) ||
            !matches(rule, "host_driver", here) || !matches(rule, "opaque", opaque)) {
            continue;
        }
        states = 0;
        for (const auto& st : rule.value("states", json::array())) {
            states |= bitFor(st.get<std::string>(), kStateNames);
        }
        for (const auto& l : rule.value("limit", json::array())) {
            limit |= bitFor(l.get<std::string>(), kLimitNames);
        }
        break;
    }
    compatibilityInfo->vgpuVmCompatibility = static_cast<nvmlVgpuVmCompatibility_t>(states);
    compatibilityInfo->compatibilityLimitCode =
        static_cast<nvmlVgpuPgpuCompatibilityLimitCode_t>(limit);
    return NVML_SUCCESS;
}

} // extern "C"

// The fake's entry points have exactly the types the oracle resolves.
static_assert(std::is_same_v<decltype(&nvmlInit_v2), nvmlInit_v2_fn>);
static_assert(std::is_same_v<decltype(&nvmlShutdown), nvmlShutdown_fn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetHandleByPciBusId_v2),
                             nvmlDeviceGetHandleByPciBusId_v2_fn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetActiveVgpus), nvmlDeviceGetActiveVgpus_fn>);
static_assert(
    std::is_same_v<decltype(&nvmlVgpuInstanceGetMdevUUID), nvmlVgpuInstanceGetMdevUUID_fn>);
static_assert(
    std::is_same_v<decltype(&nvmlVgpuInstanceGetMetadata), nvmlVgpuInstanceGetMetadata_fn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetVgpuMetadata), nvmlDeviceGetVgpuMetadata_fn>);
static_assert(std::is_same_v<decltype(&nvmlGetVgpuCompatibility), nvmlGetVgpuCompatibility_fn>);
