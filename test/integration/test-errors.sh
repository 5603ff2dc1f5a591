#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-errors.sh - every bad input and failure gets a clear error naming the
# thing at fault and the documented exit code: missing daemon, bad paths,
# file systems no provider takes, unprivileged callers, a provider that does
# not finish in time (the snapshot waits on a frozen file system).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
stasis_env_init

# No bus at all, then a bus without stasisd: exit 5.
STASIS_BUS_ADDRESS=unix:path=$STASIS_TMP/nonexistent assert_exit 5 "$STASIS" list
assert_contains "$STASIS_ERR" "cannot connect to the bus unix:path=$STASIS_TMP/nonexistent"
stasis_start_bus
assert_exit 5 "$STASIS" list
assert_contains "$STASIS_ERR" "stasisd is not running"

# stasisd refuses bad options, and a second instance.
assert_exit 1 "$STASISD" --commit-timeout=0
assert_contains "$STASIS_ERR" "Invalid --commit-timeout '0'"
assert_exit 1 "$STASISD" --freeze-settle=2
assert_contains "$STASIS_ERR" "Invalid --freeze-settle '2'"
assert_exit 1 "$STASISD" --hold-timeout=-1
assert_contains "$STASIS_ERR" "Invalid --hold-timeout '-1'"
assert_exit 1 "$STASISD" --log-level=loud
assert_contains "$STASIS_ERR" "Unknown log level 'loud'"
assert_exit 1 "$STASISD" extra-argument
touch "$STASIS_TMP/afile"
assert_exit 1 "$STASISD" --state-dir "$STASIS_TMP/afile"
assert_contains "$STASIS_ERR" "State directory $STASIS_TMP/afile is not a directory"

stasis_start_daemon
assert_exit 1 "$STASISD" --state-dir "$STASIS_TMP/state2"
assert_contains "$STASIS_ERR" "Another process already owns org.stasis1"

stasis_make_fs btrfs pool
P=$STASIS_FS
btrfs -q subvolume create "$P/vol"
stasis_make_fs ext4 plain
E=$STASIS_FS

# Paths.
assert_exit 3 "$STASIS" create "$P/nope"
assert_contains "$STASIS_ERR" "$P/nope: no such file or directory"
touch "$P/vol/file"
assert_exit 2 "$STASIS" create "$P/vol/file"
assert_contains "$STASIS_ERR" "$P/vol/file is not a directory"
assert_exit 6 "$STASIS" create "$E"
assert_contains "$STASIS_ERR" "$E is on a ext4 file system ($STASIS_DEV at $E), which no provider can snapshot"
assert_exit 6 "$STASIS" volumes "$E"
# One bad path fails the whole set; nothing is left behind.
assert_exit 6 "$STASIS" create "$P/vol" "$E"
assert_eq "$(stasis_count_sets)" 0 "no set after a failed create"
[ ! -e "$P/.stasis" ] || [ -z "$(ls "$P/.stasis")" ] || stasis_die "a failed create left a snapshot"
# A read-only snapshot cannot hold snapshots.
"$STASIS" create "$P/vol" >/dev/null
assert_exit 6 "$STASIS" create "$P/.stasis/1-0"
assert_contains "$STASIS_ERR" "is on the read-only btrfs subvolume $P/.stasis/1-0"
# Label length and ids.
assert_exit 2 "$STASIS" create --label "$(head -c 300 /dev/zero | tr '\0' x)" "$P/vol"
assert_exit 3 "$STASIS" delete 99
assert_exit 3 "$STASIS" show nonsense

# Unprivileged callers may look but not change anything.
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
chmod 755 "$STASIS_TMP" "$STASIS_TMP/mnt"
assert_exit 0 as_nobody "$STASIS" list
assert_exit 0 as_nobody "$STASIS" show 1
assert_exit 4 as_nobody "$STASIS" create "$P/vol"
assert_contains "$STASIS_ERR" "Permission denied: only root may create snapshot sets (caller uid 65534)"
assert_exit 4 as_nobody "$STASIS" delete 1
assert_contains "$STASIS_ERR" "Permission denied: only root may delete snapshot sets"
out=$(as_nobody busctl --address="$STASIS_BUS_ADDRESS" call org.stasis1 /org/stasis1/set/1 org.stasis1.Set Delete 2>&1) &&
        stasis_die "nobody deleted a set via Set.Delete"
assert_contains "$out" "Permission denied"
assert_eq "$("$STASIS" --json show 1 | jq -r .state)" created "set 1 survives the attempts"
# Only root may own the name.
out=$(as_nobody busctl --address="$STASIS_BUS_ADDRESS" call org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus RequestName su org.stasis1 0 2>&1) && stasis_die "nobody may own org.stasis1"
assert_contains "$out" "Access denied"
"$STASIS" delete 1 >/dev/null

# A provider that does not finish in time: the snapshot waits on a frozen
# file system. The request fails with a time-out (exit 8) while stasisd keeps
# answering, and once the file system thaws nothing is left behind.
stasis_stop_daemon
STASISD_ARGS=--commit-timeout=1 stasis_start_daemon
fsfreeze -f "$P"
"$STASIS" create "$P/vol" >/dev/null 2>"$STASIS_TMP/create.err" &
CLI_PID=$!
stasis_track_pid "$CLI_PID"
creating() { [ "$("$STASIS" --json list | jq -r '[.[] | select(.state == "creating")] | length')" = 1 ]; }
wait_for 5 creating
id=$("$STASIS" --json list | jq -r '.[0].id')
rc=0; wait "$CLI_PID" || rc=$?
assert_eq "$rc" 8 "create exit code at the deadline"
assert_contains "$(cat "$STASIS_TMP/create.err")" "taking the snapshots did not finish within 1 s"
assert_exit 0 "$STASIS" list          # still answering while the worker is stuck
fsfreeze -u "$P"
wait_for 15 test ! -e "$P/vol/.stasis/$id"
no_sets() { [ "$(stasis_count_sets)" = 0 ]; }
wait_for 15 no_sets
echo "ok"
