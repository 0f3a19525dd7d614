// The oracle's two commands, and the claim test they share.
#pragma once

#include "answer.hpp"
#include "args.hpp"
#include "nvml_session.hpp"
#include "sysfs.hpp"

#include <string>

namespace mdevmc::oracle::nvml {

// record: the token of the vGPU instance whose mdev UUID is req.uuid.
Answer record(Session& session, const Request& req, const ParentDevice& parent);
// check: whether the vGPU recorded in req.token can run on req.parent.
Answer check(Session& session, const Request& req, const ParentDevice& parent);

// Claims the device when ROOT/sys/class/mdev_bus/PARENT is bound to the
// "nvidia" driver and libnvidia-ml.so.1 loads with every entry point; then
// runs the command.  Writes the answer line (then shuts NVML down).
void run(const Request& req, const std::string& root);

} // namespace mdevmc::oracle::nvml
