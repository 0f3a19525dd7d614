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

lacks() { ! contains "$@"; }

# A 64 MiB TCG guest with the given mdevs (by index), started transient on HOST
# (defined, then started, with PERSISTENT=1).
start_vm() { # HOST NAME INDEX...
    local h=$1 dom=$2 i
    shift 2
    {
        echo "<domain type='qemu'><name>$dom</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
        echo "<os><type arch='x86_64' machine='pc'>hvm</type></os><on_poweroff>destroy</on_poweroff>"
        # ACPI=1: the PCI bus takes hot-plugged devices (no -no-acpi).
        [ "${ACPI:-}" = 1 ] && echo "<features><acpi/></features>"
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
# Waits until the recorder stored HOST's record for DOM (at most 30 s):
# its kernel facts, or WHAT.
wait_recorded() { # HOST DOM [WHAT]
    for _ in $(seq 300); do
        contains "$(metadata "$1" "$2")" "${3:-fact name=}" && return 0
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
# A device's name in messages, once found on this host.
subject() { echo "mdev $(uuid "$1") ($2) on parent $3"; }
rejected() { echo "target driver rejected the source migration_version (EINVAL: Invalid argument)"; }
# The hook's verdict lines in HOST's syslog since MARK (a line count).
syslog_mark() { wc -l <"$(host_syslog "$1")"; }
syslog_since() { tail -n +"$(($2 + 1))" "$(host_syslog "$1")"; }
# HOST's mdev-migcheck.conf: the installed one plus LINES, or as installed.
conf_set() { # HOST LINE...
    local h=$1
    shift
    printf '%s\n' "$@" >>"$(host_conf "$h")"
}
conf_reset() { cat "$E2E_CONF" >"$(host_conf "$1")"; }
# The version of HOST's NVIDIA driver (both modules), as after an update.
t4_driver() { # HOST VERSION
    sim_ctl "$1" "set-attr module/nvidia/version $2"
    sim_ctl "$1" "set-attr module/nvidia_vgpu_vfio/version $2"
}
# `mdev-migcheck` as an operator on host B runs it, in B's namespaces.
on_b() {
    nsenter -t "$(cat "$(host_dir b)/run/libvirtd.pid")" -m -u -n -- "$@"
}
# The same on host A.
on_a() {
    nsenter -t "$(host_pid a)" -m -u -n -- "$@"
}
# Starts a domain on A that carries no record, as one started before
# mdev-migcheck was installed: the hook records nothing while disabled.
start_unrecorded() { # NAME INDEX
    conf_set a "enabled = no"
    start_vm a "$@"
    conf_reset a
    expect "$1: no record on A" test -z "$(metadata a "$1")"
}
# `virsh start` or `virsh restore` on A; sets rc and out.
resume_on_a() { # VIRSH-ARGS...
    set +e
    out=$(vsh a "$@" 2>&1)
    rc=$?
    set -e
    echo "   virsh $*: exit $rc${out:+: $out}"
}
unrecorded_image() { # DOM
    echo "mdev-migcheck: refusing restore of $1: mdev $(uuid 1): the save image carries no record of it (images saved before mdev-migcheck was installed have none); next: on this host: mdev-migcheck annotate --managed-save $1 (or --save-image FILE)"
}

# NVIDIA's NVML on HOST: the fake libnvidia-ml.so.1 (built from
# tests/oracles/nvml) in the library directory of the host's mount namespace,
# where libvirtd, the hook, the recorder and the nvml oracle they run find
# it without LD_LIBRARY_PATH.  The fake answers from fake-nvml.json at the
# oracle's MDEV_MIGCHECK_ROOT, /, and logs its calls to /fake-nvml.log: the
# host's own files are bind-mounted on both, over empty files made for this
# in the real / and removed by nvml_off.
E2E_LIBDIR=/usr/lib/$(gcc -print-multiarch)
NVML_FILES=(/fake-nvml.json /fake-nvml.log)
nvml_on() { # HOST SCENARIO-JSON
    local h=$1 R f
    R=$(host_dir "$h")
    printf '%s\n' "$2" >"$R/fake-nvml.json"
    : >"$R/fake-nvml.log"
    for f in "${NVML_FILES[@]}"; do
        if [ ! -e "$f" ]; then
            : >"$f"
            echo "$f" >>"$E2E_STATE/made-in-root"
        fi
    done
    nsenter -t "$(host_pid "$h")" -m -- sh -ec "
        mount -t overlay overlay -o lowerdir=$E2E_STATE/fake-nvml:$E2E_LIBDIR $E2E_LIBDIR
        mount --bind $R/fake-nvml.json /fake-nvml.json
        mount --bind $R/fake-nvml.log /fake-nvml.log"
    touch "$R/nvml-on"
}
nvml_off_host() { # HOST
    local R
    R=$(host_dir "$1")
    [ -f "$R/nvml-on" ] || return 0
    nsenter -t "$(host_pid "$1")" -m -- sh -c "
        umount /fake-nvml.json; umount /fake-nvml.log
        umount $E2E_LIBDIR 2>/dev/null || umount -l $E2E_LIBDIR"
    rm -f "$R/nvml-on"
}
nvml_off() {
    local h f
    for h in "${E2E_HOSTS[@]}"; do
        nvml_off_host "$h"
    done
    if [ -f "$E2E_STATE/made-in-root" ]; then
        while read -r f; do
            rm -f "$f"
        done <"$E2E_STATE/made-in-root"
        rm -f "$E2E_STATE/made-in-root"
    fi
}

# A qemu.d hook on B named to run before ours (libvirt runs them in byte
# order), as an orchestrator's would: at `migrate begin` it rewrites the
# hostdev's mdev UUID FROM to TO in the XML it prints.
REWRITE_HOOK=$(host_dir b)/etc/hooks/qemu.d/10-e2e-rewrite-uuid
rewrite_hook_on() { # FROM TO
    cat >"$REWRITE_HOOK" <<HOOK
#!/bin/sh
# e2e (scenario.sh hook_rewrites): rewrites mdev $1 to $2 at migrate begin.
[ "\$2 \$3" = "migrate begin" ] || exit 0
exec sed "s/<address uuid='$1'/<address uuid='$2'/"
HOOK
    chmod 755 "$REWRITE_HOOK"
}
# Whether libvirt marked DOM on HOST tainted by a hook's XML (virsh
# dominfo's "Messages:").
hook_tainted() { vsh "$1" dominfo "$2" 2>/dev/null | grep -q "modified by hook script"; }
untainted() { ! hook_tainted "$1" "$2"; }
# The guest PCI address HOST's record gives DOM's mdev.
recorded_address() { metadata "$1" "$2" | grep -o 'address="[0-9a-f:.]*"' | head -1 | cut -d'"' -f2; }
# `mdev-migcheck watch` in A's namespaces, as the package's service runs it.
WATCH_PID=$E2E_STATE/watch-a.pid
# nsenter execs it: $! is the watch's own pid.
watch_start() {
    nsenter -t "$(host_pid a)" -m -u -n -- mdev-migcheck watch </dev/null >>"$E2E_STATE/watch-a.out" 2>&1 &
    echo $! >"$WATCH_PID"
}
watch_stop() {
    [ -f "$WATCH_PID" ] || return 0
    kill "$(cat "$WATCH_PID")" 2>/dev/null || true
    rm -f "$WATCH_PID"
}

# Every scenario starts and ends with no guest on either host.
clear_hosts() {
    local h d
    watch_stop
    for h in "${E2E_HOSTS[@]}"; do
        for d in $(vsh "$h" list --all --name 2>/dev/null); do
            cleanup_vm "$d"
        done
    done
    sim_ctl a "clear all" 2>/dev/null || true
    sim_ctl b "clear all" 2>/dev/null || true
    rm -f "$REWRITE_HOOK"
    # The topologies' driver versions (chained_window changes them).
    sim_ctl b "set-software-version 0000:00:03.0 5.2" 2>/dev/null || true
    sim_ctl c "set-software-version 0000:00:03.0 5.1" 2>/dev/null || true
    for h in "${E2E_HOSTS[@]}"; do
        conf_reset "$h"
        t4_driver "$h" "$E2E_T4_DRIVER" 2>/dev/null || true
    done
    nvml_off
}
clear_hosts
trap clear_hosts EXIT

# Waits until the device of INDEX is gone from HOST (at most 30 s: gc runs
# detached after release end).
wait_gone() { # HOST INDEX
    for _ in $(seq 300); do
        [ -e "$(host_sim "$1")/bus/mdev/devices/$(uuid "$2")" ] || return 0
        sleep 0.1
    done
    return 1
}
refused_case() { # DOM INDEX MESSAGE
    local dom=$1 idx=$2 msg=$3
    start_vm a "$dom" "$idx"
    expect "$dom: recorded on A" wait_recorded a "$dom"
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
    # The hook hands libvirt no XML (no taint): the recorder started at
    # `started begin` stores B's record once the incoming job is over.
    expect "B's live metadata holds B's record" wait_recorded b vm-chain 'host="hostB"'
    md=$(metadata b vm-chain)
    echo "$md"
    expect "B's record names B's parent" contains "$md" 'parent="0000:00:03.0"'
    migrate b a vm-chain
    echo "success_b_to_a $secs" >>"$RESULTS/timings.txt"
    expect "B->A succeeds (chained)" test "$rc" -eq 0
    expect "runs on A again" test "$(state a vm-chain)" = running
    expect "A's record again" wait_recorded a vm-chain 'parent="0000:00:02.0"'
    cleanup_vm vm-chain
    ;;
older_minor)
    refused_case vm-older 2 "$(subject 2 i915-GVTg_V5_4 0000:00:04.0): $(rejected)"
    ours=$secs
    # libvirt's own fastest refusal, for scale: the destination already runs
    # a domain of that name (no mdev: the hook's front end exits at once).
    start_vm b vm-dup
    start_vm a vm-dup
    migrate a b vm-dup
    echo "libvirt_refused $secs" >>"$RESULTS/timings.txt"
    expect "libvirt refuses a migration to a host running a domain of that name" test "$rc" -ne 0
    expect "libvirt's reason names the domain" contains "$err" "vm-dup"
    expect "vm-dup still running on A" test "$(state a vm-dup)" = running
    expect "B's vm-dup still running" test "$(state b vm-dup)" = running
    awk -v o="$ours" -v l="$secs" 'BEGIN {
        printf "   refused by mdev-migcheck: %.3f s; refused by libvirt (name taken): %.3f s; ratio %.2f\n", o, l, l > 0 ? o / l : 0
    }'
    cleanup_vm vm-dup
    ;;
other_device)
    refused_case vm-otherdev 3 "$(subject 3 i915-GVTg_V5_4 0000:00:05.0): $(rejected)"
    ;;
other_type)
    refused_case vm-othertype 4 "mdev $(uuid 4): type mismatch: the source has 'i915-GVTg_V5_4', this host has 'i915-GVTg_V5_8' on parent 0000:00:05.0"
    ;;
attribute_absent)
    # B's driver has no migration_version: the protocol cannot tell, the
    # kernel facts both hosts read decide, and they are the same.
    start_vm a vm-absent 5
    expect "recorded on A" wait_recorded a vm-absent
    mark=$(syslog_mark b)
    migrate a b vm-absent
    expect "A->B succeeds" test "$rc" -eq 0
    expect "runs on B" test "$(state b vm-absent)" = running
    expect "B's record names B's parent" wait_recorded b vm-absent 'parent="0000:00:06.0"'
    log=$(syslog_since b "$mark")
    echo "$log"
    expect "B logged the fingerprint's verdict" contains "$log" \
        "migrate of domain vm-absent: accepted [fingerprint]: $(subject 5 i915-GVTg_V5_4 0000:00:06.0): the kernel facts match the source's: type, type.name, type.description, type.device_api, parent.kind, parent.pci"
    cleanup_vm vm-absent
    ;;
uuid_missing)
    # B has no device of that UUID: the hook creates it on a compatible
    # parent with room (0000:00:03.0: the source's parent address does not
    # exist on B, and it comes first in name order), the VM runs there, and
    # once it is gone from B, gc removes what was created.
    start_vm a vm-missing 6
    expect "recorded on A" wait_recorded a vm-missing
    migrate a b vm-missing
    expect "A->B succeeds" test "$rc" -eq 0
    expect "runs on B" test "$(state b vm-missing)" = running
    expect "created on B's 0000:00:03.0" test -e "$(host_sim b)/class/mdev_bus/0000:00:03.0/$(uuid 6)"
    expect "journalled on B" on_b test -f "/run/mdev-migcheck/created/$(uuid 6)"
    expect "the creation is logged on B" grep -qF "created mdev $(uuid 6) (i915-GVTg_V5_4) on parent 0000:00:03.0" "$(host_syslog b)"
    expect "A's device is still there" test -e "$(host_sim a)/bus/mdev/devices/$(uuid 6)"
    expect "A's device was never written to" sh -c "! grep -qF '$(uuid 6)/remove' '$(host_dir a)/writes.jsonl'"
    cleanup_vm vm-missing
    expect "gc removed it from B once the VM was gone" wait_gone b 6
    expect "and its journal entry" on_b test ! -e "/run/mdev-migcheck/created/$(uuid 6)"
    ;;
provision_rollback)
    # The hook on B accepts and creates the device, then QEMU fails to start
    # for the incoming migration: the VM stays on A and the created device
    # goes again (the gc the hook starts at release end).
    start_vm a vm-rollback 6
    expect "recorded on A" wait_recorded a vm-rollback
    on_b touch /run/mdevmc-e2e-fail-incoming
    mark=$(syslog_mark b)
    migrate a b vm-rollback
    on_b rm -f /run/mdevmc-e2e-fail-incoming
    expect "the migration fails" test "$rc" -ne 0
    expect "QEMU's failure is the reason" contains "$err" "failing an incoming migration on purpose"
    expect "still running on A" test "$(state a vm-rollback)" = running
    expect "the hook had created it on B" contains "$(syslog_since b "$mark")" "created mdev $(uuid 6)"
    expect "gc removed it from B" wait_gone b 6
    expect "and its journal entry" on_b test ! -e "/run/mdev-migcheck/created/$(uuid 6)"
    expect "A's device is still there" test -e "$(host_sim a)/bus/mdev/devices/$(uuid 6)"
    cleanup_vm vm-rollback
    ;;
two_mdevs)
    start_vm a vm-two 7 2
    expect "recorded on A" wait_recorded a vm-two
    migrate a b vm-two
    expect "refused" test "$rc" -ne 0
    expect "the incompatible one is named" contains "$err" \
        "$(refusal vm-two "$(subject 2 i915-GVTg_V5_4 0000:00:04.0): $(rejected)")"
    expect "the compatible one is not called failing" lacks "$err" "mdev $(uuid 7)"
    expect "still running on A" test "$(state a vm-two)" = running
    # The operator's view on B, checking the VM on A: both devices named.
    set +e
    table=$(on_b mdev-migcheck check -c "$(host_tcp a)" vm-two 2>&1)
    crc=$?
    set -e
    echo "$table"
    expect "check on B exits 1" test "$crc" -eq 1
    expect "check names the compatible device" contains "$table" \
        "$(uuid 7)  i915-GVTg_V5_4  compatible  protocol  target driver accepted the source migration_version"
    expect "check names the refused device" contains "$table" \
        "$(uuid 2)  i915-GVTg_V5_4  refused     protocol  $(rejected)"
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
    expect "B's record" wait_recorded b vm-p2p 'host="hostB"'
    cleanup_vm vm-p2p
    start_vm a vm-p2p-older 2
    expect "recorded on A" wait_recorded a vm-p2p-older
    migrate a b vm-p2p-older --p2p
    expect "--p2p to an older driver is refused" test "$rc" -ne 0
    expect "with the reason" contains "$err" \
        "$(refusal vm-p2p-older "$(subject 2 i915-GVTg_V5_4 0000:00:04.0): $(rejected)")"
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
    expect "B's record" wait_recorded b vm-saved 'host="hostB"'
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
        "mdev-migcheck: refusing restore of vm-saved-older: $(subject 2 i915-GVTg_V5_4 0000:00:04.0): $(rejected)"
    expect "nothing running on B" sh -c "! ip netns exec ${E2E_NS_PREFIX}b virsh -q -c '$(host_uri b)' list --name | grep -qx vm-saved-older"
    rm -rf "$E2E_STATE/save"
    ;;
managed_save_unrecorded)
    PERSISTENT=1 start_unrecorded vm-ms 1
    expect "virsh managedsave" vsh a managedsave vm-ms
    resume_on_a start vm-ms
    expect "start of the unrecorded image is refused" test "$rc" -ne 0
    expect "naming the command that records it" contains "$out" "$(unrecorded_image vm-ms)"
    expect "the image is kept" contains "$(vsh a domstate vm-ms --reason)" "shut off (saved)"
    expect "annotate --managed-save" on_a mdev-migcheck annotate --managed-save vm-ms
    expect "the image carries A's record" \
        contains "$(vsh a managedsave-dumpxml vm-ms)" 'host="hostA"'
    resume_on_a start vm-ms
    expect "virsh start succeeds" test "$rc" -eq 0
    expect "the VM resumed from its image, not a fresh boot" \
        contains "$(vsh a domstate vm-ms --reason)" "running (restored)"
    expect "it runs with A's record" contains "$(metadata a vm-ms)" 'host="hostA"'
    cleanup_vm vm-ms
    ;;
save_image_unrecorded)
    mkdir -p "$E2E_STATE/save"
    img=$E2E_STATE/save/vm-si.sav
    start_unrecorded vm-si 1
    expect "virsh save" vsh a save vm-si "$img"
    resume_on_a restore "$img"
    expect "restore of the unrecorded image is refused" test "$rc" -ne 0
    expect "naming the command that records it" contains "$out" "$(unrecorded_image vm-si)"
    expect "annotate --save-image" on_a mdev-migcheck annotate --save-image "$img"
    resume_on_a restore "$img"
    expect "virsh restore succeeds" test "$rc" -eq 0
    expect "the VM resumed from its image" \
        contains "$(vsh a domstate vm-si --reason)" "running (restored)"
    cleanup_vm vm-si
    rm -rf "$E2E_STATE/save"
    ;;
hotplug_watch)
    mark=$(syslog_mark a)
    watch_start
    # Connected (and caught up) before the VM exists: what follows is events.
    for _ in $(seq 100); do
        contains "$(syslog_since a "$mark")" "watch: watching for mdevs" && break
        sleep 0.1
    done
    expect "the watch is connected" contains "$(syslog_since a "$mark")" "watch: watching for mdevs"
    ACPI=1 start_vm a vm-hp
    expect "no mdev, no record" test -z "$(metadata a vm-hp)"
    mark=$(syslog_mark a)
    echo "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='$(uuid 1)'/></source></hostdev>" \
        >"$E2E_STATE/vm-hp-mdev.xml"
    set +e
    out=$(vsh a attach-device vm-hp "$E2E_STATE/vm-hp-mdev.xml" --live 2>&1)
    arc=$?
    set -e
    echo "   virsh attach-device --live: exit $arc${out:+: $out}"
    expect "the mdev is hot-plugged" test "$arc" -eq 0
    expect "the watch records it" wait_recorded a vm-hp
    expect "the watch says why" contains "$(syslog_since a "$mark")" "recorded (device hostdev0 added) domain vm-hp"
    expect "A's record of the hot-plugged mdev" contains "$(metadata a vm-hp)" "uuid=\"$(uuid 1)\""
    migrate a b vm-hp
    expect "the migration to B is accepted" test "$rc" -eq 0
    expect "runs on B" test "$(state b vm-hp)" = running
    watch_stop
    cleanup_vm vm-hp
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
        "$(refusal vm-hung "$(subject 1 i915-GVTg_V5_4 0000:00:03.0): target driver did not answer the migration_version write within 1500 ms (timed out)")"
    expect "within the configured deadline (1.5 s per access, plus libvirt's own work)" \
        test "$(echo "$secs < 6" | bc)" -eq 1
    t0=$(now)
    expect "B's daemon stays responsive" timeout 5 ip netns exec "${E2E_NS_PREFIX}b" virsh -q -c "$(host_uri b)" list
    echo "   B answered in $(elapsed "$t0")s"
    expect "still running on A" test "$(state a vm-hung)" = running
    sim_ctl b "clear all"
    cleanup_vm vm-hung
    ;;
t4_same_driver)
    # NVIDIA T4 hosts as shipped: no migration_version anywhere; the same
    # driver on both, so the kernel facts match.
    start_vm a vm-t4 8
    expect "A's kernel facts recorded" wait_recorded a vm-t4
    md=$(metadata a vm-t4)
    echo "$md"
    expect "A's record has no migration_version" lacks "$md" "version=\""
    expect "A's record holds the driver version" contains "$md" \
        "fact name=\"driver.version\" value=\"$E2E_T4_DRIVER\"/>"
    mark=$(syslog_mark b)
    migrate a b vm-t4
    echo "success_t4 $secs" >>"$RESULTS/timings.txt"
    expect "A->B succeeds" test "$rc" -eq 0
    expect "runs on B" test "$(state b vm-t4)" = running
    expect "gone from A" sh -c "! ip netns exec ${E2E_NS_PREFIX}a virsh -q -c '$(host_uri a)' list --all --name | grep -qx vm-t4"
    expect "B's live metadata holds B's record" wait_recorded b vm-t4 'host="hostB"'
    md=$(metadata b vm-t4)
    expect "B's record names the T4" contains "$md" "type=\"nvidia-231\" parent=\"0000:3b:00.0\""
    expect "B's record holds B's driver version" contains "$md" \
        "fact name=\"vendor_module.version\" value=\"$E2E_T4_DRIVER\"/>"
    log=$(syslog_since b "$mark")
    echo "$log"
    expect "B logged the fingerprint's verdict" contains "$log" \
        "migrate of domain vm-t4: accepted [fingerprint]: $(subject 8 nvidia-231 0000:3b:00.0): the kernel facts match the source's: type, type.name, type.description, type.device_api, parent.pci, parent.subsystem, driver, driver.version, vendor_module.version"
    cleanup_vm vm-t4
    ;;
t4_driver_differs)
    t4_driver b 550.90.07
    mark=$(syslog_mark b)
    refused_case vm-t4-drv 8 "$(subject 8 nvidia-231 0000:3b:00.0): host driver nvidia '$E2E_T4_DRIVER' on the source, '550.90.07' here (driver_version = identical); vendor module nvidia_vgpu_vfio '$E2E_T4_DRIVER' on the source, '550.90.07' here (driver_version = identical)"
    expect "B logged it with its evidence" contains "$(syslog_since b "$mark")" \
        "migrate of domain vm-t4-drv: refused [fingerprint]: $(subject 8 nvidia-231 0000:3b:00.0): host driver nvidia"
    ;;
t4_same_or_newer)
    t4_driver b 550.90.07
    conf_set a "driver_version = same-or-newer"
    conf_set b "driver_version = same-or-newer"
    start_vm a vm-t4-newer 8
    expect "recorded on A" wait_recorded a vm-t4-newer
    migrate a b vm-t4-newer
    echo "success_t4_newer $secs" >>"$RESULTS/timings.txt"
    expect "A->B (newer driver) succeeds with same-or-newer" test "$rc" -eq 0
    expect "runs on B" test "$(state b vm-t4-newer)" = running
    expect "B's record holds B's driver version" wait_recorded b vm-t4-newer \
        "fact name=\"driver.version\" value=\"550.90.07\"/>"
    migrate b a vm-t4-newer
    expect "B->A (older driver) is refused" test "$rc" -ne 0
    expect "with the rule's reason" contains "$err" \
        "$(refusal vm-t4-newer "$(subject 8 nvidia-231 0000:3b:00.0): host driver nvidia '550.90.07' on the source, '$E2E_T4_DRIVER' here (driver_version = same-or-newer: this host's is older)")"
    expect "still running on B" test "$(state b vm-t4-newer)" = running
    cleanup_vm vm-t4-newer
    ;;
t4_audit)
    t4_driver b 550.90.07
    conf_set b "mode = audit"
    start_vm a vm-t4-audit 8
    expect "recorded on A" wait_recorded a vm-t4-audit
    mark=$(syslog_mark b)
    migrate a b vm-t4-audit
    expect "audit mode lets the migration through" test "$rc" -eq 0
    expect "runs on B" test "$(state b vm-t4-audit)" = running
    log=$(syslog_since b "$mark")
    echo "$log"
    expect "B's syslog says what enforce would have done" contains "$log" \
        "migrate of domain vm-t4-audit: would refuse (audit) [fingerprint]: $(subject 8 nvidia-231 0000:3b:00.0): host driver nvidia '$E2E_T4_DRIVER' on the source, '550.90.07' here"
    expect "B's record is stored" wait_recorded b vm-t4-audit 'host="hostB"'
    cleanup_vm vm-t4-audit
    ;;
nvml_refuses)
    # The same driver on both T4 hosts, so the kernel facts match; NVML
    # (the fake) says the guest's driver is too old for B's vGPU manager.
    nvml_on a "{\"gpus\": [{\"bus_id\": \"0000:3b:00.0\", \"host_driver\": \"$E2E_T4_DRIVER\",
        \"vgpu_range\": [1114113, 1179649],
        \"vgpus\": [{\"instance\": 7, \"mdev_uuid\": \"$(uuid 9)\", \"guest_driver\": \"535.129.03\",
                     \"guest_vgpu_version\": 1114114, \"opaque\": \"0a0b0c\"}]}]}"
    nvml_on b "{\"gpus\": [{\"bus_id\": \"0000:3b:00.0\", \"host_driver\": \"$E2E_T4_DRIVER\",
        \"vgpu_range\": [1114113, 1179649]}],
      \"compatibility\": [{\"guest_driver\": \"535.129.03\", \"states\": [\"cold\"],
                          \"limit\": [\"guest_driver\"]}]}"
    start_vm a vm-nvml 9
    expect "A recorded NVML's token" wait_recorded a vm-nvml 'oracle name="nvml" token="'
    expect "and its kernel facts" contains "$(metadata a vm-nvml)" "fact name=\"driver.version\" value=\"$E2E_T4_DRIVER\"/>"
    mark=$(syslog_mark b)
    migrate a b vm-nvml
    echo "refused_nvml $secs" >>"$RESULTS/timings.txt"
    expect "refused" test "$rc" -ne 0
    expect "with NVML's reason" contains "$err" \
        "$(refusal vm-nvml "$(subject 9 nvidia-231 0000:3b:00.0): oracle nvml: guest driver 535.129.03 is not supported by this host's vGPU manager $E2E_T4_DRIVER")"
    expect "B logged the oracle as the evidence" contains "$(syslog_since b "$mark")" \
        "migrate of domain vm-nvml: refused [oracle:nvml]: $(subject 9 nvidia-231 0000:3b:00.0): oracle nvml:"
    expect "NVML was asked on B" grep -qx nvmlGetVgpuCompatibility "$(host_dir b)/fake-nvml.log"
    expect "still running on A" test "$(state a vm-nvml)" = running
    expect "nothing left on B" sh -c "! ip netns exec ${E2E_NS_PREFIX}b virsh -q -c '$(host_uri b)' list --all --name | grep -qx vm-nvml"
    # Without NVML on B the oracle does not claim the device, and the
    # matching kernel facts let the same VM go.
    nvml_off_host b
    migrate a b vm-nvml
    expect "without NVML on B the fingerprint accepts it" test "$rc" -eq 0
    expect "runs on B" test "$(state b vm-nvml)" = running
    cleanup_vm vm-nvml
    ;;
offline)
    # No device state travels in an offline migration: it is accepted, and
    # the VM starts on B afterwards.
    PERSISTENT=1 start_vm a vm-off 1
    vsh a destroy vm-off >/dev/null
    t0=$(now)
    set +e
    err=$(vsh a migrate --offline --persistent vm-off "$(host_tcp b)" 2>&1 >/dev/null)
    rc=$?
    set -e
    echo "   virsh migrate --offline --persistent vm-off a->b: exit $rc in $(elapsed "$t0")s${err:+: $err}"
    expect "--offline --persistent A->B succeeds" test "$rc" -eq 0
    expect "defined on B, shut off" test "$(state b vm-off)" = "shut off"
    set +e
    err=$(vsh b start vm-off 2>&1 >/dev/null)
    rc=$?
    set -e
    expect "and starts there right away${err:+ ($err)}" test "$rc" -eq 0
    expect "runs on B" test "$(state b vm-off)" = running
    expect "B records it after the start" wait_recorded b vm-off 'host="hostB"'
    cleanup_vm vm-off
    ;;
unrecorded_live)
    # A VM A never recorded (started while mdev-migcheck was disabled there):
    # migrate begin on B cannot tell it from an offline migration, so the
    # live migration is refused at prepare begin, before QEMU starts on B.
    conf_set a "enabled = no"
    start_vm a vm-unrec 1
    conf_reset a
    migrate a b vm-unrec
    echo "refused_unrecorded $secs" >>"$RESULTS/timings.txt"
    expect "refused" test "$rc" -ne 0
    expect "at prepare begin" contains "$err" "vm-unrec prepare begin -) unexpected exit status 1"
    expect "saying why and what to do" contains "$err" "$(refusal vm-unrec "mdev $(uuid 1): the source host recorded nothing for it: if the VM has just started there, retry in a moment; if it has run there since before mdev-migcheck was installed, record it with annotate; next: on the source host: mdev-migcheck annotate vm-unrec")"
    expect "still running on A" test "$(state a vm-unrec)" = running
    expect "nothing left on B" sh -c "! ip netns exec ${E2E_NS_PREFIX}b virsh -q -c '$(host_uri b)' list --all --name | grep -qx vm-unrec"
    nsenter -t "$(host_pid a)" -m -u -n -- mdev-migcheck annotate vm-unrec >/dev/null
    migrate a b vm-unrec
    expect "after annotate on A it migrates" test "$rc" -eq 0
    expect "runs on B" test "$(state b vm-unrec)" = running
    cleanup_vm vm-unrec
    ;;
start_window)
    # The recorder on A is held back (its read of the type's
    # migration_version waits 1.2 s): a migration right after the start
    # is refused with "retry", and passes once A has recorded.
    sim_ctl a "delay-read devices/pci0000:00/0000:00:02.0/mdev_supported_types/i915-GVTg_V5_4/migration_version 1200"
    start_vm a vm-win 1
    migrate a b vm-win
    sim_ctl a "clear all"
    expect "refused in the window" test "$rc" -ne 0
    expect "with retry" contains "$err" "$(refusal vm-win "mdev $(uuid 1): the source host recorded nothing for it: if the VM has just started there, retry in a moment")"
    expect "still running on A" test "$(state a vm-win)" = running
    expect "recorded on A" wait_recorded a vm-win
    migrate a b vm-win
    expect "the retry migrates" test "$rc" -eq 0
    expect "runs on B" test "$(state b vm-win)" = running
    cleanup_vm vm-win
    # The window itself: from `virsh create` returning to A's record.
    for i in 1 2 3 4 5; do
        start_vm a "vm-sw$i" 1
        t0=$(now)
        expect "recorded on A ($i)" wait_recorded a "vm-sw$i"
        w=$(elapsed "$t0")
        echo "   start window $i: ${w}s"
        echo "start_window $w" >>"$RESULTS/timings.txt"
        cleanup_vm "vm-sw$i"
    done
    ;;
rewritten_xml)
    # `virsh migrate --xml` with the mdev UUID rewritten to one that exists
    # on B: A's record has the old UUID, and the hostdev's guest address.
    start_vm a vm-rew 1
    expect "recorded on A" wait_recorded a vm-rew
    addr=$(recorded_address a vm-rew)
    expect "A's record has the hostdev's guest address ($addr)" test -n "$addr"
    vsh a dumpxml --migratable vm-rew |
        sed "s/<address uuid='$(uuid 1)'/<address uuid='$(uuid 7)'/" >"$E2E_STATE/vm-rew-b.xml"
    mark=$(syslog_mark b)
    migrate a b vm-rew --xml "$E2E_STATE/vm-rew-b.xml"
    echo "success_rewritten_xml $secs" >>"$RESULTS/timings.txt"
    expect "A->B with a rewritten UUID succeeds" test "$rc" -eq 0
    expect "runs on B" test "$(state b vm-rew)" = running
    expect "B runs it on the rewritten UUID" contains "$(vsh b dumpxml vm-rew)" "uuid='$(uuid 7)'"
    log=$(syslog_since b "$mark")
    echo "$log"
    expect "B's verdict says how the record was matched" contains "$log" \
        "migrate of domain vm-rew: accepted [protocol]: $(subject 7 i915-GVTg_V5_4 0000:00:03.0): target driver accepted the source migration_version; matched by guest address $addr to the source's record of mdev $(uuid 1) (source host 'hostA')"
    expect "B's record names the UUID B runs" wait_recorded b vm-rew "uuid=\"$(uuid 7)\""
    expect "not tainted by a hook" untainted b vm-rew
    cleanup_vm vm-rew
    rm -f "$E2E_STATE/vm-rew-b.xml"
    ;;
hook_rewrites)
    # A hook in B's qemu.d that runs before ours rewrites the UUID.
    rewrite_hook_on "$(uuid 1)" "$(uuid 7)"
    start_vm a vm-hookrw 1
    expect "recorded on A" wait_recorded a vm-hookrw
    addr=$(recorded_address a vm-hookrw)
    mark=$(syslog_mark b)
    migrate a b vm-hookrw
    expect "A->B through the rewriting hook succeeds" test "$rc" -eq 0
    expect "runs on B" test "$(state b vm-hookrw)" = running
    expect "B runs it on the UUID the other hook chose" contains "$(vsh b dumpxml vm-hookrw)" "uuid='$(uuid 7)'"
    expect "B's verdict says how the record was matched" contains "$(syslog_since b "$mark")" \
        "$(subject 7 i915-GVTg_V5_4 0000:00:03.0): target driver accepted the source migration_version; matched by guest address $addr to the source's record of mdev $(uuid 1)"
    # The other hook printed XML: libvirt says so (what no_taint checks
    # the absence of).
    expect "the rewriting hook's XML taints the domain" hook_tainted b vm-hookrw
    cleanup_vm vm-hookrw
    rm -f "$REWRITE_HOOK"
    ;;
no_taint)
    start_vm a vm-clean 1
    expect "recorded on A" wait_recorded a vm-clean
    migrate a b vm-clean
    expect "A->B succeeds" test "$rc" -eq 0
    vsh b dominfo vm-clean | sed 's/^/   B: /'
    expect "no taint after an accepted migration" untainted b vm-clean
    t0=$(now)
    expect "B's record appears once the recorder ran" wait_recorded b vm-clean 'host="hostB"'
    echo "   B's record seen $(elapsed "$t0") s after virsh migrate returned"
    mkdir -p "$E2E_STATE/save"
    expect "virsh save on B" vsh b save vm-clean "$E2E_STATE/save/vm-clean.sav"
    set +e
    out=$(vsh a restore "$E2E_STATE/save/vm-clean.sav" 2>&1)
    rrc=$?
    set -e
    expect "virsh restore on A succeeds" test "$rrc" -eq 0
    echo "   restore on A: exit $rrc $out"
    expect "no taint after an accepted restore" untainted a vm-clean
    expect "A's record appears once the recorder ran" wait_recorded a vm-clean 'host="hostA"'
    cleanup_vm vm-clean
    rm -rf "$E2E_STATE/save"
    ;;
chained_window)
    # A -> B, then B -> C at once.  B's driver is newer (5.3) than A's and
    # C's (5.2): B's state cannot go to C, A's could.  Until B's recorder
    # stores B's record the domain carries A's, so C must be asked with
    # B's record to refuse.
    sim_ctl b "set-software-version 0000:00:03.0 5.3"
    sim_ctl c "set-software-version 0000:00:03.0 5.2"
    # How long after A->B returns B's record is there.
    start_vm a vm-win 1
    expect "recorded on A" wait_recorded a vm-win
    migrate a b vm-win
    expect "A->B succeeds" test "$rc" -eq 0
    t0=$(now)
    expect "B's record appears" wait_recorded b vm-win 'host="hostB"'
    window=$(elapsed "$t0")
    echo "   B's record seen ${window} s after virsh migrate A->B returned"
    echo "chained_record_after_migrate $window" >>"$RESULTS/timings.txt"
    cleanup_vm vm-win
    # The chain, without waiting.
    start_vm a vm-win2 1
    expect "recorded on A" wait_recorded a vm-win2
    migrate a b vm-win2
    expect "A->B succeeds" test "$rc" -eq 0
    mark=$(syslog_mark c)
    migrate b c vm-win2
    echo "chained_b_to_c $secs" >>"$RESULTS/timings.txt"
    log=$(syslog_since c "$mark")
    echo "$log"
    expect "B->C at once is refused: C cannot take B's newer state" test "$rc" -ne 0
    expect "C decided on B's record (B's version, source host B)" contains "$err" \
        "$(refusal vm-win2 "$(subject 1 i915-GVTg_V5_4 0000:00:03.0): target driver rejected the source migration_version (EINVAL: Invalid argument): the source's '8086-193b-i915-GVTg_V5_4-5.3', this host's '8086-193b-i915-GVTg_V5_4-5.2' (evidence: protocol; source host 'hostB')")"
    expect "still running on B" test "$(state b vm-win2)" = running
    cleanup_vm vm-win2
    ;;
*)
    echo "scenario.sh: unknown scenario '$name'" >&2
    exit 2
    ;;
esac

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
