#!/bin/bash
# Sets up the e2e hosts: setup.sh BUILD
# Exits 77 (ctest: skipped) only when a facility is really absent.
set -euo pipefail
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"
build=$(realpath "$1")

missing=
for tool in ip unshare nsenter virsh /usr/sbin/libvirtd /usr/bin/qemu-system-x86_64 gcc bc python3 \
    /usr/sbin/sshd ssh ssh-keygen jq; do
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

log "network: $(for h in "${E2E_HOSTS[@]}"; do printf '%s ' "$E2E_NS_PREFIX$h ($(host_ip "$h"))"; done)on a bridge"
ip netns add "$E2E_NET_NS"
ip -n "$E2E_NET_NS" link add mdevmc-br type bridge
ip -n "$E2E_NET_NS" link set mdevmc-br up
for h in "${E2E_HOSTS[@]}"; do
    ip netns add "$E2E_NS_PREFIX$h"
    ip link add "mdevmc-v$h" type veth peer name "mdevmc-p$h"
    ip link set "mdevmc-v$h" netns "$E2E_NS_PREFIX$h"
    ip link set "mdevmc-p$h" netns "$E2E_NET_NS"
    ip -n "$E2E_NET_NS" link set "mdevmc-p$h" master mdevmc-br up
    ip -n "$E2E_NS_PREFIX$h" addr add "$(host_ip "$h")/24" dev "mdevmc-v$h"
    ip -n "$E2E_NS_PREFIX$h" link set lo up
    ip -n "$E2E_NS_PREFIX$h" link set "mdevmc-v$h" up
done

# ssh: one client key for root (ns-init.sh shows $E2E_SSH/client as each
# host's /root/.ssh), a host key per sshd, known_hosts listing them: host
# keys are checked as in production, without a prompt.
mkdir -p "$E2E_SSH/client"
ssh-keygen -q -t ed25519 -N '' -C mdevmc-e2e -f "$E2E_SSH/client/id_ed25519"
cp "$E2E_SSH/client/id_ed25519.pub" "$E2E_SSH/authorized_keys"
: >"$E2E_SSH/client/known_hosts"
for h in "${E2E_HOSTS[@]}" bare; do
    ssh-keygen -q -t ed25519 -N '' -C "mdevmc-e2e-$h" -f "$E2E_SSH/host-$h"
    if [ "$h" = bare ]; then
        names="[$(host_name c)]:$E2E_BARE_PORT,[$(host_ip c)]:$E2E_BARE_PORT"
    else
        names="$(host_name "$h"),$(host_ip "$h")"
    fi
    echo "$names $(cut -d' ' -f1,2 "$E2E_SSH/host-$h.pub")" >>"$E2E_SSH/client/known_hosts"
done
cat >"$E2E_SSH/client/config" <<CONF
Host *
    User root
    IdentityFile ~/.ssh/id_ed25519
    IdentitiesOnly yes
    UserKnownHostsFile ~/.ssh/known_hosts
    GlobalKnownHostsFile /dev/null
    StrictHostKeyChecking yes
    LogLevel ERROR
CONF
chmod 700 "$E2E_SSH/client"
chmod 600 "$E2E_SSH/client/config"

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
    {
        echo "127.0.0.1 localhost"
        for o in "${E2E_HOSTS[@]}"; do
            echo "$(host_ip "$o") $(host_name "$o")"
        done
    } >"$R/hosts"
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
# sshd_config HOST PORT KEY PIDFILE [EXTRA LINE...]: an sshd on HOST's address.
sshd_config() {
    local h=$1 port=$2 key=$3 pidfile=$4
    shift 4
    cat <<CONF
ListenAddress $(host_ip "$h"):$port
HostKey $key
PidFile $pidfile
AuthorizedKeysFile $E2E_SSH/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
CONF
    printf '%s\n' "$@"
}
# An sshd in HOST's namespaces, so that its sessions see the host's /sys,
# /etc and mdev-migcheck.
start_sshd() { # HOST CONFIG
    nsenter -t "$(host_pid "$1")" -n -m -u -- sh -ec "mkdir -p -m 755 /run/sshd; /usr/sbin/sshd -f '$2'"
}

log "starting libvirtd and sshd on ${#E2E_HOSTS[@]} hosts"
t1=$(now)
pids=()
for h in "${E2E_HOSTS[@]}"; do
    start_host "$h" &
    pids+=($!)
done
i=0
for h in "${E2E_HOSTS[@]}"; do
    wait "${pids[$i]}" || { cat "$(host_dir "$h")/daemon.out"; die "host $h did not start"; }
    i=$((i + 1))
done
for h in "${E2E_HOSTS[@]}"; do
    R=$(host_dir "$h")
    sshd_config "$h" 22 "$E2E_SSH/host-$h" "$R/sshd.pid" >"$R/sshd_config"
    start_sshd "$h" "$R/sshd_config"
done
# Host c's second sshd: its sessions' PATH lacks /usr/bin and /bin, where
# mdev-migcheck is.
R=$(host_dir c)
sshd_config c "$E2E_BARE_PORT" "$E2E_SSH/host-bare" "$R/sshd-bare.pid" \
    "SetEnv PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/sbin" >"$R/sshd-bare_config"
start_sshd c "$R/sshd-bare_config"
log "daemons up in $(elapsed "$t1") s"
# Host c runs no guest: only a and b need QEMU's capabilities cached.
for h in a b; do
    vsh "$h" domcapabilities --emulatorbin "$E2E_SRC/qemu-wrap" --virttype qemu >/dev/null &
done
wait
log "setup done in $(elapsed "$t0") s"
echo "setup_s $(elapsed "$t0")" >"$E2E_STATE/results/setup.txt"
