#!/bin/bash
# The preflight scenarios on the hosts set up by setup.sh:
#   preflight.sh NAME
# `mdev-migcheck preflight` runs on host a, as an operator runs it there,
# and reaches b and c over real ssh (an sshd in each host's namespaces):
# its matrix and plan, a host without mdev-migcheck (c's second sshd) and
# an address nobody answers at.
set -euo pipefail
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"
name=$1
failures=0
RESULTS=$E2E_STATE/results
mkdir -p "$RESULTS"


# A 64 MiB TCG guest with the given mdevs (by index), transient on host a.
start_vm() { # NAME INDEX...
    local dom=$1 i
    shift
    {
        echo "<domain type='qemu'><name>$dom</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
        echo "<os><type arch='x86_64' machine='pc'>hvm</type></os><on_poweroff>destroy</on_poweroff>"
        echo "<devices><emulator>$E2E_SRC/qemu-wrap</emulator><controller type='usb' model='none'/>"
        echo "<memballoon model='none'/>"
        for i in "$@"; do
            echo "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='$(uuid "$i")'/></source></hostdev>"
        done
        echo "</devices></domain>"
    } >"$E2E_STATE/$dom.xml"
    vsh a create "$E2E_STATE/$dom.xml" >/dev/null
}
clear_a() {
    local d
    for d in $(vsh a list --all --name 2>/dev/null); do
        vsh a destroy "$d" >/dev/null 2>&1 || true
    done
}
clear_a
trap clear_a EXIT

# mdev-migcheck preflight on host a, in its namespaces; sets rc, out, err
# and secs.
preflight() { # ARGS...
    local t0
    t0=$(now)
    set +e
    out=$(nsenter -t "$(host_pid a)" -n -m -u -- mdev-migcheck preflight -c "$(host_uri a)" "$@" \
        2>"$E2E_STATE/preflight.err")
    rc=$?
    set -e
    err=$(cat "$E2E_STATE/preflight.err")
    secs=$(elapsed "$t0")
    echo "   mdev-migcheck preflight $*: exit $rc in ${secs}s${err:+, stderr: $err}"
}
# The field FIELD of the cell for DOMAIN and TARGET in $out.
cell() { # DOMAIN TARGET FIELD
    jq -r --arg d "$1" --arg t "$2" --arg f "$3" \
        '.cells[] | select(.domain == $d and .target == $t) | .[$f]' <<<"$out"
}
placed() { jq -r --arg d "$1" '.plan[] | select(.domain == $d) | .target' <<<"$out"; }

BARE=qemu+ssh://root@$(host_name c):$E2E_BARE_PORT/system
NOBODY=$E2E_NET.99

case $name in
preflight_plan)
    # A: mdevs 1, 2 and 6 on 0000:00:02.0 (driver 5.2).  B: 1 exists on a
    # 5.2 parent, 2 on a 5.1 one; 6 is missing, a 5.2 parent has room.  C: 1
    # exists on a 5.1 parent; 2 and 6 are missing and its one 5.2 parent has
    # one instance left.
    start_vm vm-p1 1
    start_vm vm-p2 2
    start_vm vm-p6 6
    preflight --all --to "$(host_name c),$(host_name b)" --plan --json
    echo "preflight_plan $secs" >>"$RESULTS/timings.txt"
    echo "$out" | jq -c '.cells[] | [.domain, .target, .verdict, .evidence, .reason, .detail]'
    echo "$out" | jq -c '.plan[]'
    expect "every VM placed: exit 0" test "$rc" -eq 0
    expect "six cells" test "$(jq '.cells | length' <<<"$out")" -eq 6
    expect "the source is hostA" test "$(jq -r .source <<<"$out")" = hostA
    expect "vm-p1 on C: refused by C's older driver" \
        test "$(cell vm-p1 hostC verdict) $(cell vm-p1 hostC reason)" = "refused rejected"
    expect "vm-p1 on B: compatible (protocol)" \
        test "$(cell vm-p1 hostB verdict) $(cell vm-p1 hostB evidence)" = "compatible protocol"
    expect "hostB answered as hostB" test "$(cell vm-p1 hostB host)" = hostB
    expect "hostC answered as hostC" test "$(cell vm-p1 hostC host)" = hostC
    expect "vm-p2 on B: refused" test "$(cell vm-p2 hostB verdict)" = refused
    expect "vm-p2 on C: to be provisioned, and can be" \
        test "$(cell vm-p2 hostC verdict) $(cell vm-p2 hostC reason)" = "provision device-missing"
    expect "vm-p6 on C: to be provisioned (alone, it would fit)" test "$(cell vm-p6 hostC verdict)" = provision
    expect "vm-p6 on B: to be provisioned" test "$(cell vm-p6 hostB verdict)" = provision
    expect "plan: vm-p1 on B" test "$(placed vm-p1)" = hostB
    expect "plan: vm-p2 on C, created on its 5.2 parent" \
        test "$(jq -r '.plan[] | select(.domain == "vm-p2") | "\(.target) \(.create[0].parent)"' <<<"$out")" = "hostC 0000:00:02.0"
    expect "plan: vm-p6 on B: vm-p2 took C's last instance" test "$(placed vm-p6)" = hostB
    # One domain by name, as a table: B refuses it.
    preflight vm-p2 --to "$(host_name b)"
    echo "$out"
    expect "vm-p2 to B only: exit 1" test "$rc" -eq 1
    expect "the table's row" contains "$out" "vm-p2   hostB   refused  protocol  rejected  mdev $(uuid 2) (i915-GVTg_V5_4) on parent 0000:00:04.0: target driver rejected the source migration_version (EINVAL: Invalid argument)"
    ;;
preflight_unreachable)
    start_vm vm-p1 1
    preflight vm-p1 --to "$(host_name b),$BARE,$NOBODY" --timeout 20 --json
    echo "preflight_unreachable $secs" >>"$RESULTS/timings.txt"
    echo "$out" | jq -c '.cells[] | [.target, .verdict, .reason, .detail]'
    expect "B can take it: exit 0" test "$rc" -eq 0
    expect "nothing on stderr" test -z "$err"
    expect "B: compatible" test "$(cell vm-p1 hostB verdict)" = compatible
    expect "c without mdev-migcheck in PATH: not installed" \
        test "$(cell vm-p1 "$BARE" verdict) $(cell vm-p1 "$BARE" reason)" = "error not-installed"
    expect "the shell's own words" contains "$(cell vm-p1 "$BARE" detail)" "mdev-migcheck: command not found"
    expect "nobody at $NOBODY: unreachable" \
        test "$(cell vm-p1 "$NOBODY" verdict) $(cell vm-p1 "$NOBODY" reason)" = "error unreachable"
    expect "with ssh's reason" contains "$(cell vm-p1 "$NOBODY" detail)" "ssh failed: ssh: connect to host $NOBODY port 22"
    preflight vm-p1 --to "$BARE,$NOBODY" --timeout 20
    echo "$out"
    expect "no target can take it: exit 1" test "$rc" -eq 1
    expect "the table says so per cell" contains "$out" "vm-p1   $BARE  error    -         not-installed"
    ;;
*)
    echo "preflight.sh: unknown scenario '$name'" >&2
    exit 2
    ;;
esac

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
