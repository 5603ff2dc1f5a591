#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-writer-faults.sh - every writer fault at every event, against the real
# stasisd on a private bus and a btrfs loop volume. Two writers share one
# subvolume: "good" (back-end, never fails) and "bad" (front-end, started
# afresh for each case with one fault). For Identify, PrepareBackup,
# PrepareSnapshot, Freeze, Thaw and PostSnapshot:
#   hang            short time limits: the event's deadline fails the writer;
#                   with --require-writers the set fails with exit 10 (a
#                   retryable time-out) and the other writer gets Abort;
#                   without, the set is made and bad's component is
#                   crash-consistent;
#   crash           long time limits: stasisd notices at once (well within
#                   1 s, not at the 30-60 s deadline); exit 9 with
#                   --require-writers, crash-consistent without;
#   veto            exit 9 naming the reason; without --require-writers the
#                   set is made and the component is crash-consistent with it;
#   veto-retryable  exit 10;
#   fail            (a plain D-Bus error) exit 9.
# After each case: `stasis writers` shows bad as failed-at-<event> with the
# last error (or no longer lists it, when it crashed), a set that failed left
# no snapshot behind, nothing is frozen, and stasisd still answers.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
[ -x "$STASIS_TEST_WRITER" ] || stasis_die "build the test helpers first ($STASIS_TEST_WRITER)"

# Phase 1 (hangs): short limits. The freeze window is 2 s rather than 1 so
# that the snapshot itself fits in it comfortably under the sanitizers.
STASISD_ARGS="--identify-timeout 1 --prepare-timeout 1 --freeze-window 2"
stasis_setup
T=$STASIS_TMP
stasis_make_fs btrfs pool
P=$STASIS_FS
btrfs -q subvolume create "$P/db"

EVENTS="Identify PrepareBackup PrepareSnapshot Freeze Thaw PostSnapshot"
# The time limit of each event in phase 1, in ms (Thaw: what is left of the
# 2 s freeze window, at least 1 s; here at least 1 s).
declare -A LIMIT_MS=([Identify]=1000 [PrepareBackup]=1000 [PrepareSnapshot]=1000 [Freeze]=2000
                     [Thaw]=1000 [PostSnapshot]=1000)

kebab() { sed -E 's/([a-z])([A-Z])/\1-\2/g' <<<"$1" | tr '[:upper:]' '[:lower:]'; }

stasis_start_writer --name good --level back-end --component data="$P/db" --log "$T/good.log"
GOOD=$STASIS_WRITER_PID
BAD=

start_bad() {   # start_bad FAULT: a fresh "bad" writer with that fault
        stasis_start_writer --name bad --level front-end --component data="$P/db" --log "$T/bad.log" \
                --fault "$1"
        BAD=$STASIS_WRITER_PID
}
stop_bad() {
        if kill -0 "$BAD" 2>/dev/null; then
                stasis_stop_writer "$BAD"
        else
                wait "$BAD" 2>/dev/null || true        # crashed: SIGKILL
        fi
        wait_for 5 stasis_writer_unlisted bad
        BAD=
}
n_sets() { "$STASIS" --json list | jq length; }
good_has() { grep -q "good $1 $2 " "$T/good.log"; }            # good_has EVENT SET
ts() { awk -v w="$1" -v e="$2" -v s="$3" '$2 == w && $3 == e && $4 == s { print $1; exit }' "$T/$1.log"; }

# run_case EVENT ACTION REQUIRE WANT_RC: one create with bad failing EVENT by
# ACTION; checks the outcome. Sets OUT, ERR, RC and MS (how long create took).
run_case() {
        local ev=$1 action=$2 require=$3 want=$4 start sets id='' state err kev
        local what="$action at $ev${require:+ with --require-writers}"
        kev=$(kebab "$ev")
        case $action in
        veto) start_bad "$ev:veto:disk is full of $ev" ;;
        veto-retryable) start_bad "$ev:veto-retryable:replica lagging at $ev" ;;
        *) start_bad "$ev:$action" ;;
        esac
        : > "$T/good.log"
        sets=$(n_sets)
        start=$(date +%s%N)
        RC=0
        OUT=$("$STASIS" --json create $require "$P/db" 2>"$T/create.err") || RC=$?
        MS=$(stasis_elapsed_ms "$start")
        ERR=$(cat "$T/create.err")
        [ "$RC" = "$want" ] || stasis_die "$what: exit $RC, expected $want; stderr: $ERR; stasisd: $(tail -n 5 "$T/stasisd.log")"
        stasis_log "$what: exit $RC after $MS ms"

        if [ -n "$require" ]; then
                assert_contains "$ERR" "writer bad " "$what: the error names the writer"
                assert_contains "$ERR" "$ev" "$what: the error names the event"
                # No set is left (one whose snapshots were taken goes once they are removed).
                wait_until 10 '[ "$(n_sets)" = "$sets" ]'
                if [[ $ERR =~ set\ ([0-9]+) ]]; then
                        id=${BASH_REMATCH[1]}
                        [ ! -e "$P/.stasis/$id-0" ] || stasis_die "$what: the snapshot of failed set $id is left"
                        # Every prepared writer gets Abort: here the one that did not
                        # fail; once, and after its Thaw if it was frozen.
                        wait_for 5 good_has Abort "$id"
                        if good_has Freeze "$id"; then
                                good_has Thaw "$id" || stasis_die "$what: good was frozen and not thawed"
                                [ "$(ts good Thaw "$id")" -lt "$(ts good Abort "$id")" ] ||
                                        stasis_die "$what: good got Abort before its Thaw"
                        fi
                        # PostSnapshot goes to all at once; before it, a failure stops the set.
                        [ "$ev" = PostSnapshot ] || ! good_has PostSnapshot "$id" ||
                                stasis_die "$what: good got PostSnapshot for a failed set"
                else
                        # Identify failed: the set was never recorded, nobody was prepared.
                        assert_eq "$ev" Identify "$what: only an Identify failure leaves no set id"
                        ! grep -q "good PrepareBackup" "$T/good.log" || stasis_die "$what: good was prepared"
                fi
        else
                assert_eq "$(jq -r .state <<<"$OUT")" created "$what: the set is made without the writer"
                id=$(jq -r .id <<<"$OUT")
                assert_eq "$(jq -r '.components[] | select(.writer == "bad") | .consistency' <<<"$OUT")" \
                        crash-consistent "$what: bad's component"
                assert_contains "$(jq -r '.components[] | select(.writer == "bad") | .reason' <<<"$OUT")" \
                        "writer bad " "$what: the reason names the writer"
                assert_contains "$(jq -r '.components[] | select(.writer == "bad") | .reason' <<<"$OUT")" \
                        "$ev" "$what: the reason names the event"
                [ "$(jq -r .consistency <<<"$OUT")" != application ] || stasis_die "$what: set is application-consistent"
                # With bad front-end, a hang at Freeze uses up the window before
                # good (back-end) is called: good fails too. Otherwise good is fine.
                if [ "$ev:$action" = Freeze:hang ]; then
                        assert_eq "$(jq -r '.components[] | select(.writer == "good") | .consistency' <<<"$OUT")" \
                                crash-consistent "$what: good's component, not frozen within the window"
                        assert_contains "$(jq -r '.components[] | select(.writer == "good") | .reason' <<<"$OUT")" \
                                "Freeze" "$what: why good's component is crash-consistent"
                        ! good_has Freeze "$id" || stasis_die "$what: good was called after the window had passed"
                else
                        assert_eq "$(jq -r '.components[] | select(.writer == "good") | .consistency' <<<"$OUT")" \
                                application "$what: good's component"
                        good_has PostSnapshot "$id" || stasis_die "$what: good did not get PostSnapshot"
                fi
                [ -d "$P/.stasis/$id-0" ] || stasis_die "$what: no snapshot for set $id"
                # The backup is reported: only application-consistent components'
                # writers hear of it.
                if [ "$ev:$action" != Freeze:hang ]; then
                        assert_eq "$(stasis_writer_field good state)" waiting-for-backup-complete "$what: good's state"
                        "$STASIS" complete "$id" >/dev/null
                        wait_for 5 good_has BackupComplete "$id"
                        grep -q "Set $id: the requestor reported the backup done; telling 1 writer(s)" "$T/stasisd.log" ||
                                stasis_die "$what: BackupComplete not to good alone: $(grep "Set $id:" "$T/stasisd.log" | tail -n 1)"
                fi
        fi
        [ "$(grep -c " Abort $id " "$T/good.log")" -le 1 ] || stasis_die "$what: good got Abort more than once"
        [ "$(grep -c " Abort $id " "$T/bad.log")" -le 1 ] || stasis_die "$what: bad got Abort more than once"

        if [ "$action" = crash ]; then
                stasis_within 1000 stasis_writer_unlisted bad
        else
                state=$(stasis_writer_field bad state)
                err=$(stasis_writer_field bad last_error)
                assert_eq "$state" "failed-at-$kev" "$what: bad's state"
                assert_contains "$err" "$ev" "$what: bad's last error"
                case $action in
                veto) assert_contains "$err" "disk is full of $ev" "$what: the veto's reason" ;;
                veto-retryable) assert_contains "$err" "replica lagging at $ev" "$what: the veto's reason" ;;
                hang) assert_contains "$err" "within" "$what: a time-out" ;;
                esac
        fi
        # The other writer is stable again: aborted, or told BackupComplete.
        if [ "$ev:$action" = Freeze:hang ]; then
                :       # it failed too, see above
        elif [ -n "$require" ] && [ "$ev" = Identify ]; then
                :       # it was not called for the set at all
        else
                wait_until 5 '[ "$(stasis_writer_field good state)" = stable ]'
        fi
        stasis_writable "$P/db" || stasis_die "$what: the volume is frozen"
        "$STASIS" list >/dev/null || stasis_die "$what: stasisd does not answer"
        kill -0 "$GOOD" || stasis_die "$what: good died"
        ! grep -q 'good Thaw .* auto-thaw' "$T/good.log" || stasis_die "$what: good had to thaw by itself"
        stop_bad
}

# ---- Phase 1: a writer that hangs, short deadlines ----
for ev in $EVENTS; do
        run_case "$ev" hang --require-writers 10
        assert_contains "$ERR" "(retryable)" "hang at $ev: a time-out may be retried"
        # It waited for the deadline.
        [ "$MS" -ge $(( LIMIT_MS[$ev] - 100 )) ] || stasis_die "hang at $ev: create ended after $MS ms, before the deadline"
        run_case "$ev" hang "" 0
done

# ---- Phase 2: long deadlines; crashes and vetoes are noticed at once ----
stasis_stop_daemon
STASISD_ARGS="--identify-timeout 30 --prepare-timeout 60 --freeze-window 30"
stasis_start_daemon
wait_for 10 stasis_writer_listed good           # libstasis registers again by itself

for ev in $EVENTS; do
        run_case "$ev" crash --require-writers 9
        assert_contains "$ERR" "left the bus" "crash at $ev: why"
        [ "$MS" -lt 1000 ] || stasis_die "crash at $ev: noticed after $MS ms, not at once"
        run_case "$ev" crash "" 0
        [ "$MS" -lt 1000 ] || stasis_die "crash at $ev without --require-writers: took $MS ms"

        run_case "$ev" veto --require-writers 9
        assert_contains "$ERR" "disk is full of $ev" "veto at $ev: the reason"
        [ "$MS" -lt 1000 ] || stasis_die "veto at $ev: took $MS ms"
        run_case "$ev" veto "" 0
        assert_contains "$(jq -r '.components[] | select(.writer == "bad") | .reason' <<<"$OUT")" \
                "disk is full of $ev" "veto at $ev: the component's reason"

        run_case "$ev" veto-retryable --require-writers 10
        assert_contains "$ERR" "replica lagging at $ev" "retryable veto at $ev: the reason"

        run_case "$ev" fail --require-writers 9
done

stasis_stop_writer "$GOOD"
wait_for 5 stasis_writer_unlisted good
