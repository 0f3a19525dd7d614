#!/bin/bash
# The demo: builds mdev-migcheck and mdev-simfs and mounts simulated hosts.
# Part 1, hosts as they ship today (NVIDIA T4, no driver has
# migration_version): the source records the kernel facts of a vGPU in the
# domain's metadata, and the destination hook, run as libvirt runs it at
# `migrate begin`, accepts a host with the same driver and refuses one with
# another driver version, naming it.  Part 2, a driver with the
# migration_version protocol: a newer driver accepts the source's string, an
# older one refuses it.  Needs root and /dev/fuse; cleans up its mounts also
# when interrupted.
set -euo pipefail

cd "$(dirname "$0")/.."
top=$PWD
scripts/install-deps.sh test >/dev/null

build=${BUILD_DIR:-build-demo}
echo "== building ($build)"
cmake -S . -B "$build" -DMDEVMC_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target mdev-migcheck mdev-migcheck-hook \
    mdev-simfs >/dev/null
cli=$top/$build/bin/mdev-migcheck
hook=$top/$build/libexec/mdev-migcheck/mdev-migcheck-hook
simfs=$top/$build/bin/mdev-simfs

work=$(mktemp -d /tmp/mdev-migcheck-demo.XXXXXX)
hosts=(source target-newer target-older t4-source t4-same t4-newer)
cleanup() {
    for h in "${hosts[@]}"; do
        if mountpoint -q "$work/$h/sys" 2>/dev/null; then
            umount "$work/$h/sys" 2>/dev/null || umount -l "$work/$h/sys"
        fi
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

topology() { # HOST
    case $1 in
    t4-source | t4-same) echo tools/mdev-simfs/examples/t4-host.json ;;
    t4-newer) echo tools/mdev-simfs/examples/t4-host-newer-driver.json ;;
    source) echo tools/mdev-simfs/examples/source-host.json ;;
    *) echo "tools/mdev-simfs/examples/$1.json" ;;
    esac
}
for h in "${hosts[@]}"; do
    mkdir -p "$work/$h/sys" "$work/$h/etc/mdev-migcheck"
    printf 'syslog = no\n' >"$work/$h/etc/mdev-migcheck/mdev-migcheck.conf"
    "$simfs" --write-log "$work/$h/writes.jsonl" "$(topology "$h")" "$work/$h/sys"
done

# libvirt passes hooks only these variables; the root points at the simulator.
as_libvirt() { # ROOT CMD...
    local root=$1
    shift
    env -i LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root USER=root LOGNAME=root \
        MDEV_MIGCHECK_ROOT="$root" "$@"
}

# Runs the destination hook on HOST with the domain XML FILE and shows the
# outcome as virsh would.
migrate_to() { # HOST FILE
    local h=$1 xml=$2 rc
    echo
    echo "== on $h: libvirt runs '90-mdev-migcheck VM migrate begin -' with the XML on stdin"
    set +e
    as_libvirt "$work/$h" "$hook" vm migrate begin - <"$xml" >"$work/$h.out" 2>"$work/$h.err"
    rc=$?
    set -e
    echo "   exit status $rc"
    if [ "$rc" -eq 0 ]; then
        echo "   accepted"
    else
        echo "   refused; virsh would show:"
        echo "    error: Hook script execution failed: ... unexpected exit status 1: $(cat "$work/$h.err")"
    fi
}

echo
echo "== Part 1: NVIDIA T4 hosts as they ship today, without migration_version"
for h in t4-source t4-same t4-newer; do
    printf '   %-10s %s\n' "$h" "$(as_libvirt "$work/$h" "$cli" list | sed -n 2p | awk '{print $2, $3, $4, $7, $8, $9}')"
done
echo
echo "== on the source: mdev-migcheck annotate records the vGPU's kernel facts"
as_libvirt "$work/t4-source" "$cli" annotate --xml xml/samples/vgpu-t4.xml >"$work/vm-t4.xml"
sed -n "/<metadata>/,/<\/metadata>/p" "$work/vm-t4.xml" | sed "s/^/  /"
migrate_to t4-same "$work/vm-t4.xml"
migrate_to t4-newer "$work/vm-t4.xml"
echo
echo "== with driver_version = same-or-newer in t4-newer's configuration"
printf 'syslog = no\ndriver_version = same-or-newer\n' >"$work/t4-newer/etc/mdev-migcheck/mdev-migcheck.conf"
migrate_to t4-newer "$work/vm-t4.xml"
echo
echo "== an operator's view: mdev-migcheck check on t4-same"
as_libvirt "$work/t4-same" "$cli" check --xml "$work/vm-t4.xml" | sed 's/^/    /'

echo
echo "== Part 2: a driver with the migration_version protocol"
for h in source target-newer target-older; do
    printf '   %-13s driver %s\n' "$h" \
        "$(cat "$work/$h/sys/class/mdev_bus/0000:00:02.0/mdev_supported_types/i915-GVTg_V5_4/migration_version")"
done
echo
echo "== on the source: mdev-migcheck annotate records the device's migration_version"
as_libvirt "$work/source" "$cli" annotate --xml xml/samples/vgpu-one-mdev.xml >"$work/vm.xml"
sed -n "/<metadata>/,/<\/metadata>/p" "$work/vm.xml" | sed "s/^/  /"

for h in target-newer target-older; do
    echo
    echo "== on $h: libvirt runs '90-mdev-migcheck vgpu1 migrate begin -' with the XML on stdin"
    set +e
    as_libvirt "$work/$h" "$hook" vgpu1 migrate begin - <"$work/vm.xml" >"$work/$h.out" 2>"$work/$h.err"
    rc=$?
    set -e
    echo "   exit status $rc"
    if [ "$rc" -eq 0 ]; then
        echo "   accepted; nothing on stdout ($(wc -c <"$work/$h.out") bytes): the XML is handed back"
        echo "   only when changed (libvirt would mark the domain tainted); this host's record"
        echo "   is stored by the recorder once the VM runs here"
    else
        echo "   refused; virsh would show:"
        echo "    error: Hook script execution failed: ... unexpected exit status 1: $(cat "$work/$h.err")"
    fi
    echo "   what the simulated driver saw written:"
    sed 's/^/    /' "$work/$h/writes.jsonl"
done

echo
echo "== an operator's view: mdev-migcheck check on the older target"
set +e
as_libvirt "$work/target-older" "$cli" check --xml "$work/vm.xml" | sed 's/^/    /'
set -e
echo
echo "Demo complete; the simulated hosts are unmounted on exit."
