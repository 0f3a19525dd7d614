// libvirt.so.0, opened at run time by the first command that talks to a
// daemon: the commands that need none (list, version, probe, check and
// annotate --xml, --help) do not pay for loading libvirt and the 50-odd
// libraries it needs.
#pragma once

#include "util/error.hpp"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

namespace mdevmc {

inline constexpr const char* kLibvirtLibrary = "libvirt.so.0";

// The entry points LibvirtHypervisor calls, all resolved.
struct LibvirtApi {
    decltype(&::virSetErrorFunc) setErrorFunc = nullptr;
    decltype(&::virGetLastError) getLastError = nullptr;
    decltype(&::virConnectOpen) connectOpen = nullptr;
    decltype(&::virConnectClose) connectClose = nullptr;
    decltype(&::virConnectListAllDomains) connectListAllDomains = nullptr;
    decltype(&::virDomainLookupByID) domainLookupByID = nullptr;
    decltype(&::virDomainLookupByName) domainLookupByName = nullptr;
    decltype(&::virDomainLookupByUUIDString) domainLookupByUUIDString = nullptr;
    decltype(&::virDomainFree) domainFree = nullptr;
    decltype(&::virDomainGetName) domainGetName = nullptr;
    decltype(&::virDomainGetUUIDString) domainGetUUIDString = nullptr;
    decltype(&::virDomainGetState) domainGetState = nullptr;
    decltype(&::virDomainGetXMLDesc) domainGetXMLDesc = nullptr;
    decltype(&::virDomainSetMetadata) domainSetMetadata = nullptr;
    decltype(&::virDomainIsActive) domainIsActive = nullptr;
    decltype(&::virDomainIsPersistent) domainIsPersistent = nullptr;
    decltype(&::virDomainManagedSaveGetXMLDesc) domainManagedSaveGetXMLDesc = nullptr;
    decltype(&::virDomainManagedSaveDefineXML) domainManagedSaveDefineXML = nullptr;
    decltype(&::virDomainSaveImageGetXMLDesc) domainSaveImageGetXMLDesc = nullptr;
    decltype(&::virDomainSaveImageDefineXML) domainSaveImageDefineXML = nullptr;
    decltype(&::virEventRegisterDefaultImpl) eventRegisterDefaultImpl = nullptr;
    decltype(&::virEventRunDefaultImpl) eventRunDefaultImpl = nullptr;
    decltype(&::virEventAddTimeout) eventAddTimeout = nullptr;
    decltype(&::virEventRemoveTimeout) eventRemoveTimeout = nullptr;
    decltype(&::virConnectDomainEventRegisterAny) connectDomainEventRegisterAny = nullptr;
    decltype(&::virConnectDomainEventDeregisterAny) connectDomainEventDeregisterAny = nullptr;
    decltype(&::virConnectRegisterCloseCallback) connectRegisterCloseCallback = nullptr;
    decltype(&::virConnectUnregisterCloseCallback) connectUnregisterCloseCallback = nullptr;
    decltype(&::virConnectSetKeepAlive) connectSetKeepAlive = nullptr;
    decltype(&::virConnectIsAlive) connectIsAlive = nullptr;
};

// dlopen(RTLD_NOW | RTLD_LOCAL) and dlsym of every entry point, once per
// process; the library stays loaded until the process exits.  The error
// names the library and the loader's reason ("cannot load libvirt
// (libvirt.so.0): ...").
Result<const LibvirtApi*> libvirtApi();

} // namespace mdevmc
