#!/bin/bash
# The benchmark's smoke test (ctest label bench): bench/run.sh with a few
# runs, checking that it still works, never how fast anything is: every
# case ran and exited 0, the table and every target line parse.
#   bench/smoke.sh BUILD
# Exits 77 (skipped) when not root or without mdevctl (scripts/install-deps.sh
# test installs it): the list cases need both.
set -euo pipefail

build=${1:?usage: smoke.sh BUILD_DIR}
if [ "$(id -u)" -ne 0 ]; then
    echo "smoke.sh: not root: the list cases need a private mount namespace" >&2
    exit 77
fi
if ! command -v mdevctl >/dev/null; then
    echo "smoke.sh: mdevctl is not installed: the list cases need it" >&2
    exit 77
fi
work=$(mktemp -d /tmp/mdevmc-bench-smoke.XXXXXX)
trap 'rm -rf "$work"' EXIT

rc=0
BENCH_OUT=$work/results.txt "$(dirname "$0")/run.sh" "$build" 3 >"$work/stdout" 2>"$work/stderr" || rc=$?
if [ "$rc" -ne 0 ]; then
    echo "smoke.sh: run.sh exited $rc" >&2
    cat "$work/stderr" >&2
    exit 1
fi
out=$work/results.txt
cat "$out"

failed=0
check() { # WHAT REGEX
    if ! grep -Eq "$2" "$out"; then
        echo "smoke.sh: FAILED: $1 (no line matching '$2')" >&2
        failed=1
    fi
}
num='[0-9]+(\.[0-9]+)?'
check "conditions" "^conditions: [0-9]+ cores, load average $num $num $num, 3 runs$"
for c in floor prepare-no-mdev migrate-no-mdev limit-1-mdev migrate-1-mdev limit-16-mdev \
    migrate-16-mdev limit-64-mdev migrate-64-mdev cli-version mdevctl-list-64 cli-list-64; do
    check "case $c ran and exited 0" "^$c +$num +$num +0$"
done
check "hook / bench-limit" "^hook / bench-limit: 1 mdev ${num}x, 16 mdevs ${num}x, 64 mdevs ${num}x$"
check "target (a)" "^\(a\) prepare, no mdev: ${num}x floor \(target <= 1\.1x\): (met|NOT met)$"
check "target (b)" "^\(b\) migrate, no mdev: ${num}x floor \(target <= 1\.1x\): (met|NOT met)$"
check "target (c)" "^\(c\) migrate, 1 mdev: ${num}x floor \(target <= 1\.5x\): (met|NOT met)$"
check "target (d)" "^\(d\) migrate, 64 mdevs: ${num}x bench-limit \(target <= 1\.3x\): (met|NOT met)$"
check "target (e)" "^\(e\) mdev-migcheck list, 64 mdevs: ${num}x mdevctl list \(target <= 1\.5x\): (met|NOT met)$"
check "cost per extra mdev" "^cost per extra mdev: hook -?$num us from 1 to 16, -?$num us from 16 to 64; bench-limit -?$num us, -?$num us$"
# Nothing linked into the hook or the command line runs cpuid beyond what
# the C library's start runs in the floor (liblzma's constructor did).
if grep -q '^cpuid executed: not counted' "$out"; then
    grep '^cpuid executed: not counted' "$out" >&2
else
    check "cpuid executed" "^cpuid executed: floor [0-9]+, bench-limit [0-9]+, hook [0-9]+, mdev-migcheck --version [0-9]+; $num us each here$"
    read -r f h c < <(sed -nE 's/^cpuid executed: floor ([0-9]+), bench-limit [0-9]+, hook ([0-9]+), mdev-migcheck --version ([0-9]+);.*/\1 \2 \3/p' "$out")
    if [ -n "${f:-}" ] && { [ "$h" -gt "$f" ] || [ "$c" -gt "$f" ]; }; then
        echo "smoke.sh: FAILED: the hook ($h) or the CLI ($c) executes more cpuid than the floor ($f)" >&2
        failed=1
    fi
fi
[ "$(grep -c . "$out")" -eq 23 ] || {
    echo "smoke.sh: FAILED: results have $(grep -c . "$out") non-empty lines, expected 23" >&2
    failed=1
}
exit "$failed"
