#include "commands.hpp"
#include "token.hpp"

#include <cstdio>
#include <cstring>

namespace mdevmc::oracle::nvml {

namespace {

std::string hex(unsigned int v) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "0x%x", v);
    return buf;
}

std::string orUnknown(const std::string& s) {
    return s.empty() ? "(unknown)" : s;
}

// "cold, hibernate": the states other than live NVML allows.
std::string otherStates(unsigned int states) {
    std::string out;
    const std::pair<unsigned int, const char*> names[] = {
        {NVML_VGPU_VM_COMPATIBILITY_COLD, "cold"},
        {NVML_VGPU_VM_COMPATIBILITY_HIBERNATE, "hibernate"},
        {NVML_VGPU_VM_COMPATIBILITY_SLEEP, "sleep"},
    };
    for (const auto& [bit, name] : names) {
        if ((states & bit) != 0) {
            out += out.empty() ? "" : ", ";
            out += name;
        }
    }
    return out;
}

std::string incompatibility(const nvmlVgpuMetadata_t& vgpu, const nvmlVgpuPgpuMetadata_t& pgpu,
                            const nvmlVgpuPgpuCompatibility_t& compat, const std::string& parent) {
    const std::string guest = vgpu.guestInfoState == NVML_VGPU_INSTANCE_GUEST_INFO_STATE_INITIALIZED
                                  ? orUnknown(fixedString(vgpu.guestDriverVersion))
                                  : "(not reported by the guest)";
    const std::string source = orUnknown(fixedString(vgpu.hostDriverVersion));
    const std::string here = orUnknown(fixedString(pgpu.hostDriverVersion));
    const auto limit = static_cast<unsigned int>(compat.compatibilityLimitCode);

    std::string why;
    auto add = [&why](const std::string& part) {
        why += why.empty() ? "" : "; ";
        why += part;
    };
    if ((limit & NVML_VGPU_COMPATIBILITY_LIMIT_GUEST_DRIVER) != 0) {
        add("guest driver " + guest + " is not supported by this host's vGPU manager " + here);
    }
    if ((limit & NVML_VGPU_COMPATIBILITY_LIMIT_HOST_DRIVER) != 0) {
        add("host driver " + source + " on the source is not compatible with this host's vGPU " +
            "manager " + here);
    }
    if ((limit & NVML_VGPU_COMPATIBILITY_LIMIT_GPU) != 0) {
        add("the GPU differs: this host's GPU '" + parent + "' supports vGPU versions " +
            hex(pgpu.hostSupportedVgpuRange.minVersion) + " to " +
            hex(pgpu.hostSupportedVgpuRange.maxVersion) + ", the guest runs vGPU version " +
            hex(vgpu.guestVgpuVersion));
    }
    const unsigned int known = NVML_VGPU_COMPATIBILITY_LIMIT_GUEST_DRIVER |
                               NVML_VGPU_COMPATIBILITY_LIMIT_HOST_DRIVER |
                               NVML_VGPU_COMPATIBILITY_LIMIT_GPU;
    if ((limit & ~known) != 0 || limit == NVML_VGPU_COMPATIBILITY_LIMIT_NONE) {
        add("NVML reports an incompatibility (limit code " + hex(limit) + ")");
    }
    const std::string states = otherStates(static_cast<unsigned int>(compat.vgpuVmCompatibility));
    if (!states.empty()) {
        add("no live migration; the VM can only be resumed here from state " + states);
    }
    return why;
}

} // namespace

Answer check(Session& session, const Request& req, const ParentDevice& parent) {
    const Library& lib = session.lib();
    const DecodedToken token = decodeToken(req.token);
    if (!token.error.empty()) {
        return Answer::unknown(token.error);
    }
    // Typed, aligned storage for the block NVML reads.
    std::vector<nvmlVgpuMetadata_t> vgpu((token.metadata.size() + sizeof(nvmlVgpuMetadata_t) - 1) /
                                         sizeof(nvmlVgpuMetadata_t));
    std::memcpy(vgpu.data(), token.metadata.data(), token.metadata.size());

    std::string error;
    const auto device = session.start(req.parent, parent, &error);
    if (!device) {
        return Answer::unknown(error);
    }
    auto pgpu = pgpuMetadata(lib, *device, req.parent, &error);
    if (!pgpu) {
        return Answer::unknown(error);
    }
    nvmlVgpuPgpuCompatibility_t compat{};
    if (const nvmlReturn_t ret = lib.getVgpuCompatibility(vgpu.data(), pgpu->data(), &compat);
        ret != NVML_SUCCESS) {
        return Answer::unknown(nvmlFailure("nvmlGetVgpuCompatibility", ret, req.parent));
    }
    if ((static_cast<unsigned int>(compat.vgpuVmCompatibility) & NVML_VGPU_VM_COMPATIBILITY_LIVE) !=
        0) {
        return Answer::compatible();
    }
    return Answer::incompatible(incompatibility(vgpu.front(), pgpu->front(), compat, req.parent));
}

} // namespace mdevmc::oracle::nvml
