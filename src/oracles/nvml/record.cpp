#include "commands.hpp"
#include "nvml_errors.hpp"
#include "token.hpp"

#include <cstring>
#include <span>

namespace mdevmc::oracle::nvml {

namespace {

bool sameUuid(const std::string& a, const std::string& b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

// The vGPU instances active on `device`.
nvmlReturn_t activeVgpus(const Library& lib, nvmlDevice_t device,
                         std::vector<nvmlVgpuInstance_t>& out) {
    unsigned int count = 0;
    nvmlReturn_t ret = lib.getActiveVgpus(device, &count, nullptr);
    // Instances may come and go between the calls: ask again a few times.
    for (int attempt = 0; attempt < 3 && ret == NVML_ERROR_INSUFFICIENT_SIZE; ++attempt) {
        out.assign(count, 0);
        ret = lib.getActiveVgpus(device, &count, out.data());
    }
    if (ret == NVML_SUCCESS) {
        out.resize(std::min<std::size_t>(count, out.size()));
    }
    return ret;
}

} // namespace

Answer record(Session& session, const Request& req, const ParentDevice& parent) {
    const Library& lib = session.lib();
    std::string error;
    const auto device = session.start(req.parent, parent, &error);
    if (!device) {
        return Answer::unknown(error);
    }
    std::vector<nvmlVgpuInstance_t> instances;
    if (const nvmlReturn_t ret = activeVgpus(lib, *device, instances); ret != NVML_SUCCESS) {
        return Answer::unknown(nvmlFailure("nvmlDeviceGetActiveVgpus", ret, req.parent));
    }
    std::optional<nvmlVgpuInstance_t> found;
    for (const nvmlVgpuInstance_t instance : instances) {
        char uuid[NVML_DEVICE_UUID_BUFFER_SIZE] = {};
        const nvmlReturn_t ret = lib.getMdevUuid(instance, uuid, sizeof(uuid));
        if (ret == NVML_ERROR_NOT_FOUND) {
            continue; // gone since it was listed
        }
        if (ret != NVML_SUCCESS) {
            return Answer::unknown(nvmlFailure("nvmlVgpuInstanceGetMdevUUID", ret,
                                               "vGPU instance " + std::to_string(instance)));
        }
        if (sameUuid(fixedString(uuid), req.uuid)) {
            found = instance;
            break;
        }
    }
    if (!found) {
        return Answer::unknown("no vGPU instance for mdev '" + req.uuid + "' on '" + req.parent +
                               "'");
    }

    std::vector<nvmlVgpuMetadata_t> block;
    unsigned int size = 0;
    const nvmlReturn_t ret =
        readSizedBlock([&](nvmlVgpuMetadata_t* buf,
                           unsigned int* n) { return lib.getVgpuInstanceMetadata(*found, buf, n); },
                       static_cast<unsigned int>(kMaxMetadataSize), block, size);
    if (ret == NVML_ERROR_INSUFFICIENT_SIZE && size > kMaxMetadataSize) {
        return Answer::unknown("vGPU metadata too large (" + std::to_string(size) + " bytes)");
    }
    if (ret != NVML_SUCCESS) {
        return Answer::unknown(
            nvmlFailure("nvmlVgpuInstanceGetMetadata", ret, "mdev '" + req.uuid + "'"));
    }
    std::vector<unsigned char> bytes(size);
    std::memcpy(bytes.data(), block.data(), size);
    EncodedToken token = encodeToken(bytes);
    if (!token.error.empty()) {
        return Answer::unknown(token.error);
    }
    if (token.token.size() > kMaxTokenLength) {
        return Answer::unknown("vGPU metadata too large (" + std::to_string(size) + " bytes)");
    }
    return Answer::token(std::move(token.token));
}

} // namespace mdevmc::oracle::nvml
