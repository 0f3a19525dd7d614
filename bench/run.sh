#!/bin/bash
# Measures what mdev-migcheck-hook costs libvirt, against marks measured in
# the same run, cases interleaved run by run:
#   floor        a C program that only reads stdin (process creation)
#   bench-limit  a C program that makes only the system calls a check of N
#                mdevs needs (bench/limit.c), for N = 1, 16, 64
#   mdevctl list on the same tree (64 mdevs), for `mdev-migcheck list`
# and reports the targets:
#   (a) prepare begin, VM without mdev   within 1.1x the floor
#   (b) migrate begin, VM without mdev   within 1.1x the floor
#   (c) migrate begin, 1 mdev            within 1.5x the floor
#   (d) migrate begin, 64 mdevs          within 1.3x bench-limit
#   (e) mdev-migcheck list, 64 mdevs     within 1.5x mdevctl list
# and the cost per extra mdev.  The simulated host is a plain-file sysfs
# tree.  Debian's mdevctl reads only /sys: the run happens in a private
# mount namespace where the tree is bind-mounted on /sys (root needed; if
# that fails, the list cases are left out and (e) says "not run").
# Usage: bench/run.sh BUILD [RUNS]   (results also in BENCH_OUT, default
# BUILD/bench/results.txt)
set -euo pipefail

build=$(realpath "${1:?usage: run.sh BUILD_DIR [RUNS]}")
runs=${2:-300}
hook=$build/libexec/mdev-migcheck/mdev-migcheck-hook
cli=$build/bin/mdev-migcheck
floor=$build/bench/bench-floor
limit=$build/bench/bench-limit
bench=$build/bench/hookbench
cpuid=$build/bench/bench-cpuid
for f in "$hook" "$cli" "$floor" "$limit" "$bench" "$cpuid"; do
    [ -x "$f" ] || { echo "run.sh: '$f' is missing: build the project first" >&2; exit 2; }
done

work=$(mktemp -d /tmp/mdevmc-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/root
parent=0000:00:02.0
type=nvidia-63
pdir=$root/sys/devices/pci0000:00/$parent
tdir=$pdir/mdev_supported_types/$type
mkdir -p "$tdir/devices" "$root/sys/bus/mdev/devices" "$root/sys/class/mdev_bus" \
    "$root/etc/mdev-migcheck"
ln -s ../../devices/pci0000:00/$parent "$root/sys/class/mdev_bus/$parent"
echo vfio-pci >"$tdir/device_api"
echo 64 >"$tdir/available_instances"
echo 10de-1eb8-nvidia-63-2.1 >"$tdir/migration_version"
echo "syslog = no" >"$root/etc/mdev-migcheck/mdev-migcheck.conf"

uuid() { printf '%08x-0000-4000-8000-%012x' "$1" "$1"; }
for i in $(seq 1 64); do
    u=$(uuid "$i")
    mkdir -p "$pdir/$u"
    ln -s "../mdev_supported_types/$type" "$pdir/$u/mdev_type"
    ln -s "../../../devices/pci0000:00/$parent/$u" "$root/sys/bus/mdev/devices/$u"
done

# A domain as libvirt formats it for a hook: a few KiB of devices.
domain() { # NAME MDEVS
    local i
    echo "<domain type='kvm'>"
    echo "  <name>$1</name>"
    echo "  <uuid>$(uuid 999)</uuid>"
    echo "  <memory unit='KiB'>4194304</memory>"
    echo "  <vcpu placement='static'>4</vcpu>"
    echo "  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type><boot dev='hd'/></os>"
    echo "  <features><acpi/><apic/></features>"
    echo "  <cpu mode='host-passthrough' check='none' migratable='on'/>"
    echo "  <devices>"
    echo "    <emulator>/usr/bin/qemu-system-x86_64</emulator>"
    for i in 1 2 3 4; do
        echo "    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
        echo "      <source file='/var/lib/libvirt/images/$1-$i.qcow2'/><target dev='vd$i' bus='virtio'/>"
        echo "      <address type='pci' domain='0x0000' bus='0x0$i' slot='0x00' function='0x0'/></disk>"
    done
    for i in 1 2; do
        echo "    <interface type='network'><mac address='52:54:00:00:00:0$i'/><source network='default'/>"
        echo "      <model type='virtio'/><address type='pci' domain='0x0000' bus='0x1$i' slot='0x00' function='0x0'/></interface>"
    done
    for i in $(seq 1 "$2"); do
        echo "    <hostdev mode='subsystem' type='mdev' managed='no' model='vfio-pci' display='off'>"
        echo "      <source><address uuid='$(uuid "$i")'/></source></hostdev>"
    done
    echo "    <serial type='pty'><target type='isa-serial' port='0'><model name='isa-serial'/></target></serial>"
    echo "    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>"
    echo "    <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/>"
    echo "    <video><model type='virtio' heads='1' primary='yes'/></video>"
    echo "    <memballoon model='virtio'/>"
    echo "  </devices>"
    echo "</domain>"
}
export MDEV_MIGCHECK_ROOT=$root
domain plain 0 >"$work/plain.xml"
for n in 1 16 64; do
    domain "vm$n" "$n" | "$cli" annotate --xml - >"$work/mdev$n.xml"
    "$hook" "vm$n" migrate begin - <"$work/mdev$n.xml" >/dev/null ||
        { echo "run.sh: the hook refused vm$n; the bench host is broken" >&2; exit 1; }
done
env=MDEV_MIGCHECK_ROOT=$root

version=$(cat "$tdir/migration_version")
uuids() { # N
    local i
    for i in $(seq 1 "$1"); do uuid "$i"; echo; done
}
mapfile -t u1 < <(uuids 1)
mapfile -t u16 < <(uuids 16)
mapfile -t u64 < <(uuids 64)
"$limit" "$version" "${u64[@]}" <"$work/plain.xml" ||
    { echo "run.sh: bench-limit failed on the bench host" >&2; exit 1; }

cases=(
    floor "$work/plain.xml" - -- "$floor" ::
    prepare-no-mdev "$work/plain.xml" "$env" -- "$hook" plain prepare begin - ::
    migrate-no-mdev "$work/plain.xml" "$env" -- "$hook" plain migrate begin - ::
    limit-1-mdev "$work/mdev1.xml" "$env" -- "$limit" "$version" "${u1[@]}" ::
    migrate-1-mdev "$work/mdev1.xml" "$env" -- "$hook" vm1 migrate begin - ::
    limit-16-mdev "$work/mdev16.xml" "$env" -- "$limit" "$version" "${u16[@]}" ::
    migrate-16-mdev "$work/mdev16.xml" "$env" -- "$hook" vm16 migrate begin - ::
    limit-64-mdev "$work/mdev64.xml" "$env" -- "$limit" "$version" "${u64[@]}" ::
    migrate-64-mdev "$work/mdev64.xml" "$env" -- "$hook" vm64 migrate begin - ::
    cli-version /dev/null - -- "$cli" --version
)
list_cases=(
    :: mdevctl-list-64 /dev/null - -- "$(command -v mdevctl || echo /usr/sbin/mdevctl)" list ::
    cli-list-64 /dev/null "$env" -- "$cli" list
)
# Both list the tree as /sys in a private mount namespace (mdevctl reads
# nothing else); the CLI is given the same tree as its root.
# shellcheck disable=SC2016 # $0 and $@ are the inner shell's
in_ns=(unshare --mount --propagation private sh -c 'mount --bind "$0" /sys && exec "$@"' "$root/sys")
if command -v mdevctl >/dev/null && "${in_ns[@]}" mdevctl list >/dev/null 2>&1; then
    "${in_ns[@]}" "$bench" "$runs" "${cases[@]}" "${list_cases[@]}" >"$work/raw.txt"
else
    echo "run.sh: no mdevctl, or cannot bind-mount a tree on /sys in a private mount namespace: the list cases are not run" >&2
    "$bench" "$runs" "${cases[@]}" >"$work/raw.txt"
fi

out=${BENCH_OUT:-$build/bench/results.txt}
mkdir -p "$(dirname "$out")"
{
    echo "conditions: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $runs runs"
    awk -v runs="$runs" '
    # Judged on the ratio as printed (two decimals).
    function verdict(x, target) { return sprintf("%.2f", x) + 0 <= target ? "met" : "NOT met" }
    { t[$1] = $2; rc[$1] = $3; order[NR] = $1 }
    END {
        f = t["floor"]
        printf "hook cost, median of %d runs each, interleaved; floor = a C program that reads stdin\n", runs
        printf "%-18s %10s %8s %5s\n", "case", "median_us", "x floor", "exit"
        for (i = 1; i <= NR; i++) {
            n = order[i]
            printf "%-18s %10.1f %8.2f %5d\n", n, t[n], t[n] / f, rc[n]
        }
        printf "\nhook / bench-limit: 1 mdev %.2fx, 16 mdevs %.2fx, 64 mdevs %.2fx\n",
            t["migrate-1-mdev"] / t["limit-1-mdev"], t["migrate-16-mdev"] / t["limit-16-mdev"],
            t["migrate-64-mdev"] / t["limit-64-mdev"]
        a = t["prepare-no-mdev"] / f; b = t["migrate-no-mdev"] / f; c = t["migrate-1-mdev"] / f
        d = t["migrate-64-mdev"] / t["limit-64-mdev"]
        printf "\n(a) prepare, no mdev: %.2fx floor (target <= 1.1x): %s\n", a, verdict(a, 1.1)
        printf "(b) migrate, no mdev: %.2fx floor (target <= 1.1x): %s\n", b, verdict(b, 1.1)
        printf "(c) migrate, 1 mdev: %.2fx floor (target <= 1.5x): %s\n", c, verdict(c, 1.5)
        printf "(d) migrate, 64 mdevs: %.2fx bench-limit (target <= 1.3x): %s\n", d, verdict(d, 1.3)
        if ("cli-list-64" in t) {
            e = t["cli-list-64"] / t["mdevctl-list-64"]
            printf "(e) mdev-migcheck list, 64 mdevs: %.2fx mdevctl list (target <= 1.5x): %s\n", e, verdict(e, 1.5)
        } else {
            printf "(e) mdev-migcheck list, 64 mdevs: not run (no mdevctl or no mount namespace)\n"
        }
        printf "cost per extra mdev: hook %.1f us from 1 to 16, %.1f us from 16 to 64; bench-limit %.1f us, %.1f us\n",
            (t["migrate-16-mdev"] - t["migrate-1-mdev"]) / 15, (t["migrate-64-mdev"] - t["migrate-16-mdev"]) / 48,
            (t["limit-16-mdev"] - t["limit-1-mdev"]) / 15, (t["limit-64-mdev"] - t["limit-16-mdev"]) / 48
    }' "$work/raw.txt"
    # Counts, not times: the cpuid instructions each program executes, all
    # at its start here, each a round trip to the host on a virtual machine.
    # Stepped one instruction at a time: 5 to 40 s each, run side by side.
    "$cpuid" "$floor" <"$work/plain.xml" >"$work/cpuid.floor" 2>>"$work/cpuid.err" &
    "$cpuid" "$limit" "$version" "${u1[@]}" <"$work/mdev1.xml" >"$work/cpuid.limit" 2>>"$work/cpuid.err" &
    env "$env" "$cpuid" "$hook" plain prepare begin - <"$work/plain.xml" >"$work/cpuid.hook" 2>>"$work/cpuid.err" &
    "$cpuid" "$cli" --version >"$work/cpuid.cli" 2>>"$work/cpuid.err" &
    # bench-cpuid exits 2 when it cannot trace here, 1 when the program
    # failed: only the first leaves the line uncounted.
    traced=true failed=false
    for job in $(jobs -p); do
        rc=0
        wait "$job" || rc=$?
        case $rc in 0) ;; 2) traced=false ;; *) failed=true ;; esac
    done
    if $failed; then
        echo "cpuid executed: a program failed under bench-cpuid ($(head -n 1 "$work/cpuid.err"))"
    elif $traced && each=$("$cpuid" --cost); then
        f=$(cat "$work/cpuid.floor") l=$(cat "$work/cpuid.limit") h=$(cat "$work/cpuid.hook")
        c=$(cat "$work/cpuid.cli")
        echo "cpuid executed: floor $f, bench-limit $l, hook $h, mdev-migcheck --version $c; $each us each here"
    else
        echo "cpuid executed: not counted ($(head -n 1 "$work/cpuid.err"))"
    fi
} | tee "$out"
echo "results: $out"
