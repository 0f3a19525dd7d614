// One use of NVML by the oracle: nvmlInit_v2 once, nvmlShutdown once, and the
// lookups record and check share.
#pragma once

#include "nvml_api.hpp"
#include "nvml_loader.hpp"
#include "sysfs.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace mdevmc::oracle::nvml {

// "nvmlInit_v2 failed: NVML_ERROR_DRIVER_NOT_LOADED", or with the object
// named: "nvmlDeviceGetHandleByPciBusId_v2 failed for '0000:3b:00.0': ...".
std::string nvmlFailure(const char* function, nvmlReturn_t ret, const std::string& object = {});

// A NUL-terminated fixed-size field of an NVML structure, bounded by its size.
template <std::size_t N>
std::string fixedString(const char (&field)[N]) {
    std::size_t n = 0;
    while (n < N && field[n] != '\0') {
        ++n;
    }
    return std::string(field, n);
}

// Reads a variable-size NVML block the way nvml.h describes it for
// nvmlVgpuInstanceGetMetadata and nvmlDeviceGetVgpuMetadata: a query with a
// NULL buffer and *bufferSize 0 answers NVML_ERROR_INSUFFICIENT_SIZE with the
// size needed; then the read.  `call(T*, unsigned int*)` is the entry point.
// On success, `block` holds at least one T and `size` the size NVML gave
// (at least sizeof(T)).  A needed size over `maxSize` stops with
// NVML_ERROR_INSUFFICIENT_SIZE and `size` set to it.
template <typename T, typename Call>
nvmlReturn_t readSizedBlock(Call call, unsigned int maxSize, std::vector<T>& block,
                            unsigned int& size) {
    size = 0;
    nvmlReturn_t ret = call(nullptr, &size);
    if (ret == NVML_SUCCESS) {
        ret = NVML_ERROR_INSUFFICIENT_SIZE; // nothing to query: read a bare structure
        size = 0;
    }
    // The block may grow between the query and the read: ask twice.
    for (int attempt = 0; attempt < 2 && ret == NVML_ERROR_INSUFFICIENT_SIZE; ++attempt) {
        if (size > maxSize) {
            return ret;
        }
        size = std::max<unsigned int>(size, sizeof(T));
        block.assign((size + sizeof(T) - 1) / sizeof(T), T{});
        unsigned int bufferSize = static_cast<unsigned int>(block.size() * sizeof(T));
        ret = call(block.data(), &bufferSize);
        if (ret == NVML_ERROR_INSUFFICIENT_SIZE) {
            size = bufferSize;
        }
    }
    return ret;
}

class Session {
public:
    explicit Session(const Library& lib) : lib_(lib) {}
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    ~Session() { shutdown(); }

    const Library& lib() const { return lib_; }
    nvmlReturn_t init();
    void shutdown();

    // The handle of the GPU of mdev parent `parent`: by its PCI name, or,
    // when NVML does not know it (an SR-IOV VF), by its physical function's.
    // On failure, *error tells which call failed.
    std::optional<nvmlDevice_t> deviceFor(const std::string& parent, const ParentDevice& info,
                                          std::string* error);
    // init(), then deviceFor(); on failure, *error tells which call failed.
    std::optional<nvmlDevice_t> start(const std::string& parent, const ParentDevice& info,
                                      std::string* error);

private:
    const Library& lib_;
    bool initialized_ = false;
};

// The nvmlVgpuPgpuMetadata_t block of `device` (at least the structure, in
// typed storage); nullopt with *error set on failure.
std::optional<std::vector<nvmlVgpuPgpuMetadata_t>> pgpuMetadata(const Library& lib,
                                                                nvmlDevice_t device,
                                                                const std::string& parent,
                                                                std::string* error);

} // namespace mdevmc::oracle::nvml
