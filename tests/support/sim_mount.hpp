// A simulated host mounted with mdev-simfs for the product's process tests:
// the simulator's own test support, so that both meet the same mounts.
#pragma once

#include "../../tools/mdev-simfs/tests/support/sim_mount.hpp"
#include "fake_sysfs.hpp"
#include "subprocess.hpp"

namespace mdevmc::test {

using mdevsim::test::fuseUnavailable;
using mdevsim::test::processRunning;
using mdevsim::test::SimHost;

} // namespace mdevmc::test
