#!/bin/bash
# Builds the Debian package from this source tree: build-deb.sh OUTDIR
# Works on a fresh Debian 12 machine after `scripts/install-deps.sh package`.
set -euo pipefail

out=$(realpath -m "${1:?usage: build-deb.sh OUTDIR}")
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
work=$(mktemp -d /tmp/mdev-migcheck-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT

# A clean copy of the sources (no build trees), with debian/ at its top.
src=$work/mdev-migcheck-0.1.0
mkdir -p "$src"
tar -C "$top" --exclude='./build*' --exclude='./.git' --exclude='./_build*' -cf - . |
    tar -C "$src" -xf -
cp -r "$top/packaging/debian" "$src/debian"
# The maintainer script shares its body with the RPM's %post.
{
    printf '#!/bin/sh\nset -e\n\nmdevmc_activate() {\n'
    cat "$top/packaging/postinst.sh"
    cat <<'EOF'
}

if [ "$1" = configure ]; then
    mdevmc_activate
fi

#DEBHELPER#

exit 0
EOF
} >"$src/debian/postinst"
chmod 755 "$src/debian/postinst" "$src/debian/postrm" "$src/debian/rules"

(cd "$src" && dpkg-buildpackage -b -us -uc -j"$(nproc)") >"$work/build.log" 2>&1 || {
    tail -50 "$work/build.log" >&2
    echo "build-deb.sh: dpkg-buildpackage failed" >&2
    exit 1
}
cp "$work"/mdev-migcheck_*.deb "$out/"
ls "$out"/mdev-migcheck_*.deb
