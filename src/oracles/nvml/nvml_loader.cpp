#include "nvml_loader.hpp"

#include <dlfcn.h>

namespace mdevmc::oracle::nvml {

namespace {

template <typename Fn>
bool resolve(void* handle, const char* name, Fn& out, std::string& error) {
    ::dlerror();
    void* sym = ::dlsym(handle, name);
    if (sym == nullptr) {
        error = std::string("symbol '") + name + "' not found in '" + kLibraryName + "'";
        return false;
    }
    // POSIX guarantees a data pointer from dlsym converts to a function pointer.
    out = reinterpret_cast<Fn>(sym);
    return true;
}

} // namespace

LoadResult loadLibrary() {
    LoadResult r;
    void* handle = ::dlopen(kLibraryName, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        const char* why = ::dlerror();
        r.error = std::string("cannot load '") + kLibraryName + "': " + (why ? why : "unknown");
        return r;
    }
    Library lib;
    if (!resolve(handle, "nvmlInit_v2", lib.init, r.error) ||
        !resolve(handle, "nvmlShutdown", lib.shutdown, r.error) ||
        !resolve(handle, "nvmlDeviceGetHandleByPciBusId_v2", lib.getHandleByPciBusId, r.error) ||
        !resolve(handle, "nvmlDeviceGetActiveVgpus", lib.getActiveVgpus, r.error) ||
        !resolve(handle, "nvmlVgpuInstanceGetMdevUUID", lib.getMdevUuid, r.error) ||
        !resolve(handle, "nvmlVgpuInstanceGetMetadata", lib.getVgpuInstanceMetadata, r.error) ||
        !resolve(handle, "nvmlDeviceGetVgpuMetadata", lib.getPgpuMetadata, r.error) ||
        !resolve(handle, "nvmlGetVgpuCompatibility", lib.getVgpuCompatibility, r.error)) {
        ::dlclose(handle);
        return r;
    }
    r.library = lib;
    return r;
}

} // namespace mdevmc::oracle::nvml
