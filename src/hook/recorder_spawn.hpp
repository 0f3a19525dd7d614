// Starting the source-side recorder from the hook.  The hook must not call
// libvirt (deadlock), so at `started begin` it starts
// `mdev-migcheck annotate --wait DOMAIN` detached - own session, standard
// streams on /dev/null, no other descriptor of ours - and returns at once;
// libvirt's pipes close when the hook exits.
#pragma once

#include "util/error.hpp"

#include <string>

namespace mdevmc {

// The mdev-migcheck CLI installed with the hook: BINDIR/mdev-migcheck, found
// relative to the running executable (LIBEXECDIR/mdev-migcheck/../../bin),
// else the configured installation path.
std::string installedCliPath();

// Starts `CLI annotate --wait [--name=NAME] -- DOMAIN` detached (DOMAIN: the
// UUID libvirt gave; NAME: the domain's name, for the recorder's log).
Result<void> spawnRecorder(const std::string& cli, const std::string& domain,
                           const std::string& name = {});

// Starts `CLI gc --domain=DOMAIN_UUID` detached the same way, at `release
// end`: the mdevs created for a domain that is gone are removed once the
// hook has returned and libvirt can answer.
Result<void> spawnGc(const std::string& cli, const std::string& domain_uuid);

} // namespace mdevmc
