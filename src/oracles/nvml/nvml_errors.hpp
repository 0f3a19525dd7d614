// Names of NVML return codes, as nvml.h spells them.
#pragma once

#include "nvml_api.hpp"

#include <string>

namespace mdevmc::oracle::nvml {

// "NVML_ERROR_DRIVER_NOT_LOADED"; "NVML_ERROR_<number>" for a code nvml.h
// does not name (a newer library than this oracle knows).
std::string returnName(nvmlReturn_t ret);

} // namespace mdevmc::oracle::nvml
