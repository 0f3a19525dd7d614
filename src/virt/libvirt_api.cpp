#include "virt/libvirt_api.hpp"

#include <cerrno>
#include <dlfcn.h>
#include <string>

namespace mdevmc {

namespace {

template <typename Fn>
bool resolve(void* handle, const char* name, Fn& out, std::string& error) {
    void* sym = ::dlsym(handle, name);
    if (sym == nullptr) {
        error = std::string("symbol '") + name + "' not found in '" + kLibvirtLibrary + "'";
        return false;
    }
    // POSIX guarantees a data pointer from dlsym converts to a function pointer.
    out = reinterpret_cast<Fn>(sym);
    return true;
}

struct Loaded {
    LibvirtApi api;
    std::string error; // empty: api is complete
};

Loaded load() {
    Loaded l;
    void* handle = ::dlopen(kLibvirtLibrary, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        const char* why = ::dlerror();
        l.error = std::string("cannot load libvirt (") + kLibvirtLibrary +
                  "): " + (why != nullptr ? why : "unknown error");
        return l;
    }
    LibvirtApi& a = l.api;
    if (!resolve(handle, "virSetErrorFunc", a.setErrorFunc, l.error) ||
        !resolve(handle, "virGetLastError", a.getLastError, l.error) ||
        !resolve(handle, "virConnectOpen", a.connectOpen, l.error) ||
        !resolve(handle, "virConnectClose", a.connectClose, l.error) ||
        !resolve(handle, "virConnectListAllDomains", a.connectListAllDomains, l.error) ||
        !resolve(handle, "virDomainLookupByID", a.domainLookupByID, l.error) ||
        !resolve(handle, "virDomainLookupByName", a.domainLookupByName, l.error) ||
        !resolve(handle, "virDomainLookupByUUIDString", a.domainLookupByUUIDString, l.error) ||
        !resolve(handle, "virDomainFree", a.domainFree, l.error) ||
        !resolve(handle, "virDomainGetName", a.domainGetName, l.error) ||
        !resolve(handle, "virDomainGetUUIDString", a.domainGetUUIDString, l.error) ||
        !resolve(handle, "virDomainGetState", a.domainGetState, l.error) ||
        !resolve(handle, "virDomainGetXMLDesc", a.domainGetXMLDesc, l.error) ||
        !resolve(handle, "virDomainSetMetadata", a.domainSetMetadata, l.error) ||
        !resolve(handle, "virDomainIsActive", a.domainIsActive, l.error) ||
        !resolve(handle, "virDomainIsPersistent", a.domainIsPersistent, l.error) ||
        !resolve(handle, "virDomainManagedSaveGetXMLDesc", a.domainManagedSaveGetXMLDesc,
                 l.error) ||
        !resolve(handle, "virDomainManagedSaveDefineXML", a.domainManagedSaveDefineXML, l.error) ||
        !resolve(handle, "virDomainSaveImageGetXMLDesc", a.domainSaveImageGetXMLDesc, l.error) ||
        !resolve(handle, "virDomainSaveImageDefineXML", a.domainSaveImageDefineXML, l.error) ||
        !resolve(handle, "virEventRegisterDefaultImpl", a.eventRegisterDefaultImpl, l.error) ||
        !resolve(handle, "virEventRunDefaultImpl", a.eventRunDefaultImpl, l.error) ||
        !resolve(handle, "virEventAddTimeout", a.eventAddTimeout, l.error) ||
        !resolve(handle, "virEventRemoveTimeout", a.eventRemoveTimeout, l.error) ||
        !resolve(handle, "virConnectDomainEventRegisterAny", a.connectDomainEventRegisterAny,
                 l.error) ||
        !resolve(handle, "virConnectDomainEventDeregisterAny", a.connectDomainEventDeregisterAny,
                 l.error) ||
        !resolve(handle, "virConnectRegisterCloseCallback", a.connectRegisterCloseCallback,
                 l.error) ||
        !resolve(handle, "virConnectUnregisterCloseCallback", a.connectUnregisterCloseCallback,
                 l.error) ||
        !resolve(handle, "virConnectSetKeepAlive", a.connectSetKeepAlive, l.error) ||
        !resolve(handle, "virConnectIsAlive", a.connectIsAlive, l.error)) {
        ::dlclose(handle);
    }
    return l;
}

} // namespace

Result<const LibvirtApi*> libvirtApi() {
    static const Loaded loaded = load();
    if (!loaded.error.empty()) {
        return fail(loaded.error, ELIBACC);
    }
    return &loaded.api;
}

} // namespace mdevmc
