#include "nvml_session.hpp"

#include "nvml_errors.hpp"

namespace mdevmc::oracle::nvml {

namespace {

// Bound on the pGPU metadata block NVML may ask for.
constexpr unsigned int kMaxPgpuMetadataSize = 64 * 1024;

} // namespace

std::string nvmlFailure(const char* function, nvmlReturn_t ret, const std::string& object) {
    std::string out = function;
    out += " failed";
    if (!object.empty()) {
        out += " for '" + object + "'";
    }
    return out + ": " + returnName(ret);
}

nvmlReturn_t Session::init() {
    if (initialized_) {
        return NVML_SUCCESS;
    }
    const nvmlReturn_t ret = lib_.init();
    initialized_ = ret == NVML_SUCCESS;
    return ret;
}

void Session::shutdown() {
    if (initialized_) {
        initialized_ = false;
        lib_.shutdown();
    }
}

std::optional<nvmlDevice_t> Session::deviceFor(const std::string& parent, const ParentDevice& info,
                                               std::string* error) {
    nvmlDevice_t device = nullptr;
    nvmlReturn_t ret = lib_.getHandleByPciBusId(parent.c_str(), &device);
    if (ret == NVML_SUCCESS) {
        return device;
    }
    if ((ret == NVML_ERROR_NOT_FOUND || ret == NVML_ERROR_INVALID_ARGUMENT) &&
        !info.physfn.empty()) {
        const nvmlReturn_t pf = lib_.getHandleByPciBusId(info.physfn.c_str(), &device);
        if (pf == NVML_SUCCESS) {
            return device;
        }
        *error = nvmlFailure("nvmlDeviceGetHandleByPciBusId_v2", ret, parent) + ", and " +
                 returnName(pf) + " for its physical function '" + info.physfn + "'";
        return std::nullopt;
    }
    *error = nvmlFailure("nvmlDeviceGetHandleByPciBusId_v2", ret, parent);
    return std::nullopt;
}

std::optional<std::vector<nvmlVgpuPgpuMetadata_t>> pgpuMetadata(const Library& lib,
                                                                nvmlDevice_t device,
                                                                const std::string& parent,
                                                                std::string* error) {
    std::vector<nvmlVgpuPgpuMetadata_t> block;
    unsigned int size = 0;
    const nvmlReturn_t ret =
        readSizedBlock([&](nvmlVgpuPgpuMetadata_t* buf,
                           unsigned int* n) { return lib.getPgpuMetadata(device, buf, n); },
                       kMaxPgpuMetadataSize, block, size);
    if (ret == NVML_ERROR_INSUFFICIENT_SIZE && size > kMaxPgpuMetadataSize) {
        *error = "pGPU metadata of '" + parent + "' too large (" + std::to_string(size) + " bytes)";
        return std::nullopt;
    }
    if (ret != NVML_SUCCESS) {
        *error = nvmlFailure("nvmlDeviceGetVgpuMetadata", ret, parent);
        return std::nullopt;
    }
    return block;
}

std::optional<nvmlDevice_t> Session::start(const std::string& parent, const ParentDevice& info,
                                           std::string* error) {
    if (const nvmlReturn_t ret = init(); ret != NVML_SUCCESS) {
        *error = nvmlFailure("nvmlInit_v2", ret);
        return std::nullopt;
    }
    return deviceFor(parent, info, error);
}

} // namespace mdevmc::oracle::nvml
