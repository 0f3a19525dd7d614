# shellcheck shell=bash
# Shared by the end-to-end harness: three libvirt hosts on one machine, each
# in its own network, mount and UTS namespace, each with its own mdev-simfs
# and sshd, joined by a bridge in a namespace of its own.  Sourced by
# setup.sh, teardown.sh, scenario.sh and preflight.sh.

E2E_STATE=${MDEVMC_E2E_STATE:-/tmp/mdevmc-e2e}
# E2E_SRC, E2E_HOSTS and E2E_URI_NS are for the scripts that source this file.
# shellcheck disable=SC2034
E2E_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034
E2E_HOSTS=(a b c)
E2E_NS_PREFIX=mdevmc-
E2E_NET=10.201.0
# shellcheck disable=SC2034
E2E_URI_NS=urn:mdev-migcheck:metadata:1

host_ip() { case $1 in a) echo "$E2E_NET.1" ;; b) echo "$E2E_NET.2" ;; c) echo "$E2E_NET.3" ;; esac; }
host_name() { case $1 in a) echo hostA ;; b) echo hostB ;; c) echo hostC ;; esac; }
# The namespace holding the bridge between the hosts.
# shellcheck disable=SC2034
E2E_NET_NS=${E2E_NS_PREFIX}net
# ssh between the hosts: root's client configuration and key (ns-init.sh
# shows it as /root/.ssh in every host), the hosts' keys and sshd configs.
# shellcheck disable=SC2034
E2E_SSH=$E2E_STATE/ssh
# A second sshd on host c whose sessions do not find mdev-migcheck (a PATH
# without it): "a host without mdev-migcheck".
# shellcheck disable=SC2034
E2E_BARE_PORT=2222
host_dir() { echo "$E2E_STATE/$1"; }
host_sock() { echo "$E2E_STATE/$1/run/libvirt-sock"; }
host_uri() { echo "qemu+unix:///system?socket=$(host_sock "$1")"; }
host_tcp() { echo "qemu+tcp://$(host_ip "$1")/system"; }
host_sim() { echo "$E2E_STATE/$1/sim/sys"; }
# The host's /etc/mdev-migcheck/mdev-migcheck.conf (bind-mounted there), and
# the installed one it starts as.
host_conf() { echo "$E2E_STATE/$1/mdev-migcheck.conf"; }
# shellcheck disable=SC2034
E2E_CONF=$E2E_STATE/stage/etc/mdev-migcheck/mdev-migcheck.conf
# What the host's daemons (mdev-migcheck among them) sent to /dev/log.
host_syslog() { echo "$E2E_STATE/$1/syslog.log"; }
# The NVIDIA driver of the topologies' T4 (0000:3b:00.0).
# shellcheck disable=SC2034
E2E_T4_DRIVER=550.54.10

# virsh against HOST, from the host's own network namespace.
vsh() { # HOST ARGS...
    local h=$1
    shift
    ip netns exec "$E2E_NS_PREFIX$h" virsh -q -c "$(host_uri "$h")" "$@"
}

# A control command for HOST's simulated kernel.
sim_ctl() { # HOST COMMAND...
    local sim
    sim=$(host_sim "$1")
    shift
    printf '%s\n' "$*" >"$sim/.simfs-control"
}

# The pid of HOST's libvirtd, whose namespaces are the host's.
host_pid() { cat "$E2E_STATE/$1/run/libvirtd.pid"; }

now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc; }

log() { echo "[e2e $(date +%T)] $*"; }
die() {
    echo "[e2e] FAILED: $*" >&2
    exit 1
}

# For the scenario scripts: the mdev UUID of index N, and one assertion
# (a failure is counted in $failures, which the script reports at its end).
uuid() { printf '11111111-0000-4000-8000-%012d' "$1"; }
expect() { # DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then
        echo "ok: $what"
    else
        echo "FAILED: $what"
        failures=$((failures + 1))
    fi
}
contains() { grep -qF -- "$2" <<<"$1"; }
