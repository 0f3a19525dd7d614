// What mdev-migcheck needs from a hypervisor connection, as an interface
// that tests can replace.  The implementation over libvirt is
// LibvirtHypervisor (libvirt_hypervisor.hpp).
#pragma once

#include "util/error.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace mdevmc {

struct DomainRef {
    std::string name;
    std::string uuid;
};

enum class DomainRunState {
    Running,
    Paused,   // running QEMU, vCPUs stopped
    Incoming, // paused while an incoming migration loads its state (libvirt's job holds it)
    Starting, // not active yet
    Other,    // shut off, crashed, ...
};

inline const char* domainRunStateName(DomainRunState s) {
    switch (s) {
    case DomainRunState::Running:
        return "running";
    case DomainRunState::Paused:
        return "paused";
    case DomainRunState::Incoming:
        return "incoming";
    case DomainRunState::Starting:
        return "starting";
    case DomainRunState::Other:
        return "other";
    }
    return "unknown";
}

// Whether a domain is known to the daemon, and how.
struct DomainPresence {
    std::string name;
    bool active = false;     // running, paused, or starting
    bool persistent = false; // defined (has a persistent configuration)
};

// A save image: a domain's managed save image, or a file `virsh save` wrote.
struct SaveImageRef {
    enum class Kind { Managed, File };
    Kind kind = Kind::Managed;
    DomainRef domain; // Kind::Managed
    std::string file; // Kind::File
};

// "the managed save image of domain NAME" or "save image 'FILE'".
inline std::string describeImage(const SaveImageRef& img) {
    return img.kind == SaveImageRef::Kind::Managed
               ? "the managed save image of domain '" + img.domain.name + "'"
               : "save image '" + img.file + "'";
}

// A domain event the watch acts on.
struct DomainEvent {
    enum class Kind {
        DeviceAdded, // a device attached to the running domain (hotplug)
        Started,     // the domain started, was restored or resumed
    };
    Kind kind = Kind::DeviceAdded;
    DomainRef domain;
    std::string device; // DeviceAdded: the device's alias
};

class Hypervisor {
public:
    virtual ~Hypervisor() = default;
    // A domain by name, UUID or id, as virsh accepts it.
    virtual Result<DomainRef> lookup(const std::string& spec) = 0;
    virtual Result<std::vector<DomainRef>> activeDomains() = 0;
    virtual Result<DomainRunState> state(const DomainRef& d) = 0;
    // The live definition.
    virtual Result<std::string> liveXml(const DomainRef& d) = 0;
    // The live definition as a migration sends it to the destination
    // (libvirt's VIR_DOMAIN_XML_MIGRATABLE).
    virtual Result<std::string> migratableXml(const DomainRef& d) = 0;
    // Stores ELEMENT (our metadata element, without namespace declaration)
    // in the live definition only, under kMetadataUri / kMetadataPrefix.
    virtual Result<void> setLiveMetadata(const DomainRef& d, const std::string& element) = 0;
    // The domain with UUID: nullopt when the daemon knows no such domain (a
    // failure to ask is an error, never "none").
    virtual Result<std::optional<DomainPresence>> presence(const std::string& uuid) {
        (void)uuid;
        return fail("this hypervisor cannot tell whether a domain exists");
    }
    // The domain XML IMG carries, whole (secrets included: never log it).
    virtual Result<std::string> saveImageXml(const SaveImageRef& img) = 0;
    // Replaces the domain XML IMG carries; the state it resumes in is kept.
    virtual Result<void> defineSaveImageXml(const SaveImageRef& img, const std::string& xml) = 0;
    // Subscribes this connection to DomainEvents; once, before nextEvents.
    virtual Result<void> subscribe() = 0;
    // The events that arrived, waiting at most WAIT for the first (none:
    // an empty list).  An error when the connection is lost.
    virtual Result<std::vector<DomainEvent>> nextEvents(std::chrono::milliseconds wait) = 0;
};

} // namespace mdevmc
