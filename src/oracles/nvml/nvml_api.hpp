// The part of NVIDIA's NVML API the nvml oracle uses, declared here so the
// oracle builds without NVIDIA's header and never links libnvidia-ml.
//
// These mirror, with the same names, types and values, the definitions of
// NVIDIA's public nvml.h (as carried by github.com/NVIDIA/go-nvml,
// gen/nvml/nvml.h, NVML API version 13):
//   nvmlReturn_t (enum nvmlReturn_enum), nvmlDevice_t, nvmlVgpuInstance_t,
//   NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE, NVML_DEVICE_UUID_BUFFER_SIZE,
//   NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE, nvmlVgpuGuestInfoState_t, and
//   the "vGPU Migration" group:
//   nvmlVgpuVersion_t, nvmlVgpuMetadata_t, nvmlVgpuPgpuMetadata_t,
//   nvmlVgpuVmCompatibility_t, nvmlVgpuPgpuCompatibilityLimitCode_t,
//   nvmlVgpuPgpuCompatibility_t, and the prototypes of nvmlInit_v2,
//   nvmlShutdown, nvmlDeviceGetHandleByPciBusId_v2,
//   nvmlDeviceGetActiveVgpus, nvmlVgpuInstanceGetMdevUUID,
//   nvmlVgpuInstanceGetMetadata, nvmlDeviceGetVgpuMetadata and
//   nvmlGetVgpuCompatibility (as function pointer types).
//
// nvml.h has no constant bounding the opaque data of the two metadata
// structures: it starts at opaqueData and runs for opaqueDataSize bytes,
// possibly past the end of the structure; the *bufferSize of
// nvmlVgpuInstanceGetMetadata / nvmlDeviceGetVgpuMetadata is the size of the
// whole block, returned with NVML_ERROR_INSUFFICIENT_SIZE when too small.
#pragma once

#include <cstddef>

extern "C" {

typedef enum nvmlReturn_enum {
    NVML_SUCCESS = 0,
    NVML_ERROR_UNINITIALIZED = 1,
    NVML_ERROR_INVALID_ARGUMENT = 2,
    NVML_ERROR_NOT_SUPPORTED = 3,
    NVML_ERROR_NO_PERMISSION = 4,
    NVML_ERROR_ALREADY_INITIALIZED = 5,
    NVML_ERROR_NOT_FOUND = 6,
    NVML_ERROR_INSUFFICIENT_SIZE = 7,
    NVML_ERROR_INSUFFICIENT_POWER = 8,
    NVML_ERROR_DRIVER_NOT_LOADED = 9,
    NVML_ERROR_TIMEOUT = 10,
    NVML_ERROR_IRQ_ISSUE = 11,
    NVML_ERROR_LIBRARY_NOT_FOUND = 12,
    NVML_ERROR_FUNCTION_NOT_FOUND = 13,
    NVML_ERROR_CORRUPTED_INFOROM = 14,
    NVML_ERROR_GPU_IS_LOST = 15,
    NVML_ERROR_RESET_REQUIRED = 16,
    NVML_ERROR_OPERATING_SYSTEM = 17,
    NVML_ERROR_LIB_RM_VERSION_MISMATCH = 18,
    NVML_ERROR_IN_USE = 19,
    NVML_ERROR_MEMORY = 20,
    NVML_ERROR_NO_DATA = 21,
    NVML_ERROR_VGPU_ECC_NOT_SUPPORTED = 22,
    NVML_ERROR_INSUFFICIENT_RESOURCES = 23,
    NVML_ERROR_FREQ_NOT_SUPPORTED = 24,
    NVML_ERROR_ARGUMENT_VERSION_MISMATCH = 25,
    NVML_ERROR_DEPRECATED = 26,
    NVML_ERROR_NOT_READY = 27,
    NVML_ERROR_GPU_NOT_FOUND = 28,
    NVML_ERROR_INVALID_STATE = 29,
    NVML_ERROR_RESET_TYPE_NOT_SUPPORTED = 30,
    NVML_ERROR_UNKNOWN = 999
} nvmlReturn_t;

// As in nvml.h itself (go-nvml's pkg/nvml/nvml.h wraps the pointer in a
// struct for cgo; the ABI is the same).
typedef struct nvmlDevice_st* nvmlDevice_t;
typedef unsigned int nvmlVgpuInstance_t;

#define NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE 32
#define NVML_DEVICE_UUID_BUFFER_SIZE 80
#define NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE 80

typedef enum nvmlVgpuGuestInfoState_enum {
    NVML_VGPU_INSTANCE_GUEST_INFO_STATE_UNINITIALIZED = 0,
    NVML_VGPU_INSTANCE_GUEST_INFO_STATE_INITIALIZED = 1
} nvmlVgpuGuestInfoState_t;

typedef struct nvmlVgpuVersion_st {
    unsigned int minVersion;
    unsigned int maxVersion;
} nvmlVgpuVersion_t;

typedef struct nvmlVgpuMetadata_st {
    unsigned int version;
    unsigned int revision;
    nvmlVgpuGuestInfoState_t guestInfoState;
    char guestDriverVersion[NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE];
    char hostDriverVersion[NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE];
    unsigned int reserved[6];
    unsigned int vgpuVirtualizationCaps;
    unsigned int guestVgpuVersion;
    unsigned int opaqueDataSize;
    char opaqueData[4];
} nvmlVgpuMetadata_t;

typedef struct nvmlVgpuPgpuMetadata_st {
    unsigned int version;
    unsigned int revision;
    char hostDriverVersion[NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE];
    unsigned int pgpuVirtualizationCaps;
    unsigned int reserved[5];
    nvmlVgpuVersion_t hostSupportedVgpuRange;
    unsigned int opaqueDataSize;
    char opaqueData[4];
} nvmlVgpuPgpuMetadata_t;

typedef enum nvmlVgpuVmCompatibility_enum {
    NVML_VGPU_VM_COMPATIBILITY_NONE = 0x0,
    NVML_VGPU_VM_COMPATIBILITY_COLD = 0x1,
    NVML_VGPU_VM_COMPATIBILITY_HIBERNATE = 0x2,
    NVML_VGPU_VM_COMPATIBILITY_SLEEP = 0x4,
    NVML_VGPU_VM_COMPATIBILITY_LIVE = 0x8
} nvmlVgpuVmCompatibility_t;

typedef enum nvmlVgpuPgpuCompatibilityLimitCode_enum {
    NVML_VGPU_COMPATIBILITY_LIMIT_NONE = 0x0,
    NVML_VGPU_COMPATIBILITY_LIMIT_HOST_DRIVER = 0x1,
    NVML_VGPU_COMPATIBILITY_LIMIT_GUEST_DRIVER = 0x2,
    NVML_VGPU_COMPATIBILITY_LIMIT_GPU = 0x4,
    NVML_VGPU_COMPATIBILITY_LIMIT_OTHER = 0x80000000
} nvmlVgpuPgpuCompatibilityLimitCode_t;

typedef struct nvmlVgpuPgpuCompatibility_st {
    nvmlVgpuVmCompatibility_t vgpuVmCompatibility;
    nvmlVgpuPgpuCompatibilityLimitCode_t compatibilityLimitCode;
} nvmlVgpuPgpuCompatibility_t;

// The entry points, as pointer types for dlsym.
typedef nvmlReturn_t (*nvmlInit_v2_fn)(void);
typedef nvmlReturn_t (*nvmlShutdown_fn)(void);
typedef nvmlReturn_t (*nvmlDeviceGetHandleByPciBusId_v2_fn)(const char* pciBusId,
                                                            nvmlDevice_t* device);
typedef nvmlReturn_t (*nvmlDeviceGetActiveVgpus_fn)(nvmlDevice_t device, unsigned int* vgpuCount,
                                                    nvmlVgpuInstance_t* vgpuInstances);
typedef nvmlReturn_t (*nvmlVgpuInstanceGetMdevUUID_fn)(nvmlVgpuInstance_t vgpuInstance,
                                                       char* mdevUuid, unsigned int size);
typedef nvmlReturn_t (*nvmlVgpuInstanceGetMetadata_fn)(nvmlVgpuInstance_t vgpuInstance,
                                                       nvmlVgpuMetadata_t* vgpuMetadata,
                                                       unsigned int* bufferSize);
typedef nvmlReturn_t (*nvmlDeviceGetVgpuMetadata_fn)(nvmlDevice_t device,
                                                     nvmlVgpuPgpuMetadata_t* pgpuMetadata,
                                                     unsigned int* bufferSize);
typedef nvmlReturn_t (*nvmlGetVgpuCompatibility_fn)(nvmlVgpuMetadata_t* vgpuMetadata,
                                                    nvmlVgpuPgpuMetadata_t* pgpuMetadata,
                                                    nvmlVgpuPgpuCompatibility_t* compatibilityInfo);

} // extern "C"

// The layouts nvml.h gives on Linux x86-64 and aarch64 (4-byte int and enum).
static_assert(sizeof(nvmlReturn_t) == 4);
static_assert(sizeof(nvmlVgpuMetadata_t) == 212);
static_assert(offsetof(nvmlVgpuMetadata_t, opaqueDataSize) == 204);
static_assert(offsetof(nvmlVgpuMetadata_t, opaqueData) == 208);
static_assert(sizeof(nvmlVgpuPgpuMetadata_t) == 128);
static_assert(offsetof(nvmlVgpuPgpuMetadata_t, hostSupportedVgpuRange) == 112);
static_assert(offsetof(nvmlVgpuPgpuMetadata_t, opaqueData) == 124);
static_assert(sizeof(nvmlVgpuPgpuCompatibility_t) == 8);
