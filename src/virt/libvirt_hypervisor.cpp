#include "virt/libvirt_hypervisor.hpp"

#include "domain/metadata.hpp"

#include <cerrno>
#include <charconv>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

namespace mdevmc {

namespace {

// libvirt prints every error to stderr unless told otherwise; we report
// each once, where it happens.
void quiet(void*, virErrorPtr) {}

std::string lastError() {
    const virError* e = virGetLastError();
    return e != nullptr && e->message != nullptr ? e->message : "unknown libvirt error";
}

int lastCode() {
    const virError* e = virGetLastError();
    return e != nullptr ? e->code : 0;
}

struct ConnDeleter {
    void operator()(virConnectPtr c) const { virConnectClose(c); }
};
struct DomDeleter {
    void operator()(virDomainPtr d) const { virDomainFree(d); }
};
using Conn = std::unique_ptr<virConnect, ConnDeleter>;
using Dom = std::unique_ptr<virDomain, DomDeleter>;

DomainRef refOf(virDomainPtr d) {
    DomainRef r;
    if (const char* n = virDomainGetName(d)) {
        r.name = n;
    }
    char uuid[VIR_UUID_STRING_BUFLEN] = {};
    if (virDomainGetUUIDString(d, uuid) == 0) {
        r.uuid = uuid;
    }
    return r;
}

} // namespace

bool isTransientVirtError(int code) {
    return code == VIR_ERR_OPERATION_INVALID || code == VIR_ERR_OPERATION_TIMEOUT ||
           code == VIR_ERR_OPERATION_FAILED || code == VIR_ERR_SYSTEM_ERROR;
}

struct LibvirtHypervisor::Impl {
    Conn conn;
    std::string uri;

    Result<Dom> domain(const DomainRef& d) {
        virDomainPtr p = virDomainLookupByUUIDString(conn.get(), d.uuid.c_str());
        if (p == nullptr) {
            return fail("domain '" + d.name + "' (" + d.uuid + "): " + lastError(), lastCode());
        }
        return Dom(p);
    }
};

LibvirtHypervisor::LibvirtHypervisor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LibvirtHypervisor::~LibvirtHypervisor() = default;

Result<std::unique_ptr<LibvirtHypervisor>> LibvirtHypervisor::connect(const std::string& uri) {
    virSetErrorFunc(nullptr, quiet);
    virConnectPtr c = virConnectOpen(uri.c_str());
    if (c == nullptr) {
        return fail("cannot connect to '" + uri + "': " + lastError(), lastCode());
    }
    auto impl = std::make_unique<Impl>();
    impl->conn.reset(c);
    impl->uri = uri;
    return std::unique_ptr<LibvirtHypervisor>(new LibvirtHypervisor(std::move(impl)));
}

Result<DomainRef> LibvirtHypervisor::lookup(const std::string& spec) {
    virConnectPtr c = impl_->conn.get();
    virDomainPtr d = nullptr;
    int id = 0;
    const auto [p, ec] = std::from_chars(spec.data(), spec.data() + spec.size(), id);
    if (ec == std::errc() && p == spec.data() + spec.size() && id >= 0) {
        d = virDomainLookupByID(c, id);
    }
    if (d == nullptr && spec.size() == VIR_UUID_STRING_BUFLEN - 1) {
        d = virDomainLookupByUUIDString(c, spec.c_str());
    }
    if (d == nullptr) {
        d = virDomainLookupByName(c, spec.c_str());
    }
    if (d == nullptr) {
        return fail("no domain '" + spec + "' on '" + impl_->uri + "'", ENOENT);
    }
    Dom owned(d);
    return refOf(d);
}

Result<std::vector<DomainRef>> LibvirtHypervisor::activeDomains() {
    virDomainPtr* doms = nullptr;
    const int n =
        virConnectListAllDomains(impl_->conn.get(), &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
    if (n < 0) {
        return fail("cannot list the domains of '" + impl_->uri + "': " + lastError(), lastCode());
    }
    std::vector<DomainRef> out;
    for (int i = 0; i < n; ++i) {
        out.push_back(refOf(doms[i]));
        virDomainFree(doms[i]);
    }
    free(doms);
    return out;
}

Result<DomainRunState> LibvirtHypervisor::state(const DomainRef& d) {
    auto dom = impl_->domain(d);
    if (!dom) {
        return Unexpected<Error>(dom.error());
    }
    int st = 0, reason = 0;
    if (virDomainGetState(dom->get(), &st, &reason, 0) != 0) {
        return fail("domain '" + d.name + "': cannot get its state: " + lastError(), lastCode());
    }
    switch (st) {
    case VIR_DOMAIN_RUNNING:
        return DomainRunState::Running;
    case VIR_DOMAIN_PAUSED:
        return DomainRunState::Paused;
    case VIR_DOMAIN_NOSTATE:
    case VIR_DOMAIN_BLOCKED:
        return DomainRunState::Starting;
    default:
        return DomainRunState::Other;
    }
}

Result<std::string> LibvirtHypervisor::liveXml(const DomainRef& d) {
    auto dom = impl_->domain(d);
    if (!dom) {
        return Unexpected<Error>(dom.error());
    }
    char* xml = virDomainGetXMLDesc(dom->get(), 0);
    if (xml == nullptr) {
        return fail("domain '" + d.name + "': cannot get its XML: " + lastError(), lastCode());
    }
    std::string out(xml);
    free(xml);
    return out;
}

Result<void> LibvirtHypervisor::setLiveMetadata(const DomainRef& d, const std::string& element) {
    auto dom = impl_->domain(d);
    if (!dom) {
        return Unexpected<Error>(dom.error());
    }
    if (virDomainSetMetadata(dom->get(), VIR_DOMAIN_METADATA_ELEMENT, element.c_str(),
                             kMetadataPrefix, kMetadataUri, VIR_DOMAIN_AFFECT_LIVE) != 0) {
        return fail("domain '" + d.name + "': cannot store its live metadata: " + lastError(),
                    lastCode());
    }
    return {};
}

} // namespace mdevmc
