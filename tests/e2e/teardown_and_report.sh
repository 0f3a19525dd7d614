#!/bin/bash
# The e2e cleanup: writes the timing figures of the run to OUTDIR, then
# stops and removes everything (teardown.sh) and checks nothing is left.
set -uo pipefail
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"
out=$1
mkdir -p "$out"
if [ -f "$E2E_STATE/results/timings.txt" ]; then
    cp "$E2E_STATE/results/timings.txt" "$out/timings.txt"
    [ -f "$E2E_STATE/results/setup.txt" ] && cat "$E2E_STATE/results/setup.txt" >>"$out/timings.txt"
    awk '
        /^success/ { s += $2; ns++ }
        /^refused_hung/ { h = $2; next }
        /^refused_unrecorded / { u = $2; next }
        /^start_window / { w += $2; nw++; if ($2 > wmax) wmax = $2; next }
        /^libvirt_refused/ { l = $2; next }
        /^refused_vm-older / { o = $2 }
        /^refused/ { r += $2; nr++ }
        /^preflight_plan / { pp = $2 }
        /^preflight_unreachable / { pu = $2 }
        END {
            if (ns && nr) {
                printf "successful live migration (64 MiB TCG guest): %.2f s (mean of %d)\n", s / ns, ns
                printf "refused migration (protocol, fingerprint or oracle verdict): %.3f s (mean of %d), %.1f%% of a successful one\n", r / nr, nr, 100 * (r / nr) / (s / ns)
            }
            if (l && o) {
                printf "refused migration, vm-older (protocol): %.3f s; libvirt'"'"'s own refusal (domain name taken on the destination): %.3f s; ratio %.2f\n", o, l, o / l
            }
            if (h) {
                printf "refused migration, attribute hung (attr_timeout_ms = 1500): %.2f s\n", h
            }
            if (u) {
                printf "refused live migration of an unrecorded VM (at prepare begin): %.3f s\n", u
            }
            if (nw) {
                printf "start window (virsh create returning to the source'"'"'s record, polled every 0.1 s): mean %.3f s, max %.3f s of %d\n", w / nw, wmax, nw
            }
            if (pp) {
                printf "preflight --all --plan, 3 VMs x 2 targets over ssh: %.2f s\n", pp
            }
            if (pu) {
                printf "preflight, 1 VM x 3 targets (one unreachable, one without mdev-migcheck): %.2f s\n", pu
            }
        }' "$out/timings.txt" | tee "$out/summary.txt"
fi
# What this run started, to check it is gone afterwards.
pids=
for h in "${E2E_HOSTS[@]}"; do
    for f in "$(host_dir "$h")"/run/libvirtd.pid "$(host_dir "$h")"/simfs.pid "$(host_dir "$h")"/syslog.pid \
        "$(host_dir "$h")"/run/qemu/*.pid; do
        [ -f "$f" ] && pids="$pids $(cat "$f")"
    done
done
"$E2E_SRC/teardown.sh"
rm -rf "$E2E_STATE"
left=
for h in "${E2E_HOSTS[@]}"; do
    ip netns list 2>/dev/null | grep -q "^$E2E_NS_PREFIX$h\b" && left="$left netns:$E2E_NS_PREFIX$h"
done
grep -qF " $E2E_STATE/" /proc/mounts && left="$left mounts"
for p in $pids; do
    if [ -d "/proc/$p" ] && ! grep -q '^State:[[:space:]]*[ZX]' "/proc/$p/status" 2>/dev/null; then
        left="$left pid:$p($(tr '\0' ' ' <"/proc/$p/cmdline" | cut -c1-40))"
    fi
done
if [ -n "$left" ]; then
    echo "e2e teardown: left behind:$left"
    exit 1
fi
echo "e2e teardown: nothing left behind (checked $(echo "$pids" | wc -w) processes, the namespaces and the mounts)"
