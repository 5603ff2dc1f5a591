#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-restart.sh - the catalog across daemon restarts: persistent sets stay,
# auto-release sets are released, a snapshot deleted behind stasisd's back
# marks its set "missing", and a set half made when stasisd was killed is
# removed at the next start.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
stasis_setup

stasis_make_fs btrfs pool
P=$STASIS_FS
btrfs -q subvolume create "$P/a"
btrfs -q subvolume create "$P/b"
echo a > "$P/a/f"

"$STASIS" create --label first "$P/a" >/dev/null     # set 1
"$STASIS" create --label second "$P/a" "$P/b" >/dev/null   # set 2

# An auto-release set whose requestor is still connected when stasisd dies.
mkfifo "$STASIS_TMP/in"
"$TEST_REQUESTOR" "$P/b" <"$STASIS_TMP/in" >"$STASIS_TMP/id" &
REQ_PID=$!
stasis_track_pid "$REQ_PID"
exec 3>"$STASIS_TMP/in"
wait_for 10 test -s "$STASIS_TMP/id"
assert_eq "$(cat "$STASIS_TMP/id")" 3 "auto-release set id"

# 1. Crash: SIGKILL, then start again.
kill -9 "$STASISD_PID"; wait "$STASISD_PID" 2>/dev/null || true; STASISD_PID=
stasis_start_daemon
two_sets() { [ "$(stasis_count_sets)" = 2 ]; }
wait_for 10 two_sets
assert_eq "$("$STASIS" --json list | jq -c '[.[] | [.id, .state, .label]]')" \
        '[["1","created","first"],["2","created","second"]]' "sets after a crash"
wait_for 10 test ! -e "$P/.stasis/3-0"
grep -q "Set 3 was an auto-release set" "$STASIS_TMP/stasisd.log" || stasis_die "release of set 3 not logged"
exec 3>&-

# 2. A snapshot vanishes behind stasisd's back: set 2 becomes "missing".
btrfs -q subvolume delete "$P/.stasis/2-1"
stasis_stop_daemon
stasis_start_daemon
assert_eq "$("$STASIS" --json show 2 | jq -r .state)" missing "set 2 state"
assert_eq "$("$STASIS" --json show 2 | jq -c '[.volumes[].state]')" '["ok","missing"]' "volume states"
assert_eq "$("$STASIS" --json show 1 | jq -r .state)" created "set 1 untouched"
grep -q "snapshot $(blkid -s UUID -o value "$STASIS_DEV"):/.stasis/2-1 of $P/b has vanished" "$STASIS_TMP/stasisd.log" ||
        stasis_die "vanished snapshot not reported"
assert_contains "$("$STASIS" list)" "missing"
# ...and stays missing across another restart, then can be deleted.
stasis_stop_daemon
stasis_start_daemon
assert_eq "$("$STASIS" --json show 2 | jq -r .state)" missing "set 2 still missing"
"$STASIS" delete 2 >/dev/null
[ ! -e "$P/.stasis/2-0" ] || stasis_die "delete of a missing set left its other snapshot"
assert_eq "$(stasis_count_sets)" 1 "one set left"

# 3. stasisd is killed while a set is being made (the snapshot waits on a
# frozen file system). At the next start the half-made set is removed.
fsfreeze -f "$P"
"$STASIS" create "$P/a" >/dev/null 2>"$STASIS_TMP/create.err" &
CLI_PID=$!
creating() { [ "$("$STASIS" --json list | jq -r '[.[] | select(.state == "creating")] | length')" = 1 ]; }
wait_for 10 creating
id=$("$STASIS" --json list | jq -r '.[] | select(.state == "creating") | .id')
worker=$(pgrep -P "$STASISD_PID" "^commit-set")
[ -n "$worker" ] || stasis_die "no commit worker under stasisd"
kill -9 "$STASISD_PID"; wait "$STASISD_PID" 2>/dev/null || true; STASISD_PID=
cli_rc=0; wait "$CLI_PID" || cli_rc=$?
[ "$cli_rc" != 0 ] || stasis_die "create succeeded although stasisd was killed"
fsfreeze -u "$P"
# The worker dies with stasisd (PR_SET_PDEATHSIG) once the kernel lets it go.
gone() { ! kill -0 "$worker" 2>/dev/null; }
wait_for 10 gone
stasis_start_daemon
wait_for 10 test ! -e "$P/.stasis/$id-0"
assert_exit 3 "$STASIS" show "$id"
grep -q "Set $id was left creating by a previous run" "$STASIS_TMP/stasisd.log" ||
        stasis_die "half-made set not reported"
assert_eq "$("$STASIS" --json list | jq -c '[.[].id]')" '["1"]' "only set 1 remains"

# The catalog is SQLite in WAL mode under the state directory.
assert_eq "$(sqlite3 "$STASIS_STATE_DIR/catalog.db" 'PRAGMA journal_mode')" wal "journal mode"
assert_eq "$(stat -c %a "$STASIS_STATE_DIR")" 700 "state dir mode"
echo "ok"
