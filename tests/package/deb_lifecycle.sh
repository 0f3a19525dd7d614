#!/bin/bash
# The DEB on this machine: lintian, install, files in place, the installed
# hook and CLI on a simulated host, purge, nothing left.
#   deb_lifecycle.sh PKGDIR SAMPLES
set -euo pipefail
pkgdir=$1
samples=$2
deb=$(ls "$pkgdir"/mdev-migcheck_*.deb)
failures=0
check() { # DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then
        echo "ok: $what"
    else
        echo "FAILED: $what"
        failures=$((failures + 1))
    fi
}
work=$(mktemp -d /tmp/mdevmc-pkgtest.XXXXXX)
cleanup() {
    dpkg --purge mdev-migcheck >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
dpkg --purge mdev-migcheck >/dev/null 2>&1 || true

# lintian: no errors (warnings and info are reported, not fatal).
lintian --no-tag-display-limit "$deb" >"$work/lintian.txt" 2>&1 || true
cat "$work/lintian.txt"
check "lintian reports no error" sh -c "! grep -q '^E:' '$work/lintian.txt'"

check "dpkg -i" sh -c "dpkg -i '$deb' >'$work/install.txt' 2>&1"
cat "$work/install.txt"
# The postinst ends with the doctor's report, and says the first-time text
# once: a reinstall (an upgrade's configure) does not repeat it.
check "postinst shows the doctor's report" grep -q '^    [a-z]* hook: ' "$work/install.txt"
check "postinst explains doctor once" grep -q 'checks this host at any time' "$work/install.txt"
check "postinst stamp" test -e /var/lib/mdev-migcheck/activation-told
check "dpkg -i again" sh -c "dpkg -i '$deb' >'$work/reinstall.txt' 2>&1"
check "postinst does not repeat itself" sh -c \
    "! grep -q 'checks this host at any time' '$work/reinstall.txt' &&
     grep -q '^    [a-z]* hook: ' '$work/reinstall.txt'"
check "CLI installed" test -x /usr/bin/mdev-migcheck
check "hook installed" test -x /usr/libexec/mdev-migcheck/mdev-migcheck-hook
check "no separate hook engine" test ! -e /usr/libexec/mdev-migcheck/mdev-migcheck-hook-engine
entry=/etc/libvirt/hooks/qemu.d/90-mdev-migcheck
check "qemu.d entry is a link to the hook" \
    test "$(readlink "$entry")" = /usr/libexec/mdev-migcheck/mdev-migcheck-hook
check "qemu.d entry resolves to a regular executable" sh -c "test -f '$entry' && test -x '$entry'"
check "config is a conffile" sh -c \
    "dpkg-query -W -f='\${Conffiles}' mdev-migcheck | grep -q ' /etc/mdev-migcheck/mdev-migcheck.conf '"
check "man pages" sh -c 'test -f /usr/share/man/man8/mdev-migcheck.8.gz &&
    test -f /usr/share/man/man8/mdev-migcheck-hook.8.gz &&
    test -f /usr/share/man/man5/mdev-migcheck.conf.5.gz'
check "bash completion" test -f /usr/share/bash-completion/completions/mdev-migcheck
watch_unit=/lib/systemd/system/mdev-migcheck-watch.service
check "watch unit" grep -qx 'ExecStart=/usr/bin/mdev-migcheck watch' "$watch_unit"
# readlink -f on both sides: /lib may be a link to /usr/lib (merged /usr).
check "watch unit enabled" test "$(readlink -e /etc/systemd/system/multi-user.target.wants/mdev-migcheck-watch.service)" = "$(readlink -e "$watch_unit")"
gc_timer=/lib/systemd/system/mdev-migcheck-gc.timer
check "gc service and timer" test -f /lib/systemd/system/mdev-migcheck-gc.service -a -f "$gc_timer"
check "gc timer enabled" test "$(readlink -e /etc/systemd/system/timers.target.wants/mdev-migcheck-gc.timer)" = "$(readlink -e "$gc_timer")"
check "schema" test -f /usr/share/mdev-migcheck/schema/mdev-migcheck-metadata.rng
check "doc" test -f /usr/share/doc/mdev-migcheck/copyright
check "CLI runs" sh -c "mdev-migcheck --version | grep -q '^mdev-migcheck 0.2.0$'"

# A simulated host: a plain-file sysfs tree.
root=$work/root
u=c2177883-f1bb-47f0-914d-32a22e3a8804
p=$root/sys/devices/pci0000:00/0000:00:02.0
t=$p/mdev_supported_types/i915-GVTg_V5_4
mkdir -p "$t/devices" "$p/$u" "$root/sys/bus/mdev/devices" "$root/sys/class/mdev_bus" \
    "$root/etc/mdev-migcheck"
echo 8086-193b-i915-GVTg_V5_4-5.2 >"$t/migration_version"
echo 4 >"$t/available_instances"
echo vfio-pci >"$t/device_api"
ln -s ../mdev_supported_types/i915-GVTg_V5_4 "$p/$u/mdev_type"
ln -s ../../../devices/pci0000:00/0000:00:02.0/$u "$root/sys/bus/mdev/devices/$u"
ln -s ../../devices/pci0000:00/0000:00:02.0 "$root/sys/class/mdev_bus/0000:00:02.0"
echo "syslog = no" >"$root/etc/mdev-migcheck/mdev-migcheck.conf"
as_libvirt() { env -i LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root MDEV_MIGCHECK_ROOT="$root" "$@"; }

set +e
as_libvirt "$entry" vgpu1 prepare begin - <"$samples/vgpu-annotated.xml" >"$work/out" 2>"$work/err"
rc=$?
set -e
check "hook: prepare begin exits 0 silently" test "$rc-$(cat "$work/out" "$work/err")" = "0-"

set +e
as_libvirt "$entry" vgpu1 migrate begin - <"$samples/vgpu-annotated.xml" >"$work/out" 2>"$work/err"
rc=$?
set -e
check "hook: compatible migrate begin exits 0" test "$rc" = 0
check "hook: prints nothing (libvirt would taint the domain)" test ! -s "$work/out"

sed 's/i915-GVTg_V5_4"/i915-GVTg_V5_8"/' "$samples/vgpu-annotated.xml" >"$work/other.xml"
set +e
as_libvirt "$entry" vgpu1 migrate begin - <"$work/other.xml" >"$work/out" 2>"$work/err"
rc=$?
set -e
check "hook: type mismatch exits 1" test "$rc" = 1
check "hook: refusal names the device and the reason" grep -qx \
    "mdev-migcheck: refusing migration of vgpu1: mdev $u: type mismatch: the source has 'i915-GVTg_V5_8', this host has 'i915-GVTg_V5_4' on parent 0000:00:02.0 (source host 'hostA')" \
    "$work/err"
# The verdict reaches syslog as "mdev-migcheck" (a private /dev/log).
printf 'syslog = yes\n' >"$root/etc/mdev-migcheck/mdev-migcheck.conf"
set +e
"$(dirname "$0")/with_syslog.sh" "$work/syslog" env -i LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root MDEV_MIGCHECK_ROOT="$root" "$entry" vgpu1 migrate begin - <"$work/other.xml" >/dev/null 2>&1
rc=$?
set -e
cat "$work/syslog" 2>/dev/null
if [ "$rc" = 125 ]; then
    echo "skipped: syslog check: no private mount namespace with /dev/log here"
else
    check "syslog: the refusal is logged as mdev-migcheck with domain, device and reason" grep -q \
        "mdev-migcheck\[[0-9]*\]: migrate of domain vgpu1: refused: mdev $u: type mismatch" "$work/syslog"
fi
printf 'syslog = no\n' >"$root/etc/mdev-migcheck/mdev-migcheck.conf"

set +e
as_libvirt mdev-migcheck check --xml "$samples/vgpu-annotated.xml" >"$work/out" 2>&1
rc=$?
set -e
check "CLI: check --xml on the simulated host" sh -c "test $rc = 0 && grep -q compatible '$work/out'"

check "dpkg --purge" dpkg --purge mdev-migcheck
for f in /usr/bin/mdev-migcheck /usr/libexec/mdev-migcheck "$entry" /etc/mdev-migcheck \
    /var/lib/mdev-migcheck \
    /usr/share/mdev-migcheck /usr/share/doc/mdev-migcheck \
    /usr/share/bash-completion/completions/mdev-migcheck /usr/share/man/man8/mdev-migcheck.8.gz \
    /lib/systemd/system/mdev-migcheck-watch.service \
    /etc/systemd/system/multi-user.target.wants/mdev-migcheck-watch.service; do
    check "purged: $f" sh -c "! test -e '$f' && ! test -L '$f'"
done
check "dpkg no longer knows the package" sh -c "! dpkg -s mdev-migcheck >/dev/null 2>&1"

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
