// Hypervisor over the libvirt C API, behind small RAII wrappers.
#pragma once

#include "virt/hypervisor.hpp"

#include <memory>

namespace mdevmc {

inline constexpr const char* kDefaultUri = "qemu:///system";

class LibvirtHypervisor : public Hypervisor {
public:
    // Opens URI read-write; the error names the URI and libvirt's reason.
    static Result<std::unique_ptr<LibvirtHypervisor>> connect(const std::string& uri);
    // The same, for a process that waits for events (subscribe, nextEvents):
    // registers libvirt's default event loop first (once per process), and
    // asks the daemon for keepalives, so that a dead daemon is noticed.
    static Result<std::unique_ptr<LibvirtHypervisor>> connectForEvents(const std::string& uri);
    ~LibvirtHypervisor() override;

    Result<DomainRef> lookup(const std::string& spec) override;
    Result<std::vector<DomainRef>> activeDomains() override;
    Result<DomainRunState> state(const DomainRef& d) override;
    Result<std::string> liveXml(const DomainRef& d) override;
    Result<std::string> migratableXml(const DomainRef& d) override;
    Result<void> setLiveMetadata(const DomainRef& d, const std::string& element) override;
    Result<std::optional<DomainPresence>> presence(const std::string& uuid) override;
    Result<std::string> saveImageXml(const SaveImageRef& img) override;
    Result<void> defineSaveImageXml(const SaveImageRef& img, const std::string& xml) override;
    Result<void> subscribe() override;
    Result<std::vector<DomainEvent>> nextEvents(std::chrono::milliseconds wait) override;

private:
    struct Impl;
    explicit LibvirtHypervisor(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// libvirt error numbers (Error::virt_code, never an errno) that mean "try
// again later" for the recorder.
bool isTransientVirtError(int virt_code);

} // namespace mdevmc
