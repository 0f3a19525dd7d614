#!/bin/bash
# The e2e cleanup: writes the timing figures of the run to OUTDIR, then
# stops and removes everything (teardown.sh) and checks nothing is left.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
out=$1
mkdir -p "$out"
if [ -f "$E2E_STATE/results/timings.txt" ]; then
    cp "$E2E_STATE/results/timings.txt" "$out/timings.txt"
    [ -f "$E2E_STATE/results/setup.txt" ] && cat "$E2E_STATE/results/setup.txt" >>"$out/timings.txt"
    awk '
        /^success/ { s += $2; ns++ }
        /^refused_hung/ { h = $2; next }
        /^refused/ { r += $2; nr++ }
        END {
            if (ns && nr) {
                printf "successful live migration (64 MiB TCG guest): %.2f s (mean of %d)\n", s / ns, ns
                printf "refused migration, driver answers: %.3f s (mean of %d), %.1f%% of a successful one\n", r / nr, nr, 100 * (r / nr) / (s / ns)
            }
            if (h) {
                printf "refused migration, attribute hung (attr_timeout_ms = 1500): %.2f s\n", h
            }
        }' "$out/timings.txt" | tee "$out/summary.txt"
fi
"$E2E_SRC/teardown.sh"
rm -rf "$E2E_STATE"
left=
ip netns list 2>/dev/null | grep -q "^$E2E_NS_PREFIX" && left="$left netns"
grep -q "mdevmc-e2e" /proc/mounts && left="$left mounts"
pgrep -f "libvirtd --listen --daemon --pid-file=/run/libvirt/libvirtd.pid" >/dev/null && left="$left libvirtd"
pgrep -f "$E2E_SRC/qemu-wrap" >/dev/null && left="$left qemu"
if [ -n "$left" ]; then
    echo "e2e teardown: left behind:$left"
    exit 1
fi
echo "e2e teardown: nothing left behind"
