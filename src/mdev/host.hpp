// The mdev model over sysfs: mediated devices by UUID, parent devices and
// the mdev types they offer.  Names read from the filesystem are validated
// before they are used to build a path.
#pragma once

#include "sysfs/attr_io.hpp"
#include "sysfs/root.hpp"
#include "util/error.hpp"

#include <optional>
#include <string>
#include <vector>

namespace mdevmc {

// An existing mediated device.
struct MdevDevice {
    std::string uuid;    // lower case
    std::string type_id; // "nvidia-63"
    std::string parent;  // "0000:00:02.0"
    std::string dir;     // canonical directory, relative to the root
    // The device has a migration_version of its own (else its type's).
    bool own_version = false;
};

// One mdev type offered by one parent, with the attributes a person wants
// to see.  Attributes that could not be read are empty optionals.
struct MdevTypeInfo {
    std::string parent;
    std::string id;
    std::optional<std::string> name;
    std::optional<std::string> device_api;
    std::optional<long> available_instances;
};

namespace paths {
inline constexpr const char* kBusDevices = "sys/bus/mdev/devices";
inline constexpr const char* kClassParents = "sys/class/mdev_bus";
inline constexpr const char* kMigrationVersion = "migration_version";

std::string device(std::string_view uuid);                           // sys/bus/mdev/devices/U
std::string parentTypes(std::string_view parent);                    // .../P/mdev_supported_types
std::string type(std::string_view parent, std::string_view type_id); // .../mdev_supported_types/T
std::string typeAttr(std::string_view parent, std::string_view type_id, std::string_view attr);
} // namespace paths

class MdevHost {
public:
    MdevHost(const Root& root, AttrIo& io) : root_(root), io_(io) {}

    const Root& root() const { return root_; }
    AttrIo& io() const { return io_; }

    // Every lookup goes through io() and is bounded by DEADLINE.

    // The device with UUID (validated first), found in one access.  ENOENT
    // if there is none.
    Result<MdevDevice> device(std::string_view uuid, Deadline deadline) const;
    // The one access device() makes for UUID (canonical), and what it makes
    // of its answer: for making that access ahead, in a batch.
    static IoRequest deviceRequest(std::string_view uuid);
    // The lookup of the type link alone in DIR, the directory a lookup
    // found a device in (MdevDevice::dir), and the type id it found (the
    // link's last component; an error with ENOENT if the device or its link
    // is gone).
    static IoRequest typeLinkRequest(std::string_view dir);
    static Result<std::string> typeFrom(const Result<DirProbe>& probe);
    Result<MdevDevice> deviceFrom(std::string_view uuid, const Result<DirProbe>& probe) const;
    // Every mdev on this host, sorted by UUID; devices that cannot be
    // resolved are skipped.
    Result<std::vector<MdevDevice>> devices(Deadline deadline) const;
    // Parent device names (entries of sys/class/mdev_bus), sorted.
    Result<std::vector<std::string>> parents(Deadline deadline) const;
    // The type ids a parent offers, sorted.
    Result<std::vector<std::string>> types(std::string_view parent, Deadline deadline) const;
    // Parents offering TYPE_ID, sorted.
    Result<std::vector<std::string>> parentsOffering(std::string_view type_id,
                                                     Deadline deadline) const;
    // The readable attributes of a type (reads bounded by DEADLINE).
    MdevTypeInfo typeInfo(std::string_view parent, std::string_view type_id,
                          Deadline deadline) const;

private:
    // The valid names in directory DIR, sorted.
    Result<std::vector<std::string>> validEntries(std::string_view dir, bool missing_is_empty,
                                                  Deadline deadline) const;

    const Root& root_;
    AttrIo& io_;
};

// The attribute content without one trailing newline.
std::string stripNewline(std::string s);

} // namespace mdevmc
