#!/bin/bash
# A long run of one libFuzzer target, for a person or a nightly job:
#   tests/fuzz/run.sh TARGET [SECONDS]     (default 600 seconds)
#   TARGET: fuzz_domain_xml, fuzz_hook or fuzz_config
# Builds the targets in FUZZ_BUILD_DIR (default build-fuzz; clang,
# -DMDEVMC_FUZZ=ON) if needed, then fuzzes from the seeds in
# tests/fuzz/corpus/TARGET.  New inputs go to FUZZ_BUILD_DIR/tests/fuzz/
# corpus/TARGET (kept between runs), crashes to .../artifacts/TARGET.  Ends
# with libFuzzer's last status line (cov: edges, ft: features) and its
# final stats.  A finding: minimise it (TARGET -minimize_crash=1 FILE), copy
# it to tests/fuzz/regressions/TARGET/ and fix the product.
set -euo pipefail

cd "$(dirname "$0")/../.."
target=${1:?usage: tests/fuzz/run.sh TARGET [SECONDS]}
seconds=${2:-600}
build=${FUZZ_BUILD_DIR:-build-fuzz}

case $target in
fuzz_domain_xml | fuzz_hook) dict=tests/fuzz/xml.dict ;;
fuzz_config) dict=tests/fuzz/config.dict ;;
*)
    echo "run.sh: unknown target '$target' (fuzz_domain_xml, fuzz_hook or fuzz_config)" >&2
    exit 2
    ;;
esac

if [ ! -f "$build/CMakeCache.txt" ]; then
    CC=clang CXX=clang++ cmake -S . -B "$build" -DMDEVMC_FUZZ=ON -DMDEVMC_BUILD_TESTS=OFF \
        -DMDEVMC_BUILD_SIMFS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
cmake --build "$build" -j2 --target "$target"

found=$build/tests/fuzz/corpus/$target
artifacts=$build/tests/fuzz/artifacts/$target
mkdir -p "$found" "$artifacts"
log=$build/tests/fuzz/$target.log
echo "run.sh: $target for ${seconds}s on $(nproc) cores, $(date -u +%FT%TZ); log: $log"
rc=0
"$build/tests/fuzz/$target" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
    -dict="$dict" -artifact_prefix="$artifacts/" \
    "$found" "tests/fuzz/corpus/$target" >"$log" 2>&1 || rc=$?
grep -E '^#[0-9]+[[:space:]]+(pulse|NEW|REDUCE|INITED|DONE)' "$log" | tail -n 1 || true
grep -E '^(stat::|Done )' "$log" || true
if [ "$rc" -ne 0 ]; then
    echo "run.sh: $target stopped with status $rc; the input is in $artifacts (log: $log)" >&2
    grep -E 'ERROR|^fuzz|Test unit written' "$log" | head -n 5 >&2 || true
fi
exit "$rc"
