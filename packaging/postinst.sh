# shellcheck shell=sh
# Shared by the DEB postinst and the RPM %post: after installation or upgrade,
# tell the operator how to activate the hook in a running libvirt daemon (once,
# and again only while `mdev-migcheck doctor` finds the daemon may not run it),
# record the mdev versions of VMs already running, and end with the doctor's
# report.  Every command is bounded in time; nothing here fails the install.

mdevmc_stamp=/var/lib/mdev-migcheck/activation-told
mdevmc_limit=30

# When the hook first came (an upgrade replaces its entry; the doctor
# compares the daemon's start with this).  Removed with the package.
if [ ! -e /var/lib/mdev-migcheck/hook-installed ] && mkdir -p /var/lib/mdev-migcheck 2>/dev/null; then
    : >/var/lib/mdev-migcheck/hook-installed 2>/dev/null || true
fi

# Runs "$@" bounded to $mdevmc_limit seconds where timeout(1) exists.
mdevmc_bounded() {
    if command -v timeout >/dev/null 2>&1; then
        timeout "$mdevmc_limit" "$@"
    else
        "$@"
    fi
}

# The running libvirt daemons, modular (virtqemud) and monolithic (libvirtd):
# by their systemd units where systemd runs, else by their pidfiles or names.
mdevmc_daemons=
mdevmc_on_demand=
for mdevmc_d in virtqemud libvirtd; do
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
        if systemctl is-active --quiet "$mdevmc_d.service" 2>/dev/null; then
            mdevmc_daemons="$mdevmc_daemons $mdevmc_d"
        elif systemctl is-active --quiet "$mdevmc_d.socket" 2>/dev/null; then
            # Socket-activated and not running: it starts with the hook in place.
            mdevmc_on_demand="$mdevmc_on_demand $mdevmc_d"
        fi
    elif mdevmc_pid=$(cat "/run/$mdevmc_d.pid" 2>/dev/null) && [ -n "$mdevmc_pid" ] &&
        kill -0 "$mdevmc_pid" 2>/dev/null; then
        mdevmc_daemons="$mdevmc_daemons $mdevmc_d"
    elif pidof "$mdevmc_d" >/dev/null 2>&1; then
        mdevmc_daemons="$mdevmc_daemons $mdevmc_d"
    fi
done

if [ -n "$mdevmc_daemons" ]; then
    # VMs started before the hook existed carry no recorded versions.
    echo "mdev-migcheck: recording the mdevs of running VMs (mdev-migcheck annotate --all):"
    mdevmc_bounded mdev-migcheck annotate --all 2>&1 | sed 's/^/    /' || true
fi

# The doctor's verdict on the daemon decides whether the activation is said
# again: "ok daemon:" means the running daemon started after the hook entry.
mdevmc_report=$(mdevmc_bounded mdev-migcheck doctor 2>&1) || true
for mdevmc_d in $mdevmc_daemons; do
    if printf '%s\n' "$mdevmc_report" | grep -q '^ok daemon:'; then
        break
    fi
    # libvirt enables qemu hooks only if one existed when the daemon started
    # (or at its last reload).  A reload (SIGHUP) re-reads the hooks and
    # keeps VMs running, but it is the operator's call on a production host.
    cat <<MSG
mdev-migcheck: $mdevmc_d was running before the hook was installed: unless it
has been reloaded since, it does not run the hook.  Enable it with:
    systemctl reload $mdevmc_d        (or: kill -HUP \$(pidof $mdevmc_d))
Running VMs are not affected.
MSG
done
if [ ! -e "$mdevmc_stamp" ]; then
    for mdevmc_d in $mdevmc_on_demand; do
        echo "mdev-migcheck: $mdevmc_d starts on demand and will run the hook."
    done
    echo "mdev-migcheck: 'mdev-migcheck doctor' checks this host at any time; its report:"
    if mkdir -p "${mdevmc_stamp%/*}" 2>/dev/null; then
        : >"$mdevmc_stamp" 2>/dev/null || true
    fi
else
    echo "mdev-migcheck doctor:"
fi
printf '%s\n' "$mdevmc_report" | sed 's/^/    /'
unset mdevmc_stamp mdevmc_limit mdevmc_daemons mdevmc_on_demand mdevmc_d mdevmc_pid mdevmc_report
