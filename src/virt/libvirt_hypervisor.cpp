#include "virt/libvirt_hypervisor.hpp"

#include "domain/metadata.hpp"
#include "util/unique_c_ptr.hpp"
#include "virt/libvirt_api.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <mutex>
#include <utility>

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

// What the event callbacks leave for nextEvents().
struct EventState {
    std::vector<DomainEvent> queue;
    bool closed = false;
    std::string close_reason;
};

void onDeviceAdded(virConnectPtr, virDomainPtr dom, const char* alias, void* opaque) {
    static_cast<EventState*>(opaque)->queue.push_back(
        DomainEvent{DomainEvent::Kind::DeviceAdded, refOf(dom), alias != nullptr ? alias : ""});
}

int onLifecycle(virConnectPtr, virDomainPtr dom, int event, int, void* opaque) {
    if (event == VIR_DOMAIN_EVENT_STARTED || event == VIR_DOMAIN_EVENT_RESUMED) {
        static_cast<EventState*>(opaque)->queue.push_back(
            DomainEvent{DomainEvent::Kind::Started, refOf(dom), {}});
    }
    return 0;
}

void onClose(virConnectPtr, int reason, void* opaque) {
    auto* st = static_cast<EventState*>(opaque);
    st->closed = true;
    switch (reason) {
    case VIR_CONNECT_CLOSE_REASON_EOF:
        st->close_reason = "the daemon closed it";
        break;
    case VIR_CONNECT_CLOSE_REASON_KEEPALIVE:
        st->close_reason = "the daemon stopped answering keepalives";
        break;
    case VIR_CONNECT_CLOSE_REASON_CLIENT:
        st->close_reason = "closed by this process";
        break;
    default:
        st->close_reason = "an I/O error";
        break;
    }
}

void onTimeout(int, void* opaque) {
    *static_cast<bool*>(opaque) = true;
}

// libvirt takes every domain event callback as its generic type
// (VIR_DOMAIN_EVENT_CALLBACK), through a function pointer without
// parameters, as its own macro does.
template <typename Fn>
virConnectDomainEventGenericCallback generic(Fn* fn) {
    return reinterpret_cast<virConnectDomainEventGenericCallback>(reinterpret_cast<void (*)()>(fn));
}

} // namespace

bool isTransientVirtError(int virt_code) {
    return virt_code == VIR_ERR_OPERATION_INVALID || virt_code == VIR_ERR_OPERATION_TIMEOUT ||
           virt_code == VIR_ERR_OPERATION_FAILED || virt_code == VIR_ERR_SYSTEM_ERROR;
}

struct LibvirtHypervisor::Impl {
    Conn conn;
    std::string uri;
    bool event_loop = false; // opened by connectForEvents
    std::unique_ptr<EventState> events;
    std::vector<int> callbacks;
    bool close_callback = false;

    Impl() = default;
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
    ~Impl() {
        for (const int id : callbacks) {
            lv().connectDomainEventDeregisterAny(conn.get(), id);
        }
        if (close_callback) {
            lv().connectUnregisterCloseCallback(conn.get(), onClose);
        }
    }

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

Result<std::unique_ptr<LibvirtHypervisor>>
LibvirtHypervisor::connectForEvents(const std::string& uri) {
    if (auto api = libvirtApi(); !api) {
        return fail("cannot connect to '" + uri + "': " + api.error().message, api.error().err);
    }
    static std::once_flag once;
    static int registered = -1;
    std::call_once(once, [] { registered = lv().eventRegisterDefaultImpl(); });
    if (registered != 0) {
        return failLibvirt("cannot start libvirt's event loop: ");
    }
    auto hv = connect(uri);
    if (!hv) {
        return hv;
    }
    (*hv)->impl_->event_loop = true;
    // A remote connection pings the daemon every 5 s and counts it lost
    // after 3 unanswered; a local driver (test:///) has no keepalive and
    // cannot be lost: its refusal is not an error.
    lv().connectSetKeepAlive((*hv)->impl_->conn.get(), 5, 3);
    return hv;
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

Result<std::string> LibvirtHypervisor::saveImageXml(const SaveImageRef& img) {
    UniqueFreePtr<char> xml;
    Dom dom; // freed after the error is read: virDomainFree() clears it
    if (img.kind == SaveImageRef::Kind::Managed) {
        MDEVMC_TRY_ASSIGN(dom, impl_->domain(img.domain));
        xml.reset(lv().domainManagedSaveGetXMLDesc(dom.get(), VIR_DOMAIN_SAVE_IMAGE_XML_SECURE));
    } else {
        xml.reset(lv().domainSaveImageGetXMLDesc(impl_->conn.get(), img.file.c_str(),
                                                 VIR_DOMAIN_SAVE_IMAGE_XML_SECURE));
    }
    if (!xml) {
        return failLibvirt("cannot read " + describeImage(img) + ": ");
    }
    return std::string(xml.get());
}

Result<void> LibvirtHypervisor::defineSaveImageXml(const SaveImageRef& img,
                                                   const std::string& xml) {
    int rc = -1;
    Dom dom; // freed after the error is read: virDomainFree() clears it
    if (img.kind == SaveImageRef::Kind::Managed) {
        MDEVMC_TRY_ASSIGN(dom, impl_->domain(img.domain));
        rc = lv().domainManagedSaveDefineXML(dom.get(), xml.c_str(), 0);
    } else {
        rc = lv().domainSaveImageDefineXML(impl_->conn.get(), img.file.c_str(), xml.c_str(), 0);
    }
    if (rc != 0) {
        return failLibvirt("cannot update " + describeImage(img) + ": ");
    }
    return {};
}

Result<void> LibvirtHypervisor::subscribe() {
    Impl& im = *impl_;
    if (!im.event_loop || im.events) {
        return fail("the connection to '" + im.uri + "' cannot subscribe to events", EINVAL);
    }
    im.events = std::make_unique<EventState>();
    for (const auto& [id, cb] :
         {std::pair{VIR_DOMAIN_EVENT_ID_DEVICE_ADDED, generic(&onDeviceAdded)},
          std::pair{VIR_DOMAIN_EVENT_ID_LIFECYCLE, generic(&onLifecycle)}}) {
        const int handle = lv().connectDomainEventRegisterAny(im.conn.get(), nullptr, id, cb,
                                                              im.events.get(), nullptr);
        if (handle < 0) {
            return failLibvirt("cannot subscribe to the domain events of '" + im.uri + "': ");
        }
        im.callbacks.push_back(handle);
    }
    im.close_callback =
        lv().connectRegisterCloseCallback(im.conn.get(), onClose, im.events.get(), nullptr) == 0;
    return {};
}

Result<std::vector<DomainEvent>> LibvirtHypervisor::nextEvents(std::chrono::milliseconds wait) {
    Impl& im = *impl_;
    if (!im.events) {
        return fail("the connection to '" + im.uri + "' is not subscribed to events", EINVAL);
    }
    EventState& ev = *im.events;
    bool expired = false;
    const int timer = lv().eventAddTimeout(static_cast<int>(std::max<long long>(wait.count(), 0)),
                                           onTimeout, &expired, nullptr);
    if (timer < 0) {
        return failLibvirt("cannot wait for the events of '" + im.uri + "': ");
    }
    int rc = 0;
    while (ev.queue.empty() && !ev.closed && !expired && rc == 0) {
        rc = lv().eventRunDefaultImpl();
    }
    lv().eventRemoveTimeout(timer);
    if (ev.queue.empty() && rc != 0) {
        return failLibvirt("libvirt's event loop failed: ");
    }
    if (ev.queue.empty() && ev.closed) {
        return fail("lost the connection to '" + im.uri + "': " + ev.close_reason, ECONNRESET);
    }
    return std::exchange(ev.queue, {});
}

} // namespace mdevmc
