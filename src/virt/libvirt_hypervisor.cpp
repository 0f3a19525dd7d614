#include "virt/libvirt_hypervisor.hpp"

#include "domain/metadata.hpp"
#include "util/unique_c_ptr.hpp"
#include "virt/libvirt_api.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>

namespace mdevmc {

namespace {

// libvirt's entry points.  Only called once connect() has loaded them: no
// libvirt object exists before.
const LibvirtApi& lv() {
    return **libvirtApi();
}

// libvirt prints every error to stderr unless told otherwise; we report
// each once, where it happens.
void quiet(void*, virErrorPtr) {}

std::string lastError() {
    const virError* e = lv().getLastError();
    return e != nullptr && e->message != nullptr ? e->message : "unknown libvirt error";
}

int lastCode() {
    const virError* e = lv().getLastError();
    return e != nullptr ? e->code : 0;
}

// libvirt's last error, with its error number.
Unexpected<Error> failLibvirt(const std::string& context) {
    return failVirt(context + lastError(), lastCode());
}

void closeConnect(virConnectPtr c) {
    lv().connectClose(c);
}

void freeDomain(virDomainPtr d) {
    lv().domainFree(d);
}

using Conn = UniqueCPtr<virConnect, closeConnect>;
using Dom = UniqueCPtr<virDomain, freeDomain>;

// The array virConnectListAllDomains returns: every domain in it and the
// array itself are released.
class DomainList {
public:
    DomainList(virDomainPtr* doms, int count)
        : doms_(doms), count_(doms != nullptr ? std::max(count, 0) : 0) {}
    DomainList(const DomainList&) = delete;
    DomainList& operator=(const DomainList&) = delete;
    ~DomainList() {
        for (int i = 0; i < count_; ++i) {
            freeDomain(doms_.get()[i]);
        }
    }
    int size() const { return count_; }
    virDomainPtr operator[](int i) const { return doms_.get()[i]; }

private:
    UniqueFreePtr<virDomainPtr> doms_;
    int count_;
};

DomainRef refOf(virDomainPtr d) {
    DomainRef r;
    if (const char* n = lv().domainGetName(d)) {
        r.name = n;
    }
    char uuid[VIR_UUID_STRING_BUFLEN] = {};
    if (lv().domainGetUUIDString(d, uuid) == 0) {
        r.uuid = uuid;
    }
    return r;
}

} // namespace

bool isTransientVirtError(int virt_code) {
    return virt_code == VIR_ERR_OPERATION_INVALID || virt_code == VIR_ERR_OPERATION_TIMEOUT ||
           virt_code == VIR_ERR_OPERATION_FAILED || virt_code == VIR_ERR_SYSTEM_ERROR;
}

struct LibvirtHypervisor::Impl {
    Conn conn;
    std::string uri;

    Result<Dom> domain(const DomainRef& d) {
        Dom p(lv().domainLookupByUUIDString(conn.get(), d.uuid.c_str()));
        if (!p) {
            return failLibvirt("domain '" + d.name + "' (" + d.uuid + "): ");
        }
        return p;
    }

    // D's XML description with FLAGS (virDomainXMLFlags).
    Result<std::string> xmlDesc(const DomainRef& d, unsigned int flags);
};

LibvirtHypervisor::LibvirtHypervisor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LibvirtHypervisor::~LibvirtHypervisor() = default;

Result<std::unique_ptr<LibvirtHypervisor>> LibvirtHypervisor::connect(const std::string& uri) {
    if (auto api = libvirtApi(); !api) {
        return fail("cannot connect to '" + uri + "': " + api.error().message, api.error().err);
    }
    lv().setErrorFunc(nullptr, quiet);
    Conn c(lv().connectOpen(uri.c_str()));
    if (!c) {
        return failLibvirt("cannot connect to '" + uri + "': ");
    }
    auto impl = std::make_unique<Impl>();
    impl->conn = std::move(c);
    impl->uri = uri;
    return std::unique_ptr<LibvirtHypervisor>(new LibvirtHypervisor(std::move(impl)));
}

Result<DomainRef> LibvirtHypervisor::lookup(const std::string& spec) {
    virConnectPtr c = impl_->conn.get();
    Dom d;
    int id = 0;
    const auto [p, ec] = std::from_chars(spec.data(), spec.data() + spec.size(), id);
    if (ec == std::errc() && p == spec.data() + spec.size() && id >= 0) {
        d.reset(lv().domainLookupByID(c, id));
    }
    if (!d && spec.size() == VIR_UUID_STRING_BUFLEN - 1) {
        d.reset(lv().domainLookupByUUIDString(c, spec.c_str()));
    }
    if (!d) {
        d.reset(lv().domainLookupByName(c, spec.c_str()));
    }
    if (!d) {
        return fail("no domain '" + spec + "' on '" + impl_->uri + "'", ENOENT);
    }
    return refOf(d.get());
}

Result<std::vector<DomainRef>> LibvirtHypervisor::activeDomains() {
    virDomainPtr* raw = nullptr;
    const int n =
        lv().connectListAllDomains(impl_->conn.get(), &raw, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
    const DomainList doms(raw, n);
    if (n < 0) {
        return failLibvirt("cannot list the domains of '" + impl_->uri + "': ");
    }
    std::vector<DomainRef> out;
    out.reserve(static_cast<std::size_t>(doms.size()));
    for (int i = 0; i < doms.size(); ++i) {
        out.push_back(refOf(doms[i]));
    }
    return out;
}

Result<std::optional<DomainPresence>> LibvirtHypervisor::presence(const std::string& uuid) {
    const Dom d(lv().domainLookupByUUIDString(impl_->conn.get(), uuid.c_str()));
    if (!d) {
        if (lastCode() == VIR_ERR_NO_DOMAIN) {
            return std::optional<DomainPresence>{};
        }
        return failLibvirt("cannot look up domain " + uuid + " on '" + impl_->uri + "': ");
    }
    DomainPresence p;
    p.name = refOf(d.get()).name;
    const int active = lv().domainIsActive(d.get());
    const int persistent = lv().domainIsPersistent(d.get());
    if (active < 0 || persistent < 0) {
        if (lastCode() == VIR_ERR_NO_DOMAIN) {
            return std::optional<DomainPresence>{}; // gone meanwhile
        }
        return failLibvirt("domain '" + p.name + "' (" + uuid + "): cannot get its state: ");
    }
    p.active = active == 1;
    p.persistent = persistent == 1;
    return std::optional<DomainPresence>(std::move(p));
}

Result<DomainRunState> LibvirtHypervisor::state(const DomainRef& d) {
    Dom dom;
    MDEVMC_TRY_ASSIGN(dom, impl_->domain(d));
    int st = 0, reason = 0;
    if (lv().domainGetState(dom.get(), &st, &reason, 0) != 0) {
        return failLibvirt("domain '" + d.name + "': cannot get its state: ");
    }
    switch (st) {
    case VIR_DOMAIN_RUNNING:
        return DomainRunState::Running;
    case VIR_DOMAIN_PAUSED:
        return reason == VIR_DOMAIN_PAUSED_MIGRATION ? DomainRunState::Incoming
                                                     : DomainRunState::Paused;
    case VIR_DOMAIN_NOSTATE:
    case VIR_DOMAIN_BLOCKED:
        return DomainRunState::Starting;
    default:
        return DomainRunState::Other;
    }
}

Result<std::string> LibvirtHypervisor::Impl::xmlDesc(const DomainRef& d, unsigned int flags) {
    Dom dom;
    MDEVMC_TRY_ASSIGN(dom, domain(d));
    const UniqueFreePtr<char> xml(lv().domainGetXMLDesc(dom.get(), flags));
    if (!xml) {
        return failLibvirt("domain '" + d.name + "': cannot get its XML: ");
    }
    return std::string(xml.get());
}

Result<std::string> LibvirtHypervisor::liveXml(const DomainRef& d) {
    return impl_->xmlDesc(d, 0);
}

Result<std::string> LibvirtHypervisor::migratableXml(const DomainRef& d) {
    return impl_->xmlDesc(d, VIR_DOMAIN_XML_MIGRATABLE);
}

Result<void> LibvirtHypervisor::setLiveMetadata(const DomainRef& d, const std::string& element) {
    Dom dom;
    MDEVMC_TRY_ASSIGN(dom, impl_->domain(d));
    if (lv().domainSetMetadata(dom.get(), VIR_DOMAIN_METADATA_ELEMENT, element.c_str(),
                               kMetadataPrefix, kMetadataUri, VIR_DOMAIN_AFFECT_LIVE) != 0) {
        return failLibvirt("domain '" + d.name + "': cannot store its live metadata: ");
    }
    return {};
}

} // namespace mdevmc
