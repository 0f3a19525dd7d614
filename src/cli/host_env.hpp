// What the commands read from this host and from their input: the root and
// configuration (MDEV_MIGCHECK_ROOT, MDEV_MIGCHECK_CONFIG), its mdevs, its
// name, its libvirt, and domain XML files.
#pragma once

#include "check/config.hpp"
#include "cli/args.hpp"
#include "cli/cli.hpp"
#include "domain/domain_xml.hpp"
#include "mdev/host.hpp"
#include "sysfs/attr_io.hpp"
#include "sysfs/root.hpp"
#include "util/host_name.hpp"
#include "virt/libvirt_hypervisor.hpp"

#include <memory>
#include <string>

namespace mdevmc::cli {

// This host as the CLI sees it: MDEV_MIGCHECK_ROOT and its configuration.
// Throws Fatal (exit 2) if either is unusable.
struct HostEnv {
    Root root;
    Config config;
};
HostEnv openHost();

// The same for the commands that only read: a configuration with errors
// does not stop them.  Every error is printed to ERR as a warning, and the
// valid lines are used.  Throws Fatal only if the root is unusable.
HostEnv openHostLenient(std::ostream& err);

// How a command takes a configuration with errors: warnings on stderr, an
// error (exit 2), or said elsewhere (doctor).
enum class ConfigErrors { Warn, Fatal, Quiet };

// This host's mdevs, read through a worker (bounded sysfs access).  The
// configuration's errors are warnings (on stderr) unless told Fatal.
class LocalHost {
public:
    explicit LocalHost(ConfigErrors ce = ConfigErrors::Warn)
        : env(open(ce)), io(env.root), mdevs(env.root, io) {}

    HostEnv env;
    WorkerAttrIo io;
    MdevHost mdevs;

private:
    static HostEnv open(ConfigErrors ce);
};

// The libvirt connection of option --connect (default qemu:///system).
// Throws Fatal if it cannot be opened.
std::unique_ptr<LibvirtHypervisor> connectOrThrow(const Args& a);

// Reads FILE ("-": standard input).  Throws Fatal if it cannot be read.
std::string readInput(CliContext& ctx, const std::string& file);

// Reads and parses the domain XML in FILE ("-": standard input).  Throws
// Fatal naming the input if it cannot be read or parsed.
DomainXml readDomainXml(CliContext& ctx, const std::string& file);

} // namespace mdevmc::cli
