#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-writer-channel.sh - Freeze and Thaw over a writer's direct channel
# (Manager.OpenWriterChannel), against the real stasisd on a private bus with
# the project's policy and a btrfs loop volume:
#  1. a libstasis writer gets Freeze and Thaw over its channel: busctl monitor
#     sees neither call on the bus, its handlers run, its component is
#     application-consistent; a libstasis writer told not to ask for one
#     (STASIS_WRITER_CHANNEL=0) gets both on the bus, in the same set;
#  2. a writer that dies in Freeze is gone as one that left the bus;
#  3. a writer that answers on its channel with garbage, a packet too long,
#     an answer to a call never sent, or not at all, fails for the set with
#     a reason that says so (the deadline for the last), stasisd goes on, and
#     the next set reaches the writer on the bus;
#  4. a connection gets one channel per writer, and only of a writer it
#     registered: not root's other connection, not nobody;
#  5. after stasisd restarts, a writer that comes back gets a channel again.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-monitor.sh"
[ -x "$STASIS_TEST_WRITER" ] || stasis_die "build the test helpers first ($STASIS_TEST_WRITER)"
PLAIN=$STASIS_BUILD_DIR/test/helpers/test-plain-writer

stasis_env_init
stasis_bus_allow_monitor
stasis_start_bus
T=$STASIS_TMP
STASISD_ARGS="--identify-timeout 5 --prepare-timeout 5 --freeze-window 2"
stasis_start_daemon
stasis_make_fs btrfs pool
P=$STASIS_FS
btrfs -q subvolume create "$P/data"

stasis_monitor_start
component() { jq -r --arg w "$2" --arg f "$3" '.components[] | select(.writer == $w) | .[$f]' <<<"$1"; }

# ---- 1. over the channel, and on the bus for a writer without one ----
L=$T/w.log
stasis_start_writer --name direct --component data="$P/data" --log "$L"
DIRECT=$STASIS_WRITER_PID
STASIS_WRITER_CHANNEL=0 stasis_start_writer --name old --component data="$P/data" --log "$L"
OLD=$STASIS_WRITER_PID
mark
OUT=$("$STASIS" --json create --require-writers "$P/data")
ID=$(jq -r .id <<<"$OUT")
assert_eq "$(jq -r .consistency <<<"$OUT")" application "the set with both writers"
monitor_sync
assert_eq "$(calls direct)" "Identify PrepareBackup PrepareSnapshot PostSnapshot" "direct's calls on the bus"
assert_eq "$(calls old)" "Identify PrepareBackup PrepareSnapshot Freeze Thaw PostSnapshot" "old's calls on the bus"
for w in direct old; do
        for ev in Freeze Thaw; do
                grep -q " $w $ev $ID " "$L" || stasis_die "$w's $ev handler did not run for set $ID"
        done
done
"$STASIS" delete "$ID" >/dev/null
stasis_stop_writer "$OLD"
stasis_log "Freeze and Thaw over the channel; on the bus without one"

# ---- 2. dies in Freeze: gone as a writer that left the bus ----
stasis_start_writer --name dies --component data="$P/data" --fault Freeze:crash
DIES=$STASIS_WRITER_PID
OUT=$("$STASIS" --json create "$P/data")
wait "$DIES" 2>/dev/null || true
assert_eq "$(component "$OUT" dies consistency)" crash-consistent "dies's component"
assert_contains "$(component "$OUT" dies reason)" "writer dies left the bus during Freeze" "dies's reason"
assert_eq "$(component "$OUT" direct consistency)" application "direct's component, next to dies"
"$STASIS" delete "$(jq -r .id <<<"$OUT")" >/dev/null
stasis_log "a writer that dies in Freeze left the bus"

# ---- 3. a writer that misuses its channel ----
plain_start() {         # plain_start NAME MODE
        PLAIN_OUT=$T/plain-$1.out
        PLAIN_WRITER_CHANNEL=$2 "$PLAIN" "$STASIS_BUS_ADDRESS" "$1" "$P/data" >"$PLAIN_OUT" 2>>"$T/plain.err" &
        PLAIN_PID=$!
        stasis_track_pid "$PLAIN_PID"
        wait_for 5 grep -q "$1 registered" "$PLAIN_OUT"
}
plain_stop() {
        kill "$PLAIN_PID"
        wait "$PLAIN_PID" || true
        PLAIN_PID=
        wait_for 5 stasis_writer_unlisted "$1"
}
declare -A WHY=([garbage]="sent a packet of 3 bytes, not 528" [long]="sent a packet of 592 bytes, not 528"
                [badseq]="answered call 1001 on its channel, which was never sent"
                [silent]="did not answer Freeze within")
for mode in garbage long badseq silent; do
        plain_start "p$mode" "$mode"
        grep -q "^channel: ok" "$PLAIN_OUT" || stasis_die "p$mode: no channel: $(cat "$PLAIN_OUT")"
        mark
        OUT=$("$STASIS" --json create "$P/data")
        assert_eq "$(jq -r .state <<<"$OUT")" created "$mode: the set is made without the writer"
        assert_eq "$(component "$OUT" "p$mode" consistency)" crash-consistent "$mode: its component"
        assert_contains "$(component "$OUT" "p$mode" reason)" "writer p$mode ${WHY[$mode]}" "$mode: the reason"
        assert_contains "$(component "$OUT" "p$mode" reason)" "Freeze" "$mode: the reason names the event"
        # (A writer that never answers uses up the freeze window: direct, frozen with it, fails too.)
        [ "$mode" = silent ] || assert_eq "$(component "$OUT" direct consistency)" application "$mode: direct's component"
        grep -q "p$mode channel Freeze" "$PLAIN_OUT" || stasis_die "$mode: Freeze did not come over the channel"
        monitor_sync
        case " $(calls "p$mode") " in *" Freeze "*) stasis_die "$mode: Freeze went on the bus too" ;; esac
        "$STASIS" delete "$(jq -r .id <<<"$OUT")" >/dev/null
        # stasisd goes on; a broken channel is closed: the next set reaches the writer on the bus.
        if [ "$mode" != silent ]; then
                mark
                OUT=$("$STASIS" --json create --require-writers "$P/data")
                assert_eq "$(jq -r .consistency <<<"$OUT")" application "$mode: the next set"
                monitor_sync
                assert_contains "$(calls "p$mode")" "Freeze Thaw" "$mode: the next set, on the bus"
                "$STASIS" delete "$(jq -r .id <<<"$OUT")" >/dev/null
        fi
        plain_stop "p$mode"
        stasis_log "a writer whose channel answer is $mode fails for the set; stasisd goes on"
done

# A writer that answers a call over and over (it could keep stasisd reading
# its channel): the channel is closed at the first answer too many, the
# set goes on, and the writer's Thaw comes over the bus.
plain_start pflood flood
grep -q "^channel: ok" "$PLAIN_OUT" || stasis_die "pflood: no channel"
mark
OUT=$("$STASIS" --json create "$P/data")
assert_eq "$(jq -r .state <<<"$OUT")" created "flood: the set is made"
grep -q "pflood channel Freeze" "$PLAIN_OUT" || stasis_die "flood: Freeze did not come over the channel"
monitor_sync
assert_contains " $(calls pflood) " " Thaw " "flood: Thaw on the bus, the channel closed"
assert_contains "$(cat "$T/stasisd.log")" "sent more answers on its channel than it was sent calls" "flood: why"
"$STASIS" delete "$(jq -r .id <<<"$OUT")" >/dev/null
plain_stop pflood
stasis_log "a writer that floods its channel loses it; stasisd goes on"

# ---- 4. whose channel: only the registering connection's, once ----
plain_start pown ok
grep -q "^channel: ok" "$PLAIN_OUT" || stasis_die "pown: no channel"
assert_contains "$(grep "^channel again" "$PLAIN_OUT")" "org.stasis1.Error.Busy" "a second channel for one writer"
for who in root nobody; do
        RC=0
        if [ "$who" = root ]; then
                E=$(busctl --address="$STASIS_BUS_ADDRESS" call org.stasis1 /org/stasis1 org.stasis1.Manager \
                        OpenWriterChannel o /org/stasis1/writer 2>&1) || RC=$?
        else
                E=$(stasis_as_nobody busctl --address="$STASIS_BUS_ADDRESS" call org.stasis1 /org/stasis1 \
                        org.stasis1.Manager OpenWriterChannel o /org/stasis1/writer 2>&1) || RC=$?
        fi
        [ "$RC" != 0 ] || stasis_die "$who got the channel of a writer another connection registered: $E"
        assert_contains "$E" "This connection has no writer registered at /org/stasis1/writer" "$who's error"
done
# The writer that has it gets its events over it, and answers them.
mark
OUT=$("$STASIS" --json create --require-writers "$P/data")
assert_eq "$(jq -r .consistency <<<"$OUT")" application "the set with pown"
grep -q "pown channel Freeze $(jq -r .id <<<"$OUT")" "$PLAIN_OUT" || stasis_die "pown: no Freeze over its channel"
grep -q "pown channel Thaw $(jq -r .id <<<"$OUT")" "$PLAIN_OUT" || stasis_die "pown: no Thaw over its channel"
monitor_sync
assert_eq "$(calls pown)" "Identify PrepareBackup PrepareSnapshot PostSnapshot" "pown's calls on the bus"
"$STASIS" delete "$(jq -r .id <<<"$OUT")" >/dev/null
plain_stop pown
stasis_log "only the registering connection gets a writer's channel, once"

# ---- 5. stasisd restarted: the writer that comes back has a channel again ----
stasis_stop_daemon
stasis_start_daemon
wait_for 10 stasis_writer_listed direct
mark
OUT=$("$STASIS" --json create --require-writers "$P/data")
assert_eq "$(jq -r .consistency <<<"$OUT")" application "the set after stasisd came back"
monitor_sync
case " $(calls direct) " in *" Freeze "* | *" Thaw "*) stasis_die "direct got Freeze or Thaw on the bus after stasisd came back" ;; esac
grep -q " direct Freeze $(jq -r .id <<<"$OUT") " "$L" || stasis_die "direct: no Freeze after stasisd came back"
"$STASIS" delete "$(jq -r .id <<<"$OUT")" >/dev/null
stasis_log "after stasisd restarted, the writer's Freeze and Thaw go over its new channel"
stasis_stop_writer "$DIRECT"
stasis_log "ok"
