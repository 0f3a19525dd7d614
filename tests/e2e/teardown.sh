#!/bin/bash
# Stops everything the e2e harness started, by pid, and removes its mounts,
# namespaces and state.  Idempotent; safe after a failed or interrupted run.
set -uo pipefail
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"

# Running: exists and is not a zombie waiting for its new parent to reap it.
running() { [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*[ZX]' "/proc/$1/status" 2>/dev/null; }
stop_pid() { # PID
    local p=$1
    [ -n "$p" ] && running "$p" || return 0
    kill -TERM "$p" 2>/dev/null
    for _ in $(seq 50); do
        running "$p" || return 0
        sleep 0.1
    done
    kill -KILL "$p" 2>/dev/null
}

for h in "${E2E_HOSTS[@]}"; do
    R=$(host_dir "$h")
    [ -d "$R" ] || continue
    if [ -S "$(host_sock "$h")" ]; then
        for d in $(timeout 10 virsh -q -c "$(host_uri "$h")" list --name 2>/dev/null); do
            timeout 10 virsh -q -c "$(host_uri "$h")" destroy "$d" >/dev/null 2>&1
        done
    fi
    # QEMU processes of this host (their pid files are in its run dir).
    for f in "$R"/run/qemu/*.pid; do
        [ -f "$f" ] && stop_pid "$(cat "$f")"
    done
    [ -f "$R/run/libvirtd.pid" ] && stop_pid "$(cat "$R/run/libvirtd.pid")"
    [ -f "$R/syslog.pid" ] && stop_pid "$(cat "$R/syslog.pid")"
    for f in "$R"/sshd*.pid; do
        [ -f "$f" ] && stop_pid "$(cat "$f")"
    done
    # The simulator: release hung requests, then unmount (it exits).
    sim=$(host_sim "$h")
    if mountpoint -q "$sim" 2>/dev/null; then
        printf 'clear all\n' >"$sim/.simfs-control" 2>/dev/null
        umount "$sim" 2>/dev/null || umount -l "$sim"
    fi
    [ -f "$R/simfs.pid" ] && stop_pid "$(cat "$R/simfs.pid")"
    ip netns del "$E2E_NS_PREFIX$h" 2>/dev/null
done
ip netns del "$E2E_NET_NS" 2>/dev/null
# The empty files the nvml scenario made in / (scenario.sh nvml_on).
if [ -f "$E2E_STATE/made-in-root" ]; then
    while read -r f; do
        rm -f "$f"
    done <"$E2E_STATE/made-in-root"
fi
# Anything left under the state dir (shadow mounts live in the namespaces
# and went with them).
if [ -d "$E2E_STATE" ]; then
    grep -F " $E2E_STATE/" /proc/mounts | awk '{print $2}' | sort -r | while read -r m; do
        umount -l "$m" 2>/dev/null
    done
    # Keep the timing results of the run.
    find "$E2E_STATE" -mindepth 1 -maxdepth 1 ! -name results -exec rm -rf {} + 2>/dev/null
fi
exit 0
