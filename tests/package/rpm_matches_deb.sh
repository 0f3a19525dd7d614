#!/bin/bash
# The RPM ships the same files as the DEB (modulo each distribution's
# documentation conventions).   rpm_matches_deb.sh PKGDIR
set -euo pipefail
pkgdir=$1
deb=$(ls "$pkgdir"/mdev-migcheck_*.deb)
rpm=$(ls "$pkgdir"/mdev-migcheck-*.x86_64.rpm)
work=$(mktemp -d /tmp/mdevmc-rpmtest.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "== rpm -qlp $rpm"
rpm -qlp "$rpm"
rpm -qpi "$rpm" | head -5
# Files and links (no directories); compression suffixes and the
# distributions' own documentation files aside.
# Debian 12's units are in /lib/systemd/system, the same directory as
# /usr/lib/systemd/system on a merged /usr.
dpkg -c "$deb" | awk '$1 !~ /^d/ { print $6 }' | sed 's,^\./,/,; s,\.gz$,,; s,^/lib/systemd/,/usr/lib/systemd/,' |
    grep -v -e '^/usr/share/doc/mdev-migcheck/changelog$' -e '^/usr/share/doc/mdev-migcheck/copyright$' \
        -e '^/usr/share/lintian/' |
    sort >"$work/deb.txt"
rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$rpm" | awk '$1 !~ /^d/ { print $2 }' |
    sed 's,^/usr/share/doc/mdev-migcheck-[0-9.]*/,/usr/share/doc/mdev-migcheck/,; s,\.gz$,,' |
    grep -v '^/usr/share/licenses/' | sort >"$work/rpm.txt"
echo "== files: $(wc -l <"$work/deb.txt") in the DEB, $(wc -l <"$work/rpm.txt") in the RPM"
if ! diff -u "$work/deb.txt" "$work/rpm.txt"; then
    echo "FAILED: the RPM and the DEB ship different files"
    exit 1
fi
# Same link target for the hook entry, and the config marked as such.  Each
# query goes to a file first: grep -q stops reading at its first match, and
# under pipefail rpm's SIGPIPE would fail the check.
rpm -qp --qf '[%{FILENAMES} %{FILELINKTOS}\n]' "$rpm" >"$work/links.txt"
grep -qx '/etc/libvirt/hooks/qemu.d/90-mdev-migcheck /usr/libexec/mdev-migcheck/mdev-migcheck-hook' \
    "$work/links.txt" || { echo "FAILED: hook link target"; exit 1; }
rpm -qpc "$rpm" >"$work/config.txt"
grep -qx /etc/mdev-migcheck/mdev-migcheck.conf "$work/config.txt" ||
    { echo "FAILED: config not marked %config"; exit 1; }
rpm -qp --scripts "$rpm" >"$work/scripts.txt"
grep -q 'annotate --all' "$work/scripts.txt" ||
    { echo "FAILED: %post does not record running VMs"; exit 1; }
grep -q 'mdev-migcheck doctor' "$work/scripts.txt" ||
    { echo "FAILED: %post does not end with the doctor"; exit 1; }
grep -q 'enable --now mdev-migcheck-watch.service' "$work/scripts.txt" ||
    { echo "FAILED: %post does not start the watch"; exit 1; }
grep -q 'enable --now mdev-migcheck-gc.timer' "$work/scripts.txt" ||
    { echo "FAILED: %post does not enable gc's timer"; exit 1; }
echo "ok: the RPM matches the DEB"
