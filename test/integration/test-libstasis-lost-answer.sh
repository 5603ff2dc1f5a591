#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-libstasis-lost-answer.sh - a requestor's call that gets no answer,
# through stasis-test-requestor (the public header only), synchronous and
# asynchronous, in the library's loop and in the caller's: stasisd killed
# during a create (a slow writer keeps it in the call) is
# STASIS_ERR_DISCONNECTED (-ECONNRESET); stasisd stopped (SIGSTOP) past the requestor's time-out is
# STASIS_ERR_NO_ANSWER (-ETIMEDOUT). Neither is the other, nor
# org.freedesktop.DBus.Error.NoReply.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
REQ=${STASIS_TEST_REQUESTOR:-$STASIS_BUILD_DIR/test/helpers/stasis-test-requestor}
[ -x "$REQ" ] || stasis_die "build the test helpers first ($REQ)"
[ -x "$STASIS_TEST_WRITER" ] || stasis_die "build the test helpers first ($STASIS_TEST_WRITER)"
stasis_setup
T=$STASIS_TMP
# stasisd is stopped (SIGSTOP) below: never leave it so.
lost_answer_cleanup() {
        local rc=$?
        set +e
        [ -n "$STASISD_PID" ] && kill -CONT "$STASISD_PID" 2>/dev/null
        (exit "$rc")
        stasis_cleanup
}
trap lost_answer_cleanup EXIT

stasis_make_fs btrfs pool
P=$STASIS_FS
btrfs -q subvolume create "$P/a"
btrfs -q subvolume create "$P/db"

# The writer answers PrepareSnapshot after 60 s: stasisd is in the call.
stasis_start_writer --name slow --component data="$P/db" --fault PrepareSnapshot:slow:60000

# killed_during LOOP: a create of slow:data in that loop mode while stasisd
# is killed -9. Its output in $OUT.
killed_during() {
        local loop=$1 pid rc=0
        "$REQ" --loop "$loop" --persistent --component slow:data create >"$T/req.out" 2>"$T/req.err" &
        pid=$!
        stasis_track_pid "$pid"
        wait_until 10 '[ "$(stasis_count_sets)" = 1 ]'
        kill -9 "$STASISD_PID"
        wait "$STASISD_PID" 2>/dev/null || true
        STASISD_PID=
        wait "$pid" || rc=$?
        OUT=$(cat "$T/req.out")
        assert_eq "$rc" 1 "the create's status ($loop): $OUT $(cat "$T/req.err")"
        stasis_start_daemon
        # The set stasisd was making may be in its catalog, unfinished:
        # whatever is left is deleted before the next case.
        local id
        for id in $("$STASIS" --json list | jq -r '.[].id'); do "$STASIS" delete "$id" >/dev/null || true; done
        wait_until 10 '[ "$(stasis_count_sets)" = 0 ]'
}

for loop in sync wait poll event; do
        killed_during "$loop"
        assert_contains "$OUT" "error org.stasis1.Error.Disconnected 21 104: stasisd went away before it answered" "$loop"
done

# ---- No answer: stasisd stopped, the requestor's time-out short ----

for loop in sync wait event; do
        kill -STOP "$STASISD_PID"
        RC=0
        OUT=$("$REQ" --loop "$loop" --timeout 500 --persistent create "$P/a" 2>"$T/req.err") || RC=$?
        kill -CONT "$STASISD_PID"
        assert_eq "$RC" 1 "the create's status when stasisd does not answer ($loop): $OUT"
        assert_contains "$OUT" "error org.stasis1.Error.NoAnswer 22 110: stasisd did not answer within 500 ms" "$loop"
        # Other calls: the same.
        kill -STOP "$STASISD_PID"
        RC=0
        OUT=$("$REQ" --timeout 300 list 2>"$T/req.err") || RC=$?
        kill -CONT "$STASISD_PID"
        assert_contains "$OUT" "error org.stasis1.Error.NoAnswer 22 110" "list ($loop)"
        wait_for 10 "$STASIS" list
        for id in $("$STASIS" --json list | jq -r '.[].id'); do "$STASIS" delete "$id" >/dev/null || true; done
done
echo "ok"
