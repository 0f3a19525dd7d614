#!/bin/bash
# The demo: builds mdev-migcheck and mdev-simfs, mounts three simulated hosts
# (a source and two destinations), records the source's migration_version
# strings in a domain's metadata, and runs the destination hook as libvirt
# runs it at `migrate begin`: once against a newer driver (accepted) and once
# against an older one (refused).  Needs root and /dev/fuse; cleans up its
# mounts also when interrupted.
set -euo pipefail

cd "$(dirname "$0")/.."
top=$PWD
scripts/install-deps.sh test >/dev/null

build=${BUILD_DIR:-build-demo}
echo "== building ($build)"
cmake -S . -B "$build" -DMDEVMC_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target mdev-migcheck mdev-migcheck-hook \
    mdev-migcheck-hook-engine mdev-simfs >/dev/null
cli=$top/$build/bin/mdev-migcheck
hook=$top/$build/libexec/mdev-migcheck/mdev-migcheck-hook
simfs=$top/$build/bin/mdev-simfs

work=$(mktemp -d /tmp/mdev-migcheck-demo.XXXXXX)
hosts=(source target-newer target-older)
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

for h in "${hosts[@]}"; do
    mkdir -p "$work/$h/sys" "$work/$h/etc/mdev-migcheck"
    printf 'syslog = no\n' >"$work/$h/etc/mdev-migcheck/mdev-migcheck.conf"
    topo=tools/mdev-simfs/examples/${h/source/source-host}.json
    "$simfs" --write-log "$work/$h/writes.jsonl" "$topo" "$work/$h/sys"
    printf '== host %-13s driver %s\n' "$h" \
        "$(cat "$work/$h/sys/class/mdev_bus/0000:00:02.0/mdev_supported_types/i915-GVTg_V5_4/migration_version")"
done

# libvirt passes hooks only these variables; the root points at the simulator.
as_libvirt() { # ROOT CMD...
    local root=$1
    shift
    env -i LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root USER=root LOGNAME=root \
        MDEV_MIGCHECK_ROOT="$root" "$@"
}

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
        echo "   accepted; the XML libvirt continues with records this host's version:"
        grep -o 'version="[^"]*"' "$work/$h.out" | sed 's/^/    /'
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
