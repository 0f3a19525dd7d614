# shellcheck shell=sh
# Shared by the DEB postinst and the RPM %post: after installation or upgrade,
# tell the operator how to activate the hook in a running libvirt daemon, and
# record the mdev versions of VMs already running.  Never fails.

mdevmc_daemon=
for mdevmc_d in virtqemud libvirtd; do
    if pidof "$mdevmc_d" >/dev/null 2>&1; then
        mdevmc_daemon=$mdevmc_d
        break
    fi
done

if [ -n "$mdevmc_daemon" ]; then
    # libvirt enables qemu hooks only if one existed when the daemon started
    # (or at its last reload).  A reload (SIGHUP) re-reads the hooks and
    # keeps VMs running, but it is the operator's call on a production host.
    cat <<MSG
mdev-migcheck: $mdevmc_daemon is running.  If no qemu hook was installed when it
started, it does not run hooks yet; enable the mdev-migcheck hook with:
    systemctl reload $mdevmc_daemon        (or: kill -HUP \$(pidof $mdevmc_daemon))
Running VMs are not affected.  Verify with: ls -l /etc/libvirt/hooks/qemu.d/
MSG
    # VMs started before the hook existed carry no recorded versions.
    if command -v timeout >/dev/null 2>&1; then
        timeout 120 mdev-migcheck annotate --all >/dev/null 2>&1 || true
    else
        mdev-migcheck annotate --all >/dev/null 2>&1 || true
    fi
fi
unset mdevmc_daemon mdevmc_d
