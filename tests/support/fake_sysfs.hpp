// A plain-file sysfs tree in a temporary directory, laid out as the kernel
// lays out mdev sysfs (relative symlinks, attribute files), for tests.
#pragma once

#include "../../tools/mdev-simfs/tests/support/temp_files.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace mdevmc::test {

using mdevsim::test::readFile;
using mdevsim::test::TempDir;
using mdevsim::test::writeFile;

// ROOT/sys/... with parents under sys/devices/pci0000:00.
class FakeSysfs {
public:
    explicit FakeSysfs(std::filesystem::path root) : root_(std::move(root)) {
        std::filesystem::create_directories(root_ / "sys/bus/mdev/devices");
        std::filesystem::create_directories(root_ / "sys/class/mdev_bus");
    }
    const std::filesystem::path& root() const { return root_; }

    std::filesystem::path parentDir(const std::string& parent) const {
        return root_ / "sys/devices/pci0000:00" / parent;
    }
    std::filesystem::path typeDir(const std::string& parent, const std::string& type) const {
        return parentDir(parent) / "mdev_supported_types" / type;
    }

    // A type on a parent; VERSION empty = no migration_version attribute.
    void addType(const std::string& parent, const std::string& type, const std::string& version,
                 int available = 4) {
        const auto pd = parentDir(parent);
        if (!std::filesystem::exists(root_ / "sys/class/mdev_bus" / parent)) {
            std::filesystem::create_directories(pd);
            std::filesystem::create_directory_symlink("../../devices/pci0000:00/" + parent,
                                                      root_ / "sys/class/mdev_bus" / parent);
        }
        const auto td = typeDir(parent, type);
        std::filesystem::create_directories(td / "devices");
        writeFile(td / "name", type + "\n");
        writeFile(td / "device_api", "vfio-pci\n");
        writeFile(td / "available_instances", std::to_string(available) + "\n");
        if (!version.empty()) {
            writeFile(td / "migration_version", version + "\n");
        }
    }

    void addDevice(const std::string& uuid, const std::string& parent, const std::string& type,
                   const std::string& device_version = "") {
        const auto dd = parentDir(parent) / uuid;
        std::filesystem::create_directories(dd);
        std::filesystem::create_directory_symlink("../mdev_supported_types/" + type,
                                                  dd / "mdev_type");
        std::filesystem::create_directory_symlink("../../../" + uuid,
                                                  typeDir(parent, type) / "devices" / uuid);
        std::filesystem::create_directory_symlink("../../../devices/pci0000:00/" + parent + "/" +
                                                      uuid,
                                                  root_ / "sys/bus/mdev/devices" / uuid);
        if (!device_version.empty()) {
            writeFile(dd / "migration_version", device_version + "\n");
        }
    }

private:
    std::filesystem::path root_;
};

} // namespace mdevmc::test
