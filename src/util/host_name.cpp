#include "util/host_name.hpp"

#include <unistd.h>

namespace mdevmc {

std::string hostName() {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0) {
        return {};
    }
    return buf;
}

} // namespace mdevmc
