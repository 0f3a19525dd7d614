// A libnvidia-ml.so.1 that lacks most of NVML: only nvmlInit_v2 and
// nvmlShutdown.  The oracle must answer "unclaimed" with it.
#include "nvml_api.hpp"

extern "C" {

nvmlReturn_t nvmlInit_v2(void) {
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlShutdown(void) {
    return NVML_SUCCESS;
}

} // extern "C"
