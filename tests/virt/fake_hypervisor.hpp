// A hypervisor for the libvirt side's tests: one domain (vm1) whose live
// XML takes the stored metadata, a save image of it, and scripted failures.
#pragma once

#include "domain/domain_xml.hpp"
#include "virt/hypervisor.hpp"

#include <functional>
#include <libvirt/virterror.h>
#include <string>
#include <vector>

namespace mdevmc::test {

inline constexpr const char* kU1 = "c2177883-f1bb-47f0-914d-32a22e3a8804";

inline const char* kDomain = R"(<domain type='kvm'>
  <name>vm1</name>
  <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>
  <metadata><app:owner xmlns:app="http://example.org/app/1">team-a</app:owner></metadata>
  <devices>
    <hostdev mode='subsystem' type='mdev' model='vfio-pci'>
      <source><address uuid='c2177883-f1bb-47f0-914d-32a22e3a8804'/></source>
    </hostdev>
  </devices>
</domain>)";

// A hypervisor with one domain whose live XML takes the stored metadata,
// and scripted failures.
class FakeHypervisor : public Hypervisor {
public:
    std::string xml = kDomain;
    std::vector<DomainRunState> states{DomainRunState::Running};
    std::vector<int> set_failures; // libvirt error numbers for the next stores
    std::vector<Error> set_errors; // then these errors, as they are
    int stores = 0;
    std::string last_element;

    Result<DomainRef> lookup(const std::string& spec) override {
        if (spec != "vm1" && spec != "6695eb01-f6a4-8304-79aa-97f2502e193f") {
            return failVirt("no domain '" + spec + "'", VIR_ERR_NO_DOMAIN);
        }
        return DomainRef{"vm1", "6695eb01-f6a4-8304-79aa-97f2502e193f"};
    }
    Result<std::vector<DomainRef>> activeDomains() override {
        return std::vector<DomainRef>{DomainRef{"vm1", "6695eb01-f6a4-8304-79aa-97f2502e193f"}};
    }
    Result<DomainRunState> state(const DomainRef&) override {
        const DomainRunState s = states.front();
        if (states.size() > 1) {
            states.erase(states.begin());
        }
        return s;
    }
    int live_reads = 0;
    Result<std::string> liveXml(const DomainRef&) override {
        ++live_reads;
        return xml;
    }
    Result<std::string> migratableXml(const DomainRef&) override { return xml; }
    Result<void> setLiveMetadata(const DomainRef&, const std::string& element) override {
        if (!set_failures.empty()) {
            const int code = set_failures.front();
            set_failures.erase(set_failures.begin());
            return failVirt("store failed", code);
        }
        if (!set_errors.empty()) {
            Error e = set_errors.front();
            set_errors.erase(set_errors.begin());
            return Unexpected<Error>(std::move(e));
        }
        ++stores;
        last_element = element;
        // What libvirt does: the element goes into <metadata> under our namespace.
        auto d = DomainXml::parse(xml);
        std::string with_ns = element;
        with_ns.insert(std::string("<migcheck").size(),
                       std::string(" xmlns=\"") + kMetadataUri + "\"");
        auto md = DomainXml::parse("<domain><metadata>" + with_ns + "</metadata></domain>");
        if (!d || !md || !md->metadata()) {
            return failVirt("fake: cannot apply '" + element + "'", VIR_ERR_XML_ERROR);
        }
        d->setMetadata(*md->metadata());
        xml = d->serialize();
        return {};
    }

    // The save image: its XML, what the next define stores instead of what
    // it is given (to play a libvirt that changes it), and failures.
    std::string image_xml = kDomain;
    std::string image_stores_instead;
    std::vector<Error> image_errors;
    std::vector<SaveImageRef> image_reads;
    int image_defines = 0;
    Result<std::string> saveImageXml(const SaveImageRef& img) override {
        image_reads.push_back(img);
        return image_xml;
    }
    Result<void> defineSaveImageXml(const SaveImageRef&, const std::string& text) override {
        if (!image_errors.empty()) {
            Error e = image_errors.front();
            image_errors.erase(image_errors.begin());
            return Unexpected<Error>(std::move(e));
        }
        ++image_defines;
        image_xml = image_stores_instead.empty() ? text : image_stores_instead;
        return {};
    }

    // Events: each nextEvents() runs the next step of the script (which may
    // change the domain first, as a hotplug does); past its end, none.
    using EventStep = std::function<Result<std::vector<DomainEvent>>()>;
    std::vector<EventStep> event_script;
    std::vector<Error> subscribe_errors;
    int subscribes = 0;
    bool script_done = false;
    Result<void> subscribe() override {
        if (!subscribe_errors.empty()) {
            Error e = subscribe_errors.front();
            subscribe_errors.erase(subscribe_errors.begin());
            return Unexpected<Error>(std::move(e));
        }
        ++subscribes;
        return {};
    }
    Result<std::vector<DomainEvent>> nextEvents(std::chrono::milliseconds) override {
        if (event_script.empty()) {
            script_done = true;
            return std::vector<DomainEvent>{};
        }
        EventStep step = event_script.front();
        event_script.erase(event_script.begin());
        return step();
    }
};

} // namespace mdevmc::test
