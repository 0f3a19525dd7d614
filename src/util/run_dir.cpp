#include "util/run_dir.hpp"

#include <cstdlib>
#include <dirent.h>

namespace mdevmc {

std::string runDirectory(std::string_view root_path) {
    if (const char* env = ::getenv(kRunDirEnv); env != nullptr && *env != '\0') {
        return env;
    }
    std::string out(root_path.empty() ? std::string_view("/") : root_path);
    if (out.back() != '/') {
        out += '/';
    }
    return out + "run/mdev-migcheck";
}

std::string runDirectoryFromEnvironment() {
    const char* root = ::getenv("MDEV_MIGCHECK_ROOT");
    return runDirectory(root != nullptr && *root != '\0' ? root : "/");
}

std::string createdDirectory(std::string_view run_dir) {
    return std::string(run_dir) + "/created";
}

bool hasVisibleEntries(const std::string& path) {
    DIR* d = ::opendir(path.c_str());
    if (d == nullptr) {
        return false;
    }
    bool found = false;
    while (const dirent* e = ::readdir(d)) {
        if (e->d_name[0] != '.') {
            found = true;
            break;
        }
    }
    ::closedir(d);
    return found;
}

} // namespace mdevmc
