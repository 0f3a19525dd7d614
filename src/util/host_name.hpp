// This host's name, as recorded with the versions it reads.
#pragma once

#include <string>

namespace mdevmc {

// gethostname(2); "" if it fails.
std::string hostName();

} // namespace mdevmc
