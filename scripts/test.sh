#!/bin/bash
# The whole test suite, as CI runs it, on a fresh Debian 12 machine (root):
# installs the build and test dependencies, builds with warnings as errors,
# runs every tier (unit, process, simfs, e2e with real libvirt daemons and
# QEMU guests, package), then the unit and process tiers again under
# AddressSanitizer + UndefinedBehaviorSanitizer.
#   scripts/test.sh            everything
#   scripts/test.sh -L unit    only the tests whose label matches (ctest -L)
set -euo pipefail

cd "$(dirname "$0")/.."
scripts/install-deps.sh all

jobs=$(nproc)
build=${BUILD_DIR:-build-test}
cmake -S . -B "$build" -DMDEVMC_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j"$jobs"
ctest --test-dir "$build" --output-on-failure -j"$jobs" "$@"

if [ $# -eq 0 ]; then
    asan=${ASAN_BUILD_DIR:-build-asan}
    cmake -S . -B "$asan" -DMDEVMC_WERROR=ON -DMDEVMC_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
    cmake --build "$asan" -j"$jobs"
    ctest --test-dir "$asan" --output-on-failure -j"$jobs" -L 'unit|process'
fi
