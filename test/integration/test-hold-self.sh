#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-hold-self.sh - a set that freezes the file system holding stasisd's
# own catalog, its log and the bus socket still works: nothing writes to a
# file system inside the hold window. Calls that arrive during the hold are
# answered (reads at once, writes after the thaw).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
stasis_env_init

stasis_make_fs ext4 self 64M
S=$STASIS_FS
# Everything of stasisd's lives on S: catalog, journal, log; and the bus socket.
export STASIS_STATE_DIR=$S/state
STASIS_TMP_REAL=$STASIS_TMP
mkdir -p "$S/run"
chmod 755 "$S" "$S/run"
STASIS_TMP=$S/run stasis_start_bus
STASIS_TMP=$STASIS_TMP_REAL

stasis_install_test_provider
echo slow > "$TEST_PROVIDER_DIR/mode"          # the provider takes 3 s: a long hold
STASISD_ARGS="--providers-dir=$STASIS_TMP/providers.d --hold-timeout=10" stasis_start_daemon "$S/stasisd.log"

# The log is read from S; stasis_stop_daemon shows it on failure from there.
ln -s "$S/stasisd.log" "$STASIS_TMP/stasisd.log"

stasis_make_fs ext4 other 64M
O=$STASIS_FS

"$STASIS" --json create "$S" >"$STASIS_TMP/create.out" 2>"$STASIS_TMP/create.err" &
CLI=$!
stasis_track_pid "$CLI"
in_commit() { grep -q '^commit' "$TEST_PROVIDER_DIR/log" 2>/dev/null; }
wait_for 5 in_commit

# During the hold: reads are answered at once...
t0=$(date +%s%N)
assert_exit 0 "$STASIS" list
assert_eq "$("$STASIS" --json show 1 | jq -r .state)" creating "state during the hold"
t1=$(date +%s%N)
[ $(( (t1 - t0) / 1000000 )) -lt 1500 ] || stasis_die "reads took $(( (t1 - t0) / 1000000 )) ms during the hold"
# ...and a write (a second create) waits for the thaw, then is done.
echo ok > "$TEST_PROVIDER_DIR/mode"
"$STASIS" --json create "$O" >"$STASIS_TMP/create2.out" 2>&1 &
CLI2=$!
stasis_track_pid "$CLI2"

wait "$CLI" || stasis_die "create of the daemon's own file system failed: $(cat "$STASIS_TMP/create.err")"
assert_eq "$(jq -r .state "$STASIS_TMP/create.out")" created "state"
grep -q "^commit 1 $S frozen=yes" "$TEST_PROVIDER_DIR/log" || stasis_die "S was not frozen during the commit"
wait "$CLI2" || stasis_die "the create made during the hold failed: $(cat "$STASIS_TMP/create2.out")"
assert_eq "$(jq -r .id "$STASIS_TMP/create2.out")" 2 "second set"
assert_eq "$(stasis_count_sets)" 2 "both sets recorded"
# The log lines of the hold were kept and written after it.
grep -q "Set 1: held 1 file system(s) for" "$S/stasisd.log" || stasis_die "log lines of the hold lost"
# The catalog on S has both, after a restart too.
stasis_stop_daemon
STASISD_ARGS="--providers-dir=$STASIS_TMP/providers.d" stasis_start_daemon "$S/stasisd.log"
assert_eq "$("$STASIS" --json list | jq -c '[.[] | .state]')" '["created","created"]' "after a restart"
echo "ok"
