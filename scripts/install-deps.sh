#!/bin/sh
# Installs the Debian 12 packages mdev-migcheck needs to build, lint, test and
# package itself.  Usage:
#   scripts/install-deps.sh [build|lint|fuzz|test|e2e|package|all]
# (default: all).  Idempotent; needs root (apt-get).
set -eu

what=${1:-all}

build="cmake g++ make pkg-config libxml2-dev libxml2-utils libicu-dev liblzma-dev zlib1g-dev libboost-dev
libboost-filesystem-dev libgtest-dev googletest libfuse3-dev fuse3
libvirt-dev nlohmann-json3-dev"
test="mdevctl jq util-linux iproute2 procps python3"
e2e="libvirt-clients libvirt-daemon-system libvirt-daemon-system-sysv openssh-client openssh-server
qemu-system-x86 qemu-utils"
lint="clang clang-format clang-tidy shellcheck"
fuzz="clang libclang-rt-14-dev"
package="debhelper dpkg-dev fakeroot lintian rpm file python3"

case "$what" in
build) pkgs=$build ;;
lint) pkgs="$build $lint" ;;
fuzz) pkgs="$build $fuzz" ;;
test) pkgs="$build $test" ;;
e2e) pkgs="$build $test $e2e" ;;
package) pkgs="$build $package" ;;
all) pkgs="$build $lint $fuzz $test $e2e $package" ;;
*)
    echo "install-deps.sh: unknown set '$what' (expected build, lint, fuzz, test, e2e, package or all)" >&2
    exit 2
    ;;
esac

missing=
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps.sh: missing packages:$missing; run as root to install them" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
