#!/bin/bash
# Sets up the two e2e hosts: setup.sh BUILD
# Exits 77 (ctest: skipped) only when a facility is really absent.
set -euo pipefail
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"
build=$(realpath "$1")

missing=
for tool in ip unshare virsh /usr/sbin/libvirtd /usr/bin/qemu-system-x86_64 gcc bc python3; do
    command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
[ -c /dev/fuse ] || missing="$missing /dev/fuse"
if [ -n "$missing" ]; then
    echo "e2e: skipped: missing$missing (scripts/install-deps.sh e2e installs them)"
    exit 77
fi
if ! unshare --net --mount --uts true 2>/dev/null; then
    echo "e2e: skipped: this machine cannot create network/mount/UTS namespaces"
    exit 77
fi

"$E2E_SRC/teardown.sh"
t0=$(now)
rm -rf "$E2E_STATE/results"
mkdir -p "$E2E_STATE/results"

log "staging the installation"
DESTDIR=$E2E_STATE/stage cmake --install "$build" --prefix /usr >"$E2E_STATE/install.log"
cat >"$E2E_STATE/stage/etc/mdev-migcheck/mdev-migcheck.conf" <<CONF
# e2e: short bounds, so that the hung-attribute scenario is quick
attr_timeout_ms = 1500
timeout_ms = 4000
CONF
# The fake NVML for the nvml scenario (scenario.sh nvml_on).
mkdir -p "$E2E_STATE/fake-nvml"
cp "$build/fake-nvml/libnvidia-ml.so.1" "$E2E_STATE/fake-nvml/" 2>/dev/null ||
    log "no $build/fake-nvml/libnvidia-ml.so.1: the nvml scenario will fail"
gcc -O2 -shared -fPIC -o "$E2E_STATE/memlock-shim.so" "$E2E_SRC/memlock-shim.c" -ldl

log "network: ${E2E_NS_PREFIX}a ($(host_ip a)) <-> ${E2E_NS_PREFIX}b ($(host_ip b))"
ip netns add "${E2E_NS_PREFIX}a"
ip netns add "${E2E_NS_PREFIX}b"
ip link add mdevmc-va type veth peer name mdevmc-vb
ip link set mdevmc-va netns "${E2E_NS_PREFIX}a"
ip link set mdevmc-vb netns "${E2E_NS_PREFIX}b"
ip -n "${E2E_NS_PREFIX}a" addr add "$(host_ip a)/24" dev mdevmc-va
ip -n "${E2E_NS_PREFIX}b" addr add "$(host_ip b)/24" dev mdevmc-vb
for h in a b; do
    ip -n "$E2E_NS_PREFIX$h" link set lo up
done
ip -n "${E2E_NS_PREFIX}a" link set mdevmc-va up
ip -n "${E2E_NS_PREFIX}b" link set mdevmc-vb up

i=0
for h in "${E2E_HOSTS[@]}"; do
    i=$((i + 1))
    R=$(host_dir "$h")
    mkdir -p "$R"/{run,lib,cache,log,shadow} "$(host_sim "$h")"
    cp -a /etc/libvirt "$R/etc"
    cp "$E2E_CONF" "$(host_conf "$h")"
    mkdir -p "$R/etc-host"
    printf '00000000000040008000%012d\n' "$((200 + i))" >"$R/etc-host/machine-id"
    : >"$(host_syslog "$h")"
    cp -a /var/lib/libvirt/. "$R/lib/"
    cp -a /var/cache/libvirt/. "$R/cache/"
    printf '127.0.0.1 localhost\n%s hostA\n%s hostB\n' "$(host_ip a)" "$(host_ip b)" >"$R/hosts"
    cat >>"$R/etc/libvirtd.conf" <<CONF
listen_tls = 0
listen_tcp = 1
listen_addr = "$(host_ip "$h")"
auth_tcp = "none"
auth_unix_rw = "none"
host_uuid = "00000000-0000-4000-8000-00000000020$i"
log_outputs = "1:file:/var/log/libvirt/libvirtd.log"
log_filters = "1:util.hooks 1:qemu.qemu_migration 3:*"
CONF
    cat >>"$R/etc/qemu.conf" <<CONF
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
namespaces = []
stdio_handler = "file"
CONF
    # The hook entry exactly as the package installs it (a link into
    # /usr/libexec), present before the daemon starts.
    mkdir -p "$R/etc/hooks/qemu.d"
    cp -P "$E2E_STATE/stage/etc/libvirt/hooks/qemu.d/90-mdev-migcheck" "$R/etc/hooks/qemu.d/"
    "$build/bin/mdev-simfs" --pidfile "$R/simfs.pid" --write-log "$R/writes.jsonl" \
        "$E2E_SRC/topology-$h.json" "$(host_sim "$h")"
done

start_host() {
    local h=$1 R
    R=$(host_dir "$h")
    ip netns exec "$E2E_NS_PREFIX$h" unshare --mount --uts --propagation private \
        "$E2E_SRC/ns-init.sh" "$h" </dev/null >"$R/daemon.out" 2>&1
    for _ in $(seq 100); do
        [ -S "$(host_sock "$h")" ] && break
        sleep 0.1
    done
    vsh "$h" version >/dev/null
}
log "starting libvirtd on both hosts"
t1=$(now)
start_host a &
pa=$!
start_host b &
pb=$!
wait "$pa" || { cat "$(host_dir a)/daemon.out"; die "host a did not start"; }
wait "$pb" || { cat "$(host_dir b)/daemon.out"; die "host b did not start"; }
log "daemons up in $(elapsed "$t1") s"
for h in a b; do
    vsh "$h" domcapabilities --emulatorbin "$E2E_SRC/qemu-wrap" --virttype qemu >/dev/null &
done
wait
log "setup done in $(elapsed "$t0") s"
echo "setup_s $(elapsed "$t0")" >"$E2E_STATE/results/setup.txt"
