#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-libstasis-writer.sh - the libstasis writer API without stasisd: a real
# private dbus-daemon, stasis-test-writer as the writer and
# test-fake-coordinator owning org.stasis1 in stasisd's place. Covers
# registration (refused, late, again after the coordinator comes back),
# Identify, the order of events, vetoes, slow, failing, hanging and crashing
# handlers, the auto-thaw (window passed, coordinator gone, bus gone),
# connecting again when the bus comes back, Abort while frozen, calls from a
# connection that does not own org.stasis1, and the three ways to run a
# writer (attach, poll, run).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

WRITER=$STASIS_BUILD_DIR/test/helpers/stasis-test-writer
FAKE=$STASIS_BUILD_DIR/test/helpers/test-fake-coordinator
[ -x "$WRITER" ] && [ -x "$FAKE" ] || stasis_die "build the test helpers first ($WRITER, $FAKE)"

stasis_env_init
stasis_start_bus
T=$STASIS_TMP
mkdir -p "$T/data"

bus() { busctl --address="$STASIS_BUS_ADDRESS" "$@"; }

# ---- The fake coordinator: commands on fd 7, answers in $FC_OUT ----

FC_PID=
FC_OUT=
fc_start() {    # fc_start NAME [--refuse MESSAGE]
        local name=$1
        shift
        FC_OUT=$T/fc-$name.out
        rm -f "$T/fc.in"
        mkfifo "$T/fc.in"
        "$FAKE" "$@" <"$T/fc.in" >"$FC_OUT" 2>"$T/fc-$name.err" &
        FC_PID=$!
        stasis_track_pid "$FC_PID"
        exec 7>"$T/fc.in"
        wait_for 10 grep -q ' ready :' "$FC_OUT"
}
fc_stop() {
        local rc=0
        exec 7>&-
        kill "$FC_PID"
        wait "$FC_PID" || rc=$?
        [ "$rc" = 0 ] || { cat "$T"/fc-*.err >&2; stasis_die "test-fake-coordinator exited with status $rc"; }
        FC_PID=
}
fc_call() { echo "$*" >&7; }            # fc_call ID DEST METHOD ARGS...
fc_has_result() { grep -Eq "^[0-9]+ $1 (ok|error)" "$FC_OUT"; }
fc_result() {                           # fc_result ID: "ok [REPLY]" or "error NAME MESSAGE"
        wait_for 10 fc_has_result "$1"
        sed -En "s/^[0-9]+ $1 ((ok|error).*)$/\1/p" "$FC_OUT" | head -n 1
}
fc_time() { sed -En "s/^([0-9]+) $1 $2.*/\1/p" "$FC_OUT" | head -n 1; }    # fc_time ID sent|ok|error
# The unique name of the writer NAME [INSTANCE] as it last registered.
fc_owner() {
        local ts kw sender path json
        grep ' register ' "$FC_OUT" | while read -r ts kw sender path json; do
                if jq -e --arg n "$1" --arg i "${2:-}" '.writer == $n and .instance == $i' <<<"$json" >/dev/null; then
                        echo "$sender"
                fi
        done | tail -n 1
}

# ---- Test writers: each logs to $T/NAME.log ----

writer_start() {        # writer_start NAME ARGS...; sets WPID
        local name=$1
        shift
        "$WRITER" --name "$name" --log "$T/$name.log" "$@" 2>>"$T/$name.err" &
        WPID=$!
        stasis_track_pid "$WPID"
}
writer_stop() {         # writer_stop PID NAME: SIGTERM, must exit 0
        local rc=0
        kill "$1"
        wait "$1" || rc=$?
        [ "$rc" = 0 ] || { cat "$T/$2.err" >&2; stasis_die "writer $2 exited with status $rc on SIGTERM"; }
}
# The log without its timestamps.
wlog() { cut -d' ' -f2- "$T/$1.log"; }
wlog_has() { grep -Fqx -- "$2" <(wlog "$1"); }
data_grown() { [ "$(stat -c %s "$T/data/app.db")" -gt "$1" ]; }
wlog_time() { awk -v e="$2" -v s="$3" -v r="$4" '$3 == e && $4 == s && index($5, r) == 1 { print $1; exit }' "$T/$1.log"; }

# ---- 1. A refused registration fails the start, with stasisd's message ----

fc_start refuse --refuse 'components[0].paths[0]: /nonexistent: No such file or directory'
assert_exit 1 "$WRITER" --name refused --component data=/nonexistent
assert_contains "$STASIS_ERR" "stasisd refused the registration: components[0].paths[0]: /nonexistent: No such file or directory"
assert_exit 1 "$WRITER" --name refused --component data=relative/path
assert_contains "$STASIS_ERR" 'components[0].paths[0]: "relative/path" is not an absolute path'
assert_exit 1 "$WRITER" --name refused --component data=/srv --level middle
assert_contains "$STASIS_ERR" 'level: "middle" is not'
assert_exit 1 "$WRITER" --name refused --component data=/srv --freeze-timeout 50
assert_contains "$STASIS_ERR" "freeze_timeout_ms: 50000 us is not a whole number of milliseconds in 100..600000"
assert_exit 1 "$WRITER" --name refused --component data=/srv --component data=/var
assert_contains "$STASIS_ERR" 'component "data": the writer has one of this name already'
assert_exit 1 "$WRITER" --name Refused --component data=/srv
assert_contains "$STASIS_ERR" "invalid writer name or instance"
fc_stop

# ---- 2. Started before the coordinator: registers when it appears ----

writer_start appw --component "data=$T/data/" --component-unselectable "conf=$T,/etc" \
        --data "$T/data/app.db" --ready-file "$T/appw.ready" --loop poll
APPW=$WPID
sleep 0.3
[ ! -e "$T/appw.ready" ] || stasis_die "the writer says it is registered without a coordinator"
kill -0 "$APPW" || stasis_die "the writer did not wait for the coordinator"
fc_start main
wait_for 10 test -e "$T/appw.ready"
W=$(fc_owner appw)
[ -n "$W" ] || stasis_die "appw did not register"
wlog_has appw ready || stasis_die "no ready line in the log"

# Identify answers the metadata, valid and as described (trailing slash removed).
fc_call i1 "$W" Identify
res=$(fc_result i1)
assert_eq "${res%% *}" ok "Identify"
json=${res#ok }
jq -e --arg d "$T/data" --arg t "$T" '.version == 1 and .writer == "appw" and .instance == ""
        and .level == "back-end" and .freeze_timeout_ms == 60000 and .restore_method == "none"
        and .components[0] == {name: "data", paths: [$d], selectable: true}
        and .components[1] == {name: "conf", paths: [$t, "/etc"], selectable: false}' <<<"$json" >/dev/null ||
        stasis_die "Identify returned unexpected metadata: $json"

# ---- 3. A whole set, in order; the application holds its writes while frozen ----

fc_call a1 "$W" PrepareBackup s1 data,conf
fc_call a2 "$W" PrepareSnapshot s1 data,conf crash-atomic
assert_eq "$(fc_result a1)" ok "PrepareBackup"
assert_eq "$(fc_result a2)" ok "PrepareSnapshot"
fc_call a3 "$W" Freeze s1 10000000
assert_eq "$(fc_result a3)" ok "Freeze"
size=$(stat -c %s "$T/data/app.db")
[ "$size" -gt 0 ] || stasis_die "the application wrote nothing before the freeze"
last=$(tail -n 1 "$T/data/app.db")
case $last in end\ *) ;; *) stasis_die "frozen in the middle of a transaction: last line '$last'" ;; esac
sleep 0.2
assert_eq "$(stat -c %s "$T/data/app.db")" "$size" "the application wrote while frozen"
fc_call a4 "$W" Thaw s1
assert_eq "$(fc_result a4)" ok "Thaw"
wait_for 5 data_grown "$size"
fc_call a5 "$W" PostSnapshot s1 "/=/snap/1"
fc_call a6 "$W" BackupComplete s1 data=1,conf=0
assert_eq "$(fc_result a5)" ok "PostSnapshot"
assert_eq "$(fc_result a6)" ok "BackupComplete"
assert_eq "$(wlog appw | grep ' s1 ')" "$(printf '%s\n' \
        'appw PrepareBackup s1 ok' 'appw PrepareSnapshot s1 ok' 'appw Freeze s1 ok' 'appw Thaw s1 ok' \
        'appw PostSnapshot s1 ok' 'appw BackupComplete s1 ok')" "the order of events"
wlog_has appw "appw Identify - ok" || stasis_die "Identify was not logged"

# A second Freeze while frozen is refused; so is a Thaw for another set.
fc_call b1 "$W" Freeze s2 10000000
assert_eq "$(fc_result b1)" ok "Freeze s2"
fc_call b2 "$W" Freeze s9 10000000
assert_contains "$(fc_result b2)" "error System.Error.EBUSY Frozen for set s2 already" "Freeze while frozen"
fc_call b3 "$W" Thaw s9
assert_contains "$(fc_result b3)" "error System.Error.EBUSY Frozen for set s2, not for set s9" "Thaw of another set"

# ---- 4. Abort while frozen: the thaw handler first, then the abort handler ----

fc_call b4 "$W" Abort s2 the requestor gave up
assert_eq "$(fc_result b4)" ok "Abort"
assert_eq "$(wlog appw | grep ' s2 ')" "$(printf '%s\n' 'appw Freeze s2 ok' 'appw Thaw s2 ok' 'appw Abort s2 ok')" \
        "Abort while frozen"

# ---- 5. The window passes without Thaw: the library thaws by itself ----

fc_call c1 "$W" Freeze s3 300000
assert_eq "$(fc_result c1)" ok "Freeze s3"
wait_for 5 wlog_has appw "appw Thaw s3 auto-thaw:the freeze window of 300 ms passed without Thaw"
t0=$(wlog_time appw Freeze s3 ok)
t1=$(wlog_time appw Thaw s3 auto-thaw)
delta=$(( (t1 - t0) / 1000 ))
[ "$delta" -ge 280 ] && [ "$delta" -lt 2000 ] || stasis_die "auto-thaw after $delta ms, expected about 300"
# The application writes again.
wait_for 5 data_grown "$(stat -c %s "$T/data/app.db")"
fc_call c2 "$W" Thaw s3
assert_eq "$(fc_result c2)" \
        "error org.stasis1.Error.Timeout thawed by itself: the freeze window of 300 ms passed without Thaw" \
        "Thaw after an auto-thaw"
assert_eq "$(wlog appw | grep -c ' Thaw s3 ')" 1 "the thaw handler ran again"
# The data file is still one whole transaction after another.
awk '{ if ((NR % 2 == 1 && ($1 != "begin" || $2 != (NR - 1) / 2)) || (NR % 2 == 0 && ($1 != "end" || $2 != (NR - 2) / 2))) { print "line " NR ": " $0; exit 1 } }' \
        "$T/data/app.db" || stasis_die "the application's data file is not a sequence of transactions"

# ---- 6. Calls from a connection that does not own org.stasis1 are refused ----

# (dbus-send, not busctl: busctl shows "Access denied" instead of the message.)
out=$(dbus-send --bus="$STASIS_BUS_ADDRESS" --print-reply --dest="$W" /org/stasis1/writer \
        org.stasis1.Writer.Freeze string:s4 uint64:1000000 2>&1) && stasis_die "a non-owner could call Freeze: $out"
assert_contains "$out" "Error org.freedesktop.DBus.Error.AccessDenied: Only the owner of org.stasis1 may call org.stasis1.Writer methods, not :"
! wlog_has appw "appw Freeze s4 ok" || stasis_die "the handler ran for a non-owner's call"

# ---- 7. The coordinator leaves while the writer is frozen: thaw at once ----

fc_call d1 "$W" Freeze s5 60000000
assert_eq "$(fc_result d1)" ok "Freeze s5"
fc_stop
wait_for 3 wlog_has appw "appw Thaw s5 auto-thaw:stasisd left the bus"

# ---- 8. A new coordinator: the writer registers again ----

fc_start again
wait_for 10 test -n "$(fc_owner appw)"
assert_eq "$(fc_owner appw)" "$W" "the writer's connection"
fc_call e1 "$W" Identify
assert_contains "$(fc_result e1)" '"writer":"appw"' "Identify from the new coordinator"

# ---- 9. Faults, several writers in one process: veto, slow, fail, hang ----

writer_start faulty --count 2 --instance x --component "data=$T/data" --fault-index 0 --fault-count 1 \
        --fault 'PrepareBackup:veto:replica lagging 3s' --fault 'PrepareSnapshot:veto-retryable:busy now' \
        --fault Freeze:slow:400 --fault 'Freeze:veto:not now' --fault PostSnapshot:fail --fault BackupComplete:hang \
        --ready-file "$T/faulty.ready"
FAULTY=$WPID
wait_for 10 test -e "$T/faulty.ready"
F0=$(fc_owner faulty x-0)
F1=$(fc_owner faulty x-1)
[ -n "$F0" ] && [ -n "$F1" ] && [ "$F0" != "$F1" ] || stasis_die "two writers, two connections: '$F0' '$F1'"

fc_call f1 "$F0" PrepareBackup s6 data
assert_eq "$(fc_result f1)" "error org.stasis1.Error.Veto replica lagging 3s" "veto"
fc_call f2 "$F0" PrepareSnapshot s6 data
assert_eq "$(fc_result f2)" "error org.stasis1.Error.VetoRetryable busy now" "retryable veto"
fc_call f3 "$F0" PrepareBackup s6 data
assert_eq "$(fc_result f3)" ok "a fault strikes --fault-count times only"
# The slow writer does not hold up the other one in its process.
fc_call f4 "$F0" Freeze s6 10000000
fc_call f5 "$F1" Freeze s6 10000000
assert_eq "$(fc_result f5)" ok "the other writer's Freeze"
assert_eq "$(fc_result f4)" ok "slow Freeze"
slow=$(( ($(fc_time f4 ok) - $(fc_time f4 sent)) / 1000 ))
fast=$(( ($(fc_time f5 ok) - $(fc_time f5 sent)) / 1000 ))
[ "$slow" -ge 390 ] || stasis_die "the slow Freeze answered after $slow ms, expected 400"
[ "$fast" -lt "$slow" ] && [ "$(fc_time f5 ok)" -lt "$(fc_time f4 ok)" ] ||
        stasis_die "the other writer waited for the slow one ($fast ms)"
fc_call f6 "$F0" Thaw s6
fc_call f7 "$F0" PostSnapshot s6 -
assert_eq "$(fc_result f6)" ok "Thaw"
assert_eq "$(fc_result f7)" "error org.freedesktop.DBus.Error.IOError Input/output error" "a failing handler"
# A vetoed Freeze leaves the writer not frozen: the next one succeeds.
fc_call f9 "$F0" Freeze s10 10000000
assert_eq "$(fc_result f9)" "error org.stasis1.Error.Veto not now" "vetoed Freeze"
fc_call f10 "$F0" Freeze s11 10000000
assert_eq "$(fc_result f10)" ok "Freeze after a vetoed Freeze"
fc_call f11 "$F0" Thaw s11
assert_eq "$(fc_result f11)" ok "Thaw s11"
fc_call f8 "$F0" BackupComplete s6 data=1
wait_for 5 wlog_has faulty "faulty@x-0 BackupComplete s6 hang"
sleep 0.2
fc_has_result f8 && stasis_die "the hanging handler was answered: $(fc_result f8)"
assert_eq "$(wlog faulty | grep '@x-0' | grep -v ' Identify ')" "$(printf '%s\n' \
        'faulty@x-0 PrepareBackup s6 veto' 'faulty@x-0 PrepareSnapshot s6 veto' 'faulty@x-0 PrepareBackup s6 ok' \
        'faulty@x-0 Freeze s6 ok' 'faulty@x-0 Thaw s6 ok' 'faulty@x-0 PostSnapshot s6 fail' \
        'faulty@x-0 Freeze s10 veto' 'faulty@x-0 Freeze s11 ok' 'faulty@x-0 Thaw s11 ok' \
        'faulty@x-0 BackupComplete s6 hang')" "the faulty writer's log"
# On SIGTERM the event never answered is answered (canceled), and both unregister.
writer_stop "$FAULTY" faulty
assert_eq "$(fc_result f8)" "error System.Error.ECANCELED Operation canceled" "a dropped event"
wait_for 5 grep -q " unregister $F0 /org/stasis1/writer" "$FC_OUT"
wait_for 5 grep -q " unregister $F1 /org/stasis1/writer" "$FC_OUT"

# ---- 10. A handler that crashes; a writer on the library's own loop ----

# In a subshell that reaps it, so that bash does not report "Killed".
( "$WRITER" --name crashw --log "$T/crashw.log" --component "data=$T/data" --fault Freeze:crash \
        --ready-file "$T/crashw.ready" 2>>"$T/crashw.err" &
  echo $! >"$T/crashw.pid"
  rc=0
  wait $! || rc=$?
  echo $rc >"$T/crashw.rc" ) 2>/dev/null &
stasis_track_pid $!
wait_for 10 test -s "$T/crashw.pid"
stasis_track_pid "$(cat "$T/crashw.pid")"
wait_for 10 test -e "$T/crashw.ready"
fc_call g1 "$(fc_owner crashw)" Freeze s7 10000000
assert_contains "$(fc_result g1)" "error org.freedesktop.DBus.Error.NoReply" "a crashed writer"
wait_for 5 test -s "$T/crashw.rc"
rc=$(cat "$T/crashw.rc")
assert_eq "$rc" 137 "the crash is SIGKILL"
wlog_has crashw "crashw Freeze s7 crash" || stasis_die "the crash was not logged"

writer_start runw --instance one --component "data=$T/data" --freeze-timeout 200 --loop run \
        --ready-file "$T/runw.ready"
RUNW=$WPID
wait_for 10 test -e "$T/runw.ready"
R=$(fc_owner runw one)
# The window is cut to the writer's freeze timeout (200 ms).
fc_call h1 "$R" Freeze s8 10000000
assert_eq "$(fc_result h1)" ok "Freeze on stasis_writer_run()"
wait_for 5 wlog_has runw "runw@one Thaw s8 auto-thaw:the freeze window of 200 ms passed without Thaw"
writer_stop "$RUNW" runw
wait_for 5 grep -q " unregister $R /org/stasis1/writer" "$FC_OUT"

writer_stop "$APPW" appw
wait_for 5 grep -q " unregister $W /org/stasis1/writer" "$FC_OUT"

# ---- 11. The bus goes away while frozen: thaw at once, connect again ----
# The writer's address has no guid=, as the system bus's: a dbus-daemon
# started again on the same socket has another guid.

writer_start lostw --log-states --component "data=$T/data" --loop run --ready-file "$T/lostw.ready" \
        --bus "unix:path=$T/bus/system_bus_socket"
LOSTW=$WPID
wait_for 10 test -e "$T/lostw.ready"
fc_call k1 "$(fc_owner lostw)" Freeze s12 60000000
assert_eq "$(fc_result k1)" ok "Freeze s12"
kill -9 "$DBUS_PID"     # SIGKILL: no NameOwnerChanged for org.stasis1 first
wait "$DBUS_PID" 2>/dev/null || true
DBUS_PID=
wait_for 5 wlog_has lostw "lostw Thaw s12 auto-thaw:the bus connection was lost"
wait_for 5 wlog_has lostw "lostw State - disconnected:the bus connection was lost"
# The thaw comes before the state change.
assert_eq "$(wlog lostw | grep -e 'Thaw s12' -e 'State - disconnected' | cut -d' ' -f2 | tr '\n' ' ')" "Thaw State " \
        "the thaw, then the state change"
kill -0 "$LOSTW" || stasis_die "stasis_writer_run() ended when the bus went away"
fc_stop
# The bus comes back, without a coordinator first: the writer waits for one.
stasis_start_bus
wait_for 10 wlog_has lostw "lostw State - waiting:stasisd is not on the bus"
fc_start again
wait_for 10 grep -q ' register .*"writer":"lostw"' "$FC_OUT"
wait_for 5 wlog_has lostw "lostw State - registered"
fc_call k2 "$(fc_owner lostw)" Freeze s13 60000000
assert_eq "$(fc_result k2)" ok "Freeze s13 after connecting again"
fc_call k3 "$(fc_owner lostw)" Thaw s13
assert_eq "$(fc_result k3)" ok "Thaw s13 after connecting again"
writer_stop "$LOSTW" lostw
fc_stop
echo ok
