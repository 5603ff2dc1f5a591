#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-cli-exit-status.sh - the exit status of stasis comes from the error it
# got, as stasis(1) lists them:
#  1. each error name the CLI can provoke, with its status and its message;
#  2. stasisd killed while it works on a create (a slow writer keeps it in
#     the call): "went away", 11, and how to find out whether the set was
#     made; it was not, and the command said so honestly;
#  3. stasisd stopped (SIGSTOP) while a create waits with --timeout: "did
#     not answer in time", 8, with the same advice;
#  4. stasisd not running: 5;
#  5. the errors of providers: ProviderFailed (1), stasisd's own Timeout (8).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
[ -x "$STASIS_TEST_WRITER" ] || stasis_die "build the test helpers first ($STASIS_TEST_WRITER)"

stasis_setup_alone
T=$STASIS_TMP
# stasisd is stopped (SIGSTOP) below: never leave it so.
exit_status_cleanup() {
        local rc=$?
        set +e
        [ -n "$STASISD_PID" ] && kill -CONT "$STASISD_PID" 2>/dev/null
        (exit "$rc")
        stasis_cleanup
}
trap exit_status_cleanup EXIT

stasis_make_fs btrfs pool
P=$STASIS_FS
btrfs -q subvolume create "$P/vol"
btrfs -q subvolume create "$P/db"
touch "$P/vol/file"
stasis_make_fs ext4 plain 64M
E=$STASIS_FS
chmod 755 "$T" "$T/mnt"

# ---- 1. Error names ----

# NoSuchSet: 3
assert_exit 3 "$STASIS" show 42
assert_contains "$STASIS_ERR" "No snapshot set with id '42'"
assert_exit 3 "$STASIS" show nonsense
assert_contains "$STASIS_ERR" "No snapshot set with id 'nonsense'"
assert_exit 2 "$STASIS" show 1/../2
assert_contains "$STASIS_ERR" "stasis show: \"1/../2\" is not a set id"
assert_exit 3 "$STASIS" delete 42
assert_exit 3 "$STASIS" complete 42
assert_contains "$STASIS_ERR" "stasis: complete 42: No snapshot set with id '42'"
# NoSuchPath: 3; NotADirectory: 2; NoProvider: 6
assert_exit 3 "$STASIS" create "$P/nope"
assert_contains "$STASIS_ERR" "$P/nope: no such file or directory"
assert_exit 2 "$STASIS" create "$P/vol/file"
assert_contains "$STASIS_ERR" "$P/vol/file is not a directory"
assert_exit 6 "$STASIS" create "$E"
assert_contains "$STASIS_ERR" "which no provider can snapshot"
assert_exit 6 "$STASIS" volumes "$E"
# InvalidArgument: 2 (a label too long)
assert_exit 2 "$STASIS" create --label "$(head -c 300 /dev/zero | tr '\0' x)" "$P/vol"
# NoSuchComponent: 3
assert_exit 3 "$STASIS" create --component nosuch:data
assert_contains "$STASIS_ERR" "nosuch"
# NoSuchOrphan: 3
assert_exit 3 "$STASIS" delete-orphan "no-such-handle"
assert_exit 3 "$STASIS" adopt 4242
# AccessDenied: 4, as nobody
"$STASIS" create "$P/vol" >/dev/null
assert_exit 0 stasis_as_nobody "$STASIS" show 1
assert_exit 4 stasis_as_nobody "$STASIS" create "$P/vol"
assert_contains "$STASIS_ERR" "Permission denied"
assert_exit 4 stasis_as_nobody "$STASIS" delete 1
assert_exit 4 stasis_as_nobody "$STASIS" complete 1
assert_exit 4 stasis_as_nobody "$STASIS" list --orphans --rescan
# Busy: 7 (completed already)
assert_exit 0 "$STASIS" complete 1
assert_exit 7 "$STASIS" complete 1
assert_contains "$STASIS_ERR" "stasis: complete 1: "
"$STASIS" delete 1 >/dev/null
# WriterFailed: 9; WriterRetryable: 10 (with --require-writers)
stasis_start_writer --name vetoer --component data="$P/db" --fault Freeze:veto:disk\ full
assert_exit 9 "$STASIS" create --require-writers --component vetoer:data
assert_contains "$STASIS_ERR" "disk full"
stasis_stop_writer "$STASIS_WRITER_PID"
stasis_start_writer --name vetoer --component data="$P/db" --fault Freeze:veto-retryable:replica\ lagging
assert_exit 10 "$STASIS" create --require-writers --component vetoer:data
assert_contains "$STASIS_ERR" "replica lagging"
stasis_stop_writer "$STASIS_WRITER_PID"
assert_eq "$(stasis_count_sets)" 0 "no set left by the failures"
# Usage: 2, before anything is asked
assert_exit 2 "$STASIS" --timeout=0 list
assert_contains "$STASIS_ERR" "--timeout '0'"
assert_exit 2 "$STASIS" --timeout=soon list
assert_exit 0 "$STASIS" --timeout=2.5 list

# ---- 2. stasisd goes away during a create: 11 ----

# The writer answers PrepareSnapshot after 60 s: stasisd is in the call.
stasis_start_writer --name slow --component data="$P/db" --fault PrepareSnapshot:slow:60000
SLOW_PID=$STASIS_WRITER_PID
"$STASIS" create --component slow:data >"$T/create.out" 2>"$T/create.err" &
CLI_PID=$!
stasis_track_pid "$CLI_PID"
wait_until 10 '[ "$(stasis_count_sets)" = 1 ]'
kill -9 "$STASISD_PID"
wait "$STASISD_PID" 2>/dev/null || true
STASISD_PID=
rc=0; wait "$CLI_PID" || rc=$?
assert_eq "$rc" 11 "create's exit status when stasisd went away"
err=$(cat "$T/create.err")
assert_contains "$err" "stasis: creating the set: stasisd went away before it answered"
assert_contains "$err" "whether the set was made is not known: see 'stasis list'"
assert_eq "$(cat "$T/create.out")" "" "nothing on standard output"
# Not running any more: 5
assert_exit 5 "$STASIS" list
assert_contains "$STASIS_ERR" "stasisd is not running"
stasis_start_daemon
stasis_stop_writer "$SLOW_PID"

# ---- 3. stasisd does not answer: 8 ----

kill -STOP "$STASISD_PID"
assert_exit 8 "$STASIS" --timeout=1 create "$P/vol"
assert_contains "$STASIS_ERR" "stasis: creating the set: stasisd did not answer in time"
assert_contains "$STASIS_ERR" "whether the set was made is not known: see 'stasis list'"
assert_exit 8 "$STASIS" --timeout=0.5 list
assert_contains "$STASIS_ERR" "stasis: listing sets: stasisd did not answer in time"
kill -CONT "$STASISD_PID"
# stasisd answers again, and reads the request the command left behind:
# it makes no set for a caller that is gone, or deletes what it made.
wait_for 10 "$STASIS" list
no_sets() { [ "$(stasis_count_sets)" = 0 ]; }
wait_for 10 no_sets

# ---- 5. Providers: ProviderFailed 1, Timeout 8 ----

stasis_stop_daemon
stasis_install_test_provider
echo fail > "$TEST_PROVIDER_DIR/mode"
STASISD_ARGS="--providers-dir $T/providers.d --commit-timeout=1" stasis_start_daemon
assert_exit 1 "$STASIS" create "$E"
assert_contains "$STASIS_ERR" "provider testprov commit failed"
stasis_writable "$E" || stasis_die "$E left frozen after the failed commit"
# A btrfs snapshot waits on a frozen file system past the commit time limit.
fsfreeze -f "$P"
assert_exit 8 "$STASIS" create "$P/vol"
assert_contains "$STASIS_ERR" "taking the snapshots did not finish within 1 s"
fsfreeze -u "$P"
wait_until 15 '[ "$(stasis_count_sets)" = 0 ]'
echo "ok"
