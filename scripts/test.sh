#!/bin/bash
# The whole test suite, as CI runs it, on a fresh Debian 12 machine (root):
# installs the build, lint and test dependencies; runs the style and static
# checks (scripts/lint.sh: clang-format, clang-tidy, shellcheck) and stops
# if they find anything; builds with GCC and warnings as errors and runs
# every tier (unit, process, simfs, e2e with real libvirt daemons and QEMU
# guests, package); builds with clang and warnings as errors and runs the
# unit and process tiers; builds the libFuzzer targets (clang,
# -DMDEVMC_FUZZ=ON) and runs each briefly from its seeds and on its
# regression inputs (ctest -L fuzz; tests/fuzz/run.sh for long runs); then
# runs the unit and process tiers again under AddressSanitizer +
# UndefinedBehaviorSanitizer (GCC).
#   scripts/test.sh            everything
#   scripts/test.sh -L unit    only the GCC build and the tests whose label
#                              matches (ctest -L); no lint, clang or ASan
set -euo pipefail

cd "$(dirname "$0")/.."
scripts/install-deps.sh all

jobs=$(nproc)
full=$([ $# -eq 0 ] && echo yes || echo no)

step() { echo "== test.sh: $* ($(date +%T))"; }

if [ "$full" = yes ]; then
    step "lint"
    scripts/lint.sh
fi

step "GCC build and tests"
build=${BUILD_DIR:-build-test}
cmake -S . -B "$build" -DMDEVMC_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j"$jobs"
ctest --test-dir "$build" --output-on-failure -j"$jobs" "$@"

if [ "$full" = yes ]; then
    step "clang build, unit and process tests"
    clang_build=${CLANG_BUILD_DIR:-build-clang}
    CC=clang CXX=clang++ cmake -S . -B "$clang_build" -DMDEVMC_WERROR=ON \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo
    cmake --build "$clang_build" -j"$jobs"
    ctest --test-dir "$clang_build" --output-on-failure -j"$jobs" -L 'unit|process'

    step "fuzz targets: bounded runs and regression inputs"
    fuzz_build=${FUZZ_BUILD_DIR:-build-fuzz}
    CC=clang CXX=clang++ cmake -S . -B "$fuzz_build" -DMDEVMC_FUZZ=ON -DMDEVMC_WERROR=ON \
        -DMDEVMC_BUILD_TESTS=OFF -DMDEVMC_BUILD_SIMFS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
    cmake --build "$fuzz_build" -j"$jobs" --target fuzzers
    ctest --test-dir "$fuzz_build" --output-on-failure -j"$jobs" -L fuzz

    step "AddressSanitizer build, unit and process tests"
    asan=${ASAN_BUILD_DIR:-build-asan}
    cmake -S . -B "$asan" -DMDEVMC_WERROR=ON -DMDEVMC_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
    cmake --build "$asan" -j"$jobs"
    ctest --test-dir "$asan" --output-on-failure -j"$jobs" -L 'unit|process'
fi
step "done"
