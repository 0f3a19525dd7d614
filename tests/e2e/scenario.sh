#!/bin/bash
# One end-to-end scenario on the two hosts set up by setup.sh:
#   scenario.sh NAME
# Each asserts virsh's exit code, the exact refusal reason in its error,
# where the VM runs afterwards, and its live metadata.
set -euo pipefail
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"
name=$1
failures=0
RESULTS=$E2E_STATE/results
mkdir -p "$RESULTS"

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
lacks() { ! contains "$@"; }

# A 64 MiB TCG guest with the given mdevs (by index), started transient on HOST.
start_vm() { # HOST NAME INDEX...
    local h=$1 dom=$2 i
    shift 2
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
    if [ "${PERSISTENT:-}" = 1 ]; then
        vsh "$h" define "$E2E_STATE/$dom.xml" >/dev/null
        vsh "$h" start "$dom" >/dev/null
    else
        vsh "$h" create "$E2E_STATE/$dom.xml" >/dev/null
    fi
}
metadata() { vsh "$1" metadata "$2" --uri "$E2E_URI_NS" --live 2>/dev/null || true; }
# Waits until the recorder stored HOST's versions for DOM (at most 30 s).
wait_recorded() { # HOST DOM
    for _ in $(seq 300); do
        contains "$(metadata "$1" "$2")" "version=" && return 0
        sleep 0.1
    done
    return 1
}
state() { vsh "$1" domstate "$2" 2>/dev/null | head -1 || true; }
on_host() { vsh "$1" list --all --name 2>/dev/null | grep -qx "$2"; }
cleanup_vm() { # DOM
    local h
    for h in "${E2E_HOSTS[@]}"; do
        vsh "$h" destroy "$1" >/dev/null 2>&1 || true
        vsh "$h" undefine "$1" >/dev/null 2>&1 || true
    done
}
# Migrates DOM from FROM to TO; sets rc, err and secs.
migrate() { # FROM TO DOM [VIRSH OPTIONS...]
    local from=$1 to=$2 dom=$3 t0
    shift 3
    t0=$(now)
    set +e
    err=$(vsh "$from" migrate --live "$dom" "$(host_tcp "$to")" --migrateuri "tcp://$(host_ip "$to")" "$@" 2>&1 >/dev/null)
    rc=$?
    set -e
    secs=$(elapsed "$t0")
    echo "   virsh migrate $dom $from->$to $*: exit $rc in ${secs}s${err:+: $err}"
}
refusal() { echo "mdev-migcheck: refusing migration of $1: $2"; }
# `mdev-migcheck` as an operator on host B runs it, in B's namespaces.
on_b() {
    nsenter -t "$(cat "$(host_dir b)/run/libvirtd.pid")" -m -u -n -- "$@"
}

# Every scenario starts and ends with no guest on either host.
clear_hosts() {
    local h d
    for h in "${E2E_HOSTS[@]}"; do
        for d in $(vsh "$h" list --all --name 2>/dev/null); do
            cleanup_vm "$d"
        done
    done
    sim_ctl b "clear all" 2>/dev/null || true
}
clear_hosts
trap clear_hosts EXIT

refused_case() { # DOM INDEX MESSAGE
    local dom=$1 idx=$2 msg=$3
    start_vm a "$dom" "$idx"
    expect "$dom: versions recorded on A" wait_recorded a "$dom"
    migrate a b "$dom"
    echo "refused_${dom} $secs" >>"$RESULTS/timings.txt"
    expect "$dom: virsh migrate fails" test "$rc" -ne 0
    expect "$dom: the error gives the reason" contains "$err" "$(refusal "$dom" "$msg")"
    expect "$dom: still running on A" test "$(state a "$dom")" = running
    if on_host b "$dom"; then
        echo "FAILED: $dom: something left on B"
        failures=$((failures + 1))
    else
        echo "ok: $dom: nothing left on B"
    fi
    cleanup_vm "$dom"
}

case $name in
started_records)
    PERSISTENT=1 start_vm a vm-rec 1
    expect "the recorder stored A's versions without operator action" wait_recorded a vm-rec
    md=$(metadata a vm-rec)
    echo "$md"
    expect "record: host" contains "$md" 'host="hostA"'
    expect "record: device, type, parent, version" contains "$md" \
        "uuid=\"$(uuid 1)\" type=\"i915-GVTg_V5_4\" parent=\"0000:00:02.0\" version=\"8086-193b-i915-GVTg_V5_4-5.2\""
    expect "the persistent definition is untouched" \
        sh -c "! ip netns exec ${E2E_NS_PREFIX}a virsh -q -c '$(host_uri a)' dumpxml --inactive vm-rec | grep -q mdev-migcheck"
    cleanup_vm vm-rec
    ;;
compatible_chain)
    start_vm a vm-chain 1
    expect "recorded on A" wait_recorded a vm-chain
    migrate a b vm-chain
    echo "success_a_to_b $secs" >>"$RESULTS/timings.txt"
    expect "A->B succeeds" test "$rc" -eq 0
    expect "runs on B" test "$(state b vm-chain)" = running
    expect "gone from A" sh -c "! ip netns exec ${E2E_NS_PREFIX}a virsh -q -c '$(host_uri a)' list --all --name | grep -qx vm-chain"
    md=$(metadata b vm-chain)
    echo "$md"
    expect "B's live metadata holds B's record" contains "$md" 'host="hostB"'
    expect "B's record names B's parent" contains "$md" 'parent="0000:00:03.0"'
    migrate b a vm-chain
    echo "success_b_to_a $secs" >>"$RESULTS/timings.txt"
    expect "B->A succeeds (chained)" test "$rc" -eq 0
    expect "runs on A again" test "$(state a vm-chain)" = running
    expect "A's record again" contains "$(metadata a vm-chain)" 'parent="0000:00:02.0"'
    cleanup_vm vm-chain
    ;;
older_minor)
    refused_case vm-older 2 "mdev $(uuid 2) (i915-GVTg_V5_4): target driver rejected the source migration_version (Invalid argument)"
    ;;
other_device)
    refused_case vm-otherdev 3 "mdev $(uuid 3) (i915-GVTg_V5_4): target driver rejected the source migration_version (Invalid argument)"
    ;;
other_type)
    refused_case vm-othertype 4 "mdev $(uuid 4): type mismatch: the source has i915-GVTg_V5_4, this host has i915-GVTg_V5_8 on parent 0000:00:05.0"
    ;;
attribute_absent)
    refused_case vm-absent 5 "mdev $(uuid 5) (i915-GVTg_V5_4) on parent 0000:00:06.0: this host has no migration_version attribute: the target driver does not support migration"
    ;;
uuid_missing)
    refused_case vm-missing 6 "mdev $(uuid 6) (i915-GVTg_V5_4): does not exist on this host; create it on a parent that accepts the version. Parents offering i915-GVTg_V5_4: 0000:00:03.0: accepts the version, 3 instance(s) available; 0000:00:04.0: rejects the version (Invalid argument), 5 instance(s) available; 0000:00:05.0: rejects the version (Invalid argument), 1 instance(s) available; 0000:00:06.0: has no migration_version, 1 instance(s) available"
    ;;
two_mdevs)
    start_vm a vm-two 7 2
    expect "recorded on A" wait_recorded a vm-two
    migrate a b vm-two
    expect "refused" test "$rc" -ne 0
    expect "the incompatible one is named" contains "$err" \
        "$(refusal vm-two "mdev $(uuid 2) (i915-GVTg_V5_4): target driver rejected the source migration_version (Invalid argument)")"
    expect "the compatible one is not called failing" lacks "$err" "mdev $(uuid 7)"
    expect "still running on A" test "$(state a vm-two)" = running
    # The operator's view on B, checking the VM on A: both devices named.
    set +e
    table=$(on_b mdev-migcheck check -c "$(host_tcp a)" vm-two 2>&1)
    crc=$?
    set -e
    echo "$table"
    expect "check on B exits 1" test "$crc" -eq 1
    expect "check names the compatible device" contains "$table" "$(uuid 7) i915-GVTg_V5_4  compatible"
    expect "check names the refused device" contains "$table" "$(uuid 2) i915-GVTg_V5_4  refused"
    cleanup_vm vm-two
    ;;
no_mdev)
    start_vm a vm-plain
    migrate a b vm-plain
    expect "a VM without mdevs migrates" test "$rc" -eq 0
    expect "runs on B" test "$(state b vm-plain)" = running
    expect "no mdev-migcheck metadata on B" sh -c "! ip netns exec ${E2E_NS_PREFIX}b virsh -q -c '$(host_uri b)' dumpxml vm-plain | grep -q mdev-migcheck"
    cleanup_vm vm-plain
    ;;
p2p)
    start_vm a vm-p2p 1
    expect "recorded on A" wait_recorded a vm-p2p
    migrate a b vm-p2p --p2p
    expect "--p2p A->B succeeds" test "$rc" -eq 0
    expect "runs on B" test "$(state b vm-p2p)" = running
    expect "B's record" contains "$(metadata b vm-p2p)" 'host="hostB"'
    cleanup_vm vm-p2p
    start_vm a vm-p2p-older 2
    expect "recorded on A" wait_recorded a vm-p2p-older
    migrate a b vm-p2p-older --p2p
    expect "--p2p to an older driver is refused" test "$rc" -ne 0
    expect "with the reason" contains "$err" \
        "$(refusal vm-p2p-older "mdev $(uuid 2) (i915-GVTg_V5_4): target driver rejected the source migration_version (Invalid argument)")"
    expect "still running on A" test "$(state a vm-p2p-older)" = running
    cleanup_vm vm-p2p-older
    ;;
save_restore)
    mkdir -p "$E2E_STATE/save"
    start_vm a vm-saved 1
    expect "recorded on A" wait_recorded a vm-saved
    expect "virsh save on A" vsh a save vm-saved "$E2E_STATE/save/vm-saved.sav"
    set +e
    out=$(vsh b restore "$E2E_STATE/save/vm-saved.sav" 2>&1)
    rrc=$?
    set -e
    echo "   restore on B: exit $rrc $out"
    expect "virsh restore on B succeeds" test "$rrc" -eq 0
    expect "runs on B" test "$(state b vm-saved)" = running
    expect "B's record" contains "$(metadata b vm-saved)" 'host="hostB"'
    cleanup_vm vm-saved
    start_vm a vm-saved-older 2
    expect "recorded on A" wait_recorded a vm-saved-older
    expect "virsh save on A" vsh a save vm-saved-older "$E2E_STATE/save/vm-saved-older.sav"
    set +e
    out=$(vsh b restore "$E2E_STATE/save/vm-saved-older.sav" 2>&1)
    rrc=$?
    set -e
    echo "   restore on B: exit $rrc $out"
    expect "restore to an older driver is refused" test "$rrc" -ne 0
    expect "with the reason" contains "$out" \
        "mdev-migcheck: refusing restore of vm-saved-older: mdev $(uuid 2) (i915-GVTg_V5_4): target driver rejected the source migration_version (Invalid argument)"
    expect "nothing running on B" sh -c "! ip netns exec ${E2E_NS_PREFIX}b virsh -q -c '$(host_uri b)' list --name | grep -qx vm-saved-older"
    rm -rf "$E2E_STATE/save"
    ;;
hung_attribute)
    attr=devices/pci0000:00/0000:00:03.0/mdev_supported_types/i915-GVTg_V5_4/migration_version
    start_vm a vm-hung 1
    expect "recorded on A" wait_recorded a vm-hung
    sim_ctl b "hang-write $attr"
    migrate a b vm-hung
    echo "refused_hung $secs" >>"$RESULTS/timings.txt"
    expect "refused" test "$rc" -ne 0
    expect "the reason says timed out" contains "$err" \
        "$(refusal vm-hung "mdev $(uuid 1) (i915-GVTg_V5_4): target driver did not answer the migration_version write within 1500 ms (timed out)")"
    expect "within the configured deadline (1.5 s per access, plus libvirt's own work)" \
        test "$(echo "$secs < 6" | bc)" -eq 1
    t0=$(now)
    expect "B's daemon stays responsive" timeout 5 ip netns exec "${E2E_NS_PREFIX}b" virsh -q -c "$(host_uri b)" list
    echo "   B answered in $(elapsed "$t0")s"
    expect "still running on A" test "$(state a vm-hung)" = running
    sim_ctl b "clear all"
    cleanup_vm vm-hung
    ;;
*)
    echo "scenario.sh: unknown scenario '$name'" >&2
    exit 2
    ;;
esac

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
