#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-external-qemu-ga.sh - external sets driven by the real qemu-guest-agent,
# as libvirt drives it (guest-fsfreeze-freeze-list, -status, -thaw on a UNIX
# socket), with the package's real fsfreeze-hook and the stasis hook in its
# hook directory. Only the test's own loop volume is ever frozen.
#  1. a round: the writer (--data on the volume) froze before the agent froze
#     the file system and thawed after it thawed it; a block-level copy of the
#     volume taken while frozen (what the hypervisor snapshots) holds whole
#     transactions only; the set is created, application-consistent, with
#     provider external; a second freeze while frozen is Busy, naming the set;
#  2. the agent killed while frozen, the file system thawed by hand: the
#     writer is thawed at the freeze window, the set is failed with that
#     reason, nothing stays frozen;
#  3. a writer that hangs in Freeze: the hook returns within its limit, the
#     agent's freeze goes on, and `stasis show` says that writer's component
#     is crash-consistent;
#  4. the VMware backupScripts.d sequence: freeze then thaw; freeze then
#     freezeFail; thaw with nothing frozen; a bad argument; the user nobody
#     may neither freeze nor thaw;
#  5. a thaw that comes while the writers are still being prepared (the
#     freeze's caller gave up waiting) thaws them as soon as they froze.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
[ -x "$STASIS_TEST_WRITER" ] || stasis_die "build the test helpers first ($STASIS_TEST_WRITER)"
QEMU_GA=$(command -v qemu-ga || echo /usr/sbin/qemu-ga)
[ -x "$QEMU_GA" ] && [ -f /etc/qemu/fsfreeze-hook ] || { echo "SKIP: qemu-guest-agent is not installed"; exit 77; }
HOOK_SRC=$STASIS_BUILD_DIR/data/hooks/stasis-freeze-hook
QGA_CALL=$STASIS_SRC/test/helpers/qga-call.py
[ -f "$HOOK_SRC" ] || stasis_die "build first ($HOOK_SRC)"

stasis_setup_alone --freeze-window 60
T=$STASIS_TMP

stasis_make_fs ext4 vol 64M
V=$STASIS_FS
VDEV=$STASIS_DEV
mkdir "$V/app" "$V/h"

# The agent's directory: the package's fsfreeze-hook (a link: it runs the
# scripts of the fsfreeze-hook.d beside the path it was started as) and the
# stasis hook in that directory, as `ninja install` puts it in /etc/qemu.
Q=$T/qga
# qemu-ga's guest-fsfreeze-thaw thaws every file system it sees, not only
# those it froze: in its own mount namespace it sees /var/log as $Q/log (the
# fsfreeze-hook logs there) and, of the mounts below /tmp and /work (other
# tests' loop volumes, which may be frozen by them right now), only $V.
# shellcheck disable=SC2016  # expanded by the namespace's shell
QGA_NS='mount --bind "$1" /var/log || exit 1
findmnt -rn -o TARGET | grep -E "^/(tmp|work)/" | sort -r | while read -r m; do
        case $m in "$2"|"$2"/*) ;; *) umount -l "$m" 2>/dev/null ;; esac
done
shift 2
exec "$@"'
mkdir -p "$Q/fsfreeze-hook.d" "$Q/log"
ln -s /etc/qemu/fsfreeze-hook "$Q/fsfreeze-hook"
install -m 0755 "$HOOK_SRC" "$Q/fsfreeze-hook.d/stasis"
QGA_PID=
QGA_RUN=0

# start_qga [VAR=VALUE...]: qemu-ga on $Q/sock, in a mount namespace of its
# own where /var/log is $Q/log (the fsfreeze-hook logs there), with a fresh
# state directory, and the environment its hooks inherit.
start_qga() {
        QGA_RUN=$((QGA_RUN + 1))
        mkdir -p "$Q/state.$QGA_RUN"
        rm -f "$Q/sock"
        unshare -m --propagation private sh -c "$QGA_NS" sh "$Q/log" "$V" \
                env STASIS="$STASIS" STASIS_BUS_ADDRESS="$STASIS_BUS_ADDRESS" "$@" \
                "$QEMU_GA" -m unix-listen -p "$Q/sock" -F"$Q/fsfreeze-hook" -t "$Q/state.$QGA_RUN" \
                -f "$Q/qga.pid.$QGA_RUN" -l "$Q/qga.log" &
        QGA_PID=$!
        stasis_track_pid "$QGA_PID"
        wait_for 10 test -S "$Q/sock"
}
stop_qga() {
        kill "$QGA_PID" 2>/dev/null || true
        wait "$QGA_PID" 2>/dev/null || true
        QGA_PID=
}
# qga COMMAND [ARGS-JSON]: "<us sent> <us answered> <reply>" in $QGA_OUT.
qga() { QGA_OUT=$(python3 "$QGA_CALL" "$Q/sock" "$@") || stasis_die "qemu-ga $1 failed: $QGA_OUT"; }
qga_field() { echo "$QGA_OUT" | awk -v f="$1" '{ print $f }'; }
qga_reply() { echo "$QGA_OUT" | cut -d' ' -f3-; }
freeze_volume() { qga guest-fsfreeze-freeze-list "{\"mountpoints\":[\"$V\"]}"; assert_eq "$(qga_reply)" '{"return":1}' "qemu-ga froze the volume"; }
thaw_volume() { qga guest-fsfreeze-thaw; assert_eq "$(qga_reply)" '{"return":1}' "qemu-ga thawed the volume"; }
# The monotonic time of writer W's EVENT for set S in its log.
event_time() { awk -v w="$1" -v e="$2" -v s="$3" '$2 == w && $3 == e && $4 == s { print $1; exit }' "$T/w.log"; }
last_set() { "$STASIS" --json list | jq -r '.[-1].id'; }
set_json() { "$STASIS" --json show "$1"; }

stasis_start_writer --name appw --component "app=$V/app" --data "$V/app/data" --log "$T/w.log"
APPW=$STASIS_WRITER_PID

stasis_log "1. a round through qemu-ga: freeze, copy the volume, thaw"
start_qga STASIS_HOOK_TIMEOUT=20
sleep 0.2       # some transactions in the data file
freeze_volume
FROZE_SENT=$(qga_field 1) FROZE_DONE=$(qga_field 2)
qga guest-fsfreeze-status
assert_eq "$(qga_reply)" '{"return":"frozen"}'
S1=$(last_set)
# A second freeze while this set holds the writers: Busy, naming it.
assert_exit 7 "$STASIS" freeze --external "$V"
assert_contains "$STASIS_ERR" "External set $S1 holds the writers"
# What a hypervisor snapshots: the block device, while frozen.
dd if="$VDEV" of="$T/copy.img" bs=1M status=none
thaw_volume
THAW_SENT=$(qga_field 1) THAW_DONE=$(qga_field 2)
F=$(event_time appw Freeze "$S1") TH=$(event_time appw Thaw "$S1")
[ -n "$F" ] && [ -n "$TH" ] || stasis_die "the writer did not get Freeze and Thaw for set $S1: $(cat "$T/w.log")"
# The hook runs before the agent freezes and after it thaws: the writer froze
# within the freeze call, before its answer (the file system was frozen at
# the end of it) and thawed within the thaw call (the file system thawed at
# its start).
[ "$FROZE_SENT" -lt "$F" ] && [ "$F" -lt "$FROZE_DONE" ] ||
        stasis_die "Freeze at $F is not within the agent's freeze ($FROZE_SENT .. $FROZE_DONE)"
[ "$THAW_SENT" -lt "$TH" ] && [ "$TH" -lt "$THAW_DONE" ] ||
        stasis_die "Thaw at $TH is not within the agent's thaw ($THAW_SENT .. $THAW_DONE)"
grep -q "execute $Q/fsfreeze-hook.d/stasis freeze" "$Q/log/qga-fsfreeze-hook.log" ||
        stasis_die "the fsfreeze-hook did not run the stasis hook: $(cat "$Q/log/qga-fsfreeze-hook.log")"
assert_contains "$(cat "$Q/log/qga-fsfreeze-hook.log")" "stasis: writers frozen (set $S1)"
assert_contains "$(cat "$Q/log/qga-fsfreeze-hook.log")" "stasis: writers thawed (set $S1)"
# The copy holds whole transactions only.
mkdir "$T/copy"
CDEV=$(losetup --find --show --read-only "$T/copy.img")
stasis_track_loop "$CDEV"
mount -o ro,noload "$CDEV" "$T/copy"
stasis_track_mount "$T/copy"
n=$(grep -c '^end ' "$T/copy/app/data" || true)
[ "$n" -gt 0 ] || stasis_die "the copy holds no transaction"
tail -n 1 "$T/copy/app/data" | grep -q '^end ' ||
        stasis_die "the copy ends inside a transaction: $(tail -n 2 "$T/copy/app/data")"
awk '$1 == "begin" { if (open) bad = 1; open = 1 } $1 == "end" { if (!open) bad = 1; open = 0 } END { exit bad || open }' \
        "$T/copy/app/data" || stasis_die "the copy's transactions are not whole"
umount "$T/copy"
J=$(set_json "$S1")
assert_eq "$(echo "$J" | jq -r .state)" created "set $S1 state"
assert_eq "$(echo "$J" | jq -r .consistency)" application "set $S1 consistency"
assert_eq "$(echo "$J" | jq -r '[.volumes[].provider] | unique | join(",")')" external "set $S1 provider"
assert_eq "$(echo "$J" | jq -r '.components[] | select(.writer == "appw") | .consistency')" application
event_time appw PostSnapshot "$S1" | grep -q . || stasis_die "appw got no PostSnapshot for set $S1"
# stasis complete works on it as on any set.
"$STASIS" complete "$S1" >/dev/null
stop_qga

stasis_log "2. the agent killed while frozen: the writers thaw at the freeze window, the set fails"
start_qga STASIS_HOOK_TIMEOUT=20 STASIS_HOOK_FREEZE_WINDOW=3
freeze_volume
S2=$(last_set)
[ "$S2" != "$S1" ] || stasis_die "no new set"
kill -9 "$QGA_PID"
wait "$QGA_PID" 2>/dev/null || true
fsfreeze -u "$V"                # the operator thaws by hand; stasis is never told
wait_until 30 '[ "$(set_json "$S2" | jq -r .state)" = failed ]'
J=$(set_json "$S2")
assert_contains "$(echo "$J" | jq -r .error)" "the freeze window of 3000 ms passed before the thaw"
assert_eq "$(echo "$J" | jq -r .consistency)" crash-consistent
assert_eq "$(echo "$J" | jq -r '.components[] | select(.writer == "appw") | .consistency')" crash-consistent
grep -E "^[0-9]+ appw Thaw $S2 " "$T/w.log" >/dev/null || stasis_die "appw was not thawed in set $S2: $(cat "$T/w.log")"
stasis_writable "$V" || stasis_die "the volume is not writable after the window"
# The writer writes again.
size=$(stat -c %s "$V/app/data")
wait_until 10 '[ "$(stat -c %s "$V/app/data")" -gt "$size" ]'
# A late thaw hears why.
assert_exit 8 "$STASIS" thaw --external "$S2"
assert_contains "$STASIS_ERR" "the freeze window of 3000 ms passed before the thaw"

stasis_log "3. a writer that hangs in Freeze: the hook returns in its limit, the freeze goes on"
stasis_start_writer --name hangw --component "h=$V/h" --fault Freeze:hang --log "$T/h.log"
HANGW=$STASIS_WRITER_PID
start_qga STASIS_HOOK_TIMEOUT=3
freeze_volume
S3=$(last_set)
qga guest-fsfreeze-status
assert_eq "$(qga_reply)" '{"return":"frozen"}'
assert_contains "$(cat "$Q/log/qga-fsfreeze-hook.log")" "stasis: set $S3 frozen, but some writers did not freeze"
thaw_volume
J=$(set_json "$S3")
assert_eq "$(echo "$J" | jq -r .state)" created
assert_eq "$(echo "$J" | jq -r .consistency)" crash-consistent
assert_eq "$(echo "$J" | jq -r '.components[] | select(.writer == "appw") | .consistency')" application
assert_eq "$(echo "$J" | jq -r '.components[] | select(.writer == "hangw") | .consistency')" crash-consistent
OUT=$("$STASIS" show "$S3")
assert_contains "$OUT" "hangw"
assert_contains "$OUT" "crash-consistent"
stop_qga
kill -9 "$HANGW"
wait "$HANGW" 2>/dev/null || true

stasis_log "4. the VMware backupScripts.d sequence; other users may not freeze"
H=$Q/fsfreeze-hook.d/stasis
export STASIS STASIS_HOOK_TIMEOUT=20
OUT=$("$H" freeze)
S4=$(last_set)
assert_eq "$OUT" "stasis: writers frozen (set $S4)"
assert_eq "$(set_json "$S4" | jq -r .state)" creating
OUT=$("$H" thaw)
assert_eq "$OUT" "stasis: writers thawed (set $S4)"
assert_eq "$(set_json "$S4" | jq -r .state)" created
"$H" freeze >/dev/null
S5=$(last_set)
OUT=$("$H" freezeFail)
assert_eq "$OUT" "stasis: writers thawed (set $S5)"
event_time appw Thaw "$S5" | grep -q . || stasis_die "freezeFail did not thaw appw"
OUT=$("$H" thaw)
assert_eq "$OUT" "stasis: no external set was frozen"
assert_exit 2 "$H" bogus
assert_exit 4 stasis_as_nobody "$STASIS" freeze --external "$V"
assert_contains "$STASIS_ERR" "org.stasis1.freeze-external"
assert_exit 4 stasis_as_nobody "$STASIS" thaw --external
# Bad command lines and options, each named.
assert_exit 2 "$STASIS" freeze "$V"
assert_contains "$STASIS_ERR" "give --external"
assert_exit 2 "$STASIS" freeze --external --require-writers
assert_contains "$STASIS_ERR" "--require-writers does not go with --external"
assert_exit 2 "$STASIS" create --external "$V"
assert_contains "$STASIS_ERR" "--external only goes with freeze and thaw"
assert_exit 2 "$STASIS" freeze --external --freeze-window=0.05
assert_contains "$STASIS_ERR" "--freeze-window '0.05'"
assert_exit 2 "$STASIS" thaw --external "1;2"
assert_contains "$STASIS_ERR" "is not a set id"
assert_exit 3 "$STASIS" thaw --external 999
assert_exit 2 "$STASIS" thaw --external "$S1" "$S2"
OUT=$(busctl --address="$STASIS_BUS_ADDRESS" call org.stasis1 /org/stasis1 org.stasis1.Manager FreezeExternal \
        'asa{sv}' 0 1 FreezeWindowUSec t 5 2>&1 || true)
assert_contains "$OUT" "Option 'FreezeWindowUSec' is 5 us; it must be at least 100000 us"
OUT=$(busctl --address="$STASIS_BUS_ADDRESS" call org.stasis1 /org/stasis1 org.stasis1.Manager ThawExternal s "$S1" 2>&1 || true)
assert_contains "$OUT" "\"$S1\""     # thawed already: answered with the set

stasis_log "5. a thaw that comes while the writers are still being prepared"
mkdir "$V/slow"
stasis_start_writer --name slowprep --component "s=$V/slow" --fault PrepareSnapshot:slow:2000 --log "$T/s.log"
SLOWW=$STASIS_WRITER_PID
"$STASIS" --timeout=30 freeze --external --component slowprep > "$T/freeze.out" 2> "$T/freeze.err" &
FPID=$!
wait_until 10 '[ "$(last_set)" != "$S5" ] && [ "$(last_set)" != null ]'
S6=$(last_set)
OUT=$("$STASIS" --timeout=30 thaw --external)
assert_eq "$OUT" "$S6"
wait "$FPID" || stasis_die "freeze --external failed: $(cat "$T/freeze.err")"
assert_eq "$(cat "$T/freeze.out")" "$S6"
grep -q "Set $S6: thaw asked for while its writers are still being frozen" "$T/stasisd.log" ||
        stasis_die "the thaw did not come before the freeze: $(grep "Set $S6" "$T/stasisd.log")"
F=$(awk -v s="$S6" '$2 == "slowprep" && $3 == "Freeze" && $4 == s { print $1 }' "$T/s.log")
TH=$(awk -v s="$S6" '$2 == "slowprep" && $3 == "Thaw" && $4 == s { print $1 }' "$T/s.log")
[ -n "$F" ] && [ -n "$TH" ] && [ "$F" -lt "$TH" ] || stasis_die "slowprep was not frozen, then thawed: $(cat "$T/s.log")"
assert_eq "$(set_json "$S6" | jq -r .state)" created
stasis_stop_writer "$SLOWW"

stasis_stop_writer "$APPW"
