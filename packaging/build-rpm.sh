#!/bin/bash
# Builds the binary RPM from this source tree: build-rpm.sh BUILD OUTDIR
# BUILD is a configured build tree (it holds the spec, configured with the
# version).  On Debian, rpmbuild cannot see Fedora's BuildRequires, so they
# are not checked (--nodeps); the build itself is the spec's.
set -euo pipefail

build=$(realpath "${1:?usage: build-rpm.sh BUILD OUTDIR}")
out=$(realpath -m "${2:?usage: build-rpm.sh BUILD OUTDIR}")
top=$(cd "$(dirname "$0")/.." && pwd)
spec=$build/packaging/mdev-migcheck.spec
[ -f "$spec" ] || { echo "build-rpm.sh: no '$spec': configure the build tree first" >&2; exit 2; }
version=$(sed -n 's/^Version: *//p' "$spec")
mkdir -p "$out"
work=$(mktemp -d /tmp/mdev-migcheck-rpm.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{SOURCES,SPECS,BUILD,RPMS,SRPMS,tmp}

tar -C "$top" --exclude='./build*' --exclude='./.git' --exclude='./_build*' \
    --transform "s,^\\.,mdev-migcheck-$version," -czf "$work/SOURCES/mdev-migcheck-$version.tar.gz" .
cp "$spec" "$work/SPECS/"
rpmbuild -bb --nodeps \
    --define "_topdir $work" \
    --define "_tmppath $work/tmp" \
    --define "debug_package %{nil}" \
    --define "_build_id_links none" \
    "$work/SPECS/mdev-migcheck.spec" >"$work/build.log" 2>&1 || {
    tail -50 "$work/build.log" >&2
    echo "build-rpm.sh: rpmbuild failed" >&2
    exit 1
}
find "$work/RPMS" -name '*.rpm' -exec cp {} "$out/" \;
ls "$out"/mdev-migcheck-*.rpm
