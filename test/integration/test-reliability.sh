#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-reliability.sh - the commit worker of a set dies or hangs, for sets
# with writers and without, on btrfs and through an external provider that
# holds the file systems frozen; stasisd must survive each, fail the set with
# a clear error, remove what the worker made, thaw the writers and leave
# nothing frozen.
#
# To hold a btrfs commit worker where it can be killed, the test freezes the
# btrfs volume itself before `stasis create`: the worker's snapshot ioctl
# then waits, uninterruptibly, until the test thaws it. A worker killed there
# dies as the ioctl returns, after making the snapshot; one stopped there
# stops then, and is killed at its deadline. The first set of the file system
# is held the same way where the worker makes the file system's snapshot
# store (/.stasis): a worker killed as that returns must leave a store that
# later sets can use.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
[ -x "$STASIS_TEST_WRITER" ] || stasis_die "build the test helpers first ($STASIS_TEST_WRITER)"

stasis_env_init
stasis_start_bus
T=$STASIS_TMP
stasis_install_test_provider
echo ok > "$TEST_PROVIDER_DIR/mode"
# Short commit and hold time limits (the stopped workers reach them; the slow
# provider sleeps 3 s); long writer limits.
STASISD_ARGS="--providers-dir=$T/providers.d --commit-timeout=3 --hold-timeout=4 --prepare-timeout=60 --freeze-window=60"
stasis_start_daemon

stasis_make_fs btrfs pool
P=$STASIS_FS
btrfs -q subvolume create "$P/db"
btrfs -q subvolume create "$P/plain"
stasis_make_fs ext4 e1 64M
E1=$STASIS_FS

# The writer's Thaw is slow, so that stasisd reaps the killed worker before
# the writers are thawed and the set's outcome is decided.
stasis_start_writer --name app --component data="$P/db" --component ext="$E1" --log "$T/app.log" \
        --fault Thaw:slow:300
APP=$STASIS_WRITER_PID

n_sets() { "$STASIS" --json list | jq length; }
proc_state() { awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null; }
# The commit worker: stasisd's child named for it. (Only one set is made at a time here.)
worker() { pgrep -P "$STASISD_PID" "^commit-set" | head -n 1; }
worker_in_kernel() { W=$(worker) && [ -n "$W" ] && [ "$(proc_state "$W")" = D ]; }
in_commit() { grep -q '^commit' "$TEST_PROVIDER_DIR/log" 2>/dev/null; }
worker_started() { W=$(worker) && [ -n "$W" ]; }

# store_ok WHAT: the btrfs file system's snapshot store, if it was made, is a
# root-owned 0700 subvolume in its top level (mounted at $P).
store_ok() {
        [ -e "$P/.stasis" ] || return 0
        assert_eq "$(stat -c '%u %a' "$P/.stasis")" "0 700" "$1: owner and mode of $P/.stasis"
        btrfs subvolume show "$P/.stasis" >/dev/null 2>&1 || stasis_die "$1: $P/.stasis is not a subvolume"
}

# start_create PATH...: `stasis create` in the background.
start_create() {
        "$STASIS" create "$@" >"$T/create.out" 2>"$T/create.err" &
        CLI=$!
        stasis_track_pid "$CLI"
}

# check_failed WHAT PATH: the create failed cleanly, stasisd lives, nothing
# is left: no set, no snapshot, nothing frozen, the writer thawed.
check_failed() {
        local what=$1 path=$2 rc=0
        wait "$CLI" || rc=$?
        kill -0 "$STASISD_PID" 2>/dev/null ||
                { tail -n 30 "$T/stasisd.log" >&2; stasis_die "$what: stasisd died"; }
        [ "$rc" != 0 ] || stasis_die "$what: create succeeded"
        store_ok "$what"
        assert_contains "$(cat "$T/create.err")" "failed" "$what: the error"
        wait_until 10 '[ "$(n_sets)" = 0 ]'
        [ -z "$(btrfs subvolume list -s "$P")" ] ||
                stasis_die "$what: btrfs snapshots left: $(btrfs subvolume list -s "$P")"
        [ -z "$(find "$TEST_PROVIDER_DIR" -name 'snap-*')" ] ||
                stasis_die "$what: provider snapshots left: $(find "$TEST_PROVIDER_DIR" -name 'snap-*')"
        stasis_writable "$path" || stasis_die "$what: $path is frozen"
        stasis_writable "$E1" || stasis_die "$what: $E1 is frozen"
        [ ! -e "$STASIS_STATE_DIR/freeze.journal" ] || stasis_die "$what: the freeze journal is left"
        "$STASIS" list >/dev/null || stasis_die "$what: stasisd does not answer"
        stasis_log "$what: $(cat "$T/create.err")"
}

# The writer was frozen for set ID, and thawed and aborted.
check_writer() {
        local what=$1 id
        id=$(grep -o 'set [0-9]*' "$T/create.err" | head -n 1 | cut -d' ' -f2)
        [ -n "$id" ] || stasis_die "$what: no set id in: $(cat "$T/create.err")"
        grep -q "app Freeze $id ok" "$T/app.log" || stasis_die "$what: the writer was not frozen"
        wait_for 5 grep -q "app Abort $id" "$T/app.log"
        grep -q "app Thaw $id ok" "$T/app.log" || stasis_die "$what: the writer was not thawed"
        wait_until 5 '[ "$(stasis_writer_field app state)" = stable ]'
}

# btrfs_fault SIGNAL WHAT PATH: freeze the btrfs volume, create a set of
# PATH, catch its worker in the snapshot ioctl, send it SIGNAL, thaw.
btrfs_fault() {
        local sig=$1 what=$2 path=$3
        fsfreeze -f "$P"
        start_create "$path"
        wait_until 10 worker_in_kernel         # (the cleanup thaws if not)
        kill "-$sig" "$W"
        fsfreeze -u "$P"
}

# 0. The first set of the file system: the worker is killed as it makes the
# snapshot store. (The set fails; the store is left, and must be usable.)
[ ! -e "$P/.stasis" ] || stasis_die "$P/.stasis exists before the first set"
btrfs_fault KILL "btrfs, first set, worker killed making the store" "$P/plain"
check_failed "btrfs, first set, worker killed making the store" "$P/plain"
assert_contains "$(cat "$T/create.err")" "crashed" "btrfs, first set, worker killed making the store: why"
[ -e "$P/.stasis" ] || stasis_die "the killed worker did not make $P/.stasis"

# 1. btrfs with a writer: the worker is killed.
btrfs_fault KILL "btrfs, writer, worker killed" "$P/db"
check_failed "btrfs, writer, worker killed" "$P/db"
assert_contains "$(cat "$T/create.err")" "crashed" "btrfs, writer, worker killed: why"
check_writer "btrfs, writer, worker killed"

# 2. btrfs with a writer: the worker stops and is killed at its deadline.
btrfs_fault STOP "btrfs, writer, worker stopped" "$P/db"
check_failed "btrfs, writer, worker stopped" "$P/db"
assert_contains "$(cat "$T/create.err")" "did not finish within" "btrfs, writer, worker stopped: why"
check_writer "btrfs, writer, worker stopped"

# 3. and 4. The same without writers.
btrfs_fault KILL "btrfs, no writer, worker killed" "$P/plain"
check_failed "btrfs, no writer, worker killed" "$P/plain"
btrfs_fault STOP "btrfs, no writer, worker stopped" "$P/plain"
check_failed "btrfs, no writer, worker stopped" "$P/plain"

# 5. and 6. An external provider that holds the file system frozen, with the
# writer: the worker is killed, or stopped (the hold watchdog kills it and
# thaws), in the middle of the provider's commit. The provider, which sleeps
# 3 s before it makes its snapshot, must die with the worker.
for sig in KILL STOP; do
        what="provider, writer, worker $sig"
        echo slow > "$TEST_PROVIDER_DIR/mode"
        : > "$TEST_PROVIDER_DIR/log"
        start_create "$E1"
        wait_for 10 in_commit
        worker_started || stasis_die "$what: no worker"
        kill "-$sig" "$W"
        check_failed "$what" "$E1"
        check_writer "$what"
        # The provider the worker ran died with it: it made nothing after
        # stasisd removed what the worker had made.
        prov=$(cat "$TEST_PROVIDER_DIR/commit.pid")
        wait_until 10 '! ps -o stat= -p "$prov" | grep -qv Z'
        [ -z "$(find "$TEST_PROVIDER_DIR" -name 'snap-*')" ] ||
                stasis_die "$what: the provider made a snapshot after the set was removed"
done
echo ok > "$TEST_PROVIDER_DIR/mode"

# 7. After all that, sets are still made, with the writer and without.
out=$("$STASIS" --json create "$P/db")
assert_eq "$(jq -r .consistency <<<"$out")" application "a set after the faults"
"$STASIS" delete "$(jq -r .id <<<"$out")" >/dev/null
out=$("$STASIS" --json create "$P/plain")
assert_eq "$(jq -r .state <<<"$out")" created "a plain set after the faults"
"$STASIS" delete "$(jq -r .id <<<"$out")" >/dev/null

stasis_stop_writer "$APP"
