// This host's record written into a save image: the domain XML that a
// managed save image or a `virsh save` file carries gets the same metadata
// element `annotate` stores in a running domain's live definition, so that
// `restore begin` has a record to check.  Only that element changes: the
// rest of the definition is written back as libvirt handed it (read with
// VIR_DOMAIN_SAVE_IMAGE_XML_SECURE, so nothing is lost), and what libvirt
// stores is read back and checked.
#pragma once

#include "check/config.hpp"
#include "mdev/host.hpp"
#include "virt/hypervisor.hpp"
#include "virt/live_annotate.hpp"

namespace mdevmc {

struct ImageAnnotation {
    LiveAnnotation record;
    DomainRef domain; // the domain the image holds, as its XML names it
};

// Reads IMG's domain XML, this host's record for its mdevs, and stores it
// in the image unless the image already carries the same record.  The
// error names the image and what is wrong.
Result<ImageAnnotation> annotateSaveImage(Hypervisor& hv, const SaveImageRef& img,
                                          const MdevHost& host, const std::string& host_name,
                                          const Config& config);

} // namespace mdevmc
