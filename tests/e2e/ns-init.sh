#!/bin/bash
# Runs inside a host's private network, mount and UTS namespaces (started by
# setup.sh): builds the host's view of the machine, then execs libvirtd.
#   - its own hostname and libvirt state (/etc/libvirt, /run/libvirt, ...);
#   - /sys with the host's mdev-simfs at the kernel's paths (bus/mdev,
#     class/mdev_bus, the parent devices, kernel/iommu_groups, the drivers'
#     modules), so the simulator's relative links resolve as on a real host;
#   - /dev with /dev/vfio/{vfio,N} for the simulated iommu groups, and a
#     /dev/log whose messages go to the host's syslog.log;
#   - mdev-migcheck installed as the package installs it, from the staged
#     `cmake --install` (overlays on /usr/bin, /usr/libexec and /etc), with
#     the host's own mdev-migcheck.conf and machine-id;
#   - root's ~/.ssh: the e2e client key and configuration (setup.sh).
# Nothing outside the namespace is changed.
set -euo pipefail
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"
h=$1
R=$(host_dir "$h")
SIM=$(host_sim "$h")
STAGE=$E2E_STATE/stage

hostname "$(host_name "$h")"
mount --make-rprivate /

# shadow DIR: DIR becomes a tmpfs that re-exposes every original entry
# (directories rbind-mounted, files bind-mounted, links copied), so entries
# can be added without touching the real DIR.
shadow() {
    local d=$1 s
    s=$R/shadow/$(echo "$d" | tr / _)
    mkdir -p "$s"
    mount --rbind "$d" "$s"
    mount -t tmpfs -o mode=755 tmpfs "$d"
    local e n
    for e in "$s"/* "$s"/.[!.]*; do
        [ -e "$e" ] || [ -L "$e" ] || continue
        n=$d/${e##*/}
        if [ -L "$e" ]; then
            cp -P "$e" "$n"
        elif [ -d "$e" ]; then
            mkdir "$n"
            mount --rbind "$e" "$n"
        else
            touch "$n"
            mount --bind "$e" "$n"
        fi
    done
}

# bind_into DIR NAME SOURCE: NAME in the shadowed DIR shows SOURCE.
bind_into() {
    mkdir -p "$1/$2"
    mount --bind "$3" "$1/$2"
}

# mdev-migcheck as installed by the package.
mount -t overlay overlay -o "lowerdir=$STAGE/usr/bin:/usr/bin" /usr/bin
mount -t overlay overlay -o "lowerdir=$STAGE/usr/libexec:/usr/libexec" /usr/libexec
# The host's own /etc/machine-id (its host id in the records), above it.
mount -t overlay overlay -o "lowerdir=$R/etc-host:$STAGE/etc:/etc" /etc
mount --bind "$(host_conf "$h")" /etc/mdev-migcheck/mdev-migcheck.conf

# root's ssh client (configuration, key, known hosts), for preflight.
shadow /root
bind_into /root .ssh "$E2E_SSH/client"

# libvirt's private state.
mount --bind "$R/etc" /etc/libvirt
mount --bind "$R/hosts" /etc/hosts
mount -t tmpfs tmpfs /run
mkdir -p /run/libvirt
mount --bind "$R/run" /run/libvirt
mount --bind "$R/lib" /var/lib/libvirt
mount --bind "$R/cache" /var/cache/libvirt
mount --bind "$R/log" /var/log/libvirt

# The simulated kernel at the real paths.
shadow /sys/bus
bind_into /sys/bus mdev "$SIM/bus/mdev"
shadow /sys/class
bind_into /sys/class mdev_bus "$SIM/class/mdev_bus"
for top in "$SIM"/devices/*; do
    name=${top##*/}
    if [ -d "/sys/devices/$name" ]; then
        shadow "/sys/devices/$name"
        for p in "$top"/*; do
            bind_into "/sys/devices/$name" "${p##*/}" "$p"
        done
    else
        [ -d "$R/shadow/_sys_devices" ] || shadow /sys/devices
        bind_into /sys/devices "$name" "$top"
    fi
done
if [ -d /sys/kernel/iommu_groups ]; then
    shadow /sys/kernel/iommu_groups
else
    shadow /sys/kernel
    mkdir -p /sys/kernel/iommu_groups
fi
for g in "$SIM"/kernel/iommu_groups/*; do
    [ -e "$g" ] && bind_into /sys/kernel/iommu_groups "${g##*/}" "$g"
done
# The simulated drivers' modules (module/nvidia/version, ...).
if [ -n "$(ls -A "$SIM/module" 2>/dev/null)" ]; then
    shadow /sys/module
    for m in "$SIM"/module/*; do
        bind_into /sys/module "${m##*/}" "$m"
    done
fi

# VFIO device nodes for the simulated groups (harmless /dev/null nodes).
shadow /dev
mkdir -m 755 /dev/vfio
mknod -m 666 /dev/vfio/vfio c 1 3
for g in "$SIM"/kernel/iommu_groups/*; do
    [ -e "$g" ] && mknod -m 666 "/dev/vfio/${g##*/}" c 1 3
done

# syslog: a datagram listener on /dev/log, appending to the host's log.
umount /dev/log 2>/dev/null || true
rm -f /dev/log
python3 -c '
import signal, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
with open(sys.argv[1], "a") as f:
    while True:
        f.write(s.recv(65536).decode(errors="replace").rstrip("\n") + "\n")
        f.flush()
' "$(host_syslog "$h")" </dev/null >>"$R/syslog.out" 2>&1 &
echo $! >"$R/syslog.pid"
for _ in $(seq 50); do
    [ -S /dev/log ] && break
    sleep 0.1
done
[ -S /dev/log ] || die "no /dev/log listener"

preload=
if ! prlimit --memlock=unlimited:unlimited true 2>/dev/null; then
    preload=$E2E_STATE/memlock-shim.so
fi
exec env ${preload:+LD_PRELOAD=$preload} /usr/sbin/libvirtd --listen --daemon \
    --pid-file=/run/libvirt/libvirtd.pid
