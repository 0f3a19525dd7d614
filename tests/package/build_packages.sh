#!/bin/bash
# Builds both packages from the source tree: build_packages.sh BUILD OUTDIR
set -euo pipefail
build=$1
out=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
rm -rf "$out"
mkdir -p "$out"
"$top/packaging/build-deb.sh" "$out"
"$top/packaging/build-rpm.sh" "$build" "$out"
ls -l "$out"
