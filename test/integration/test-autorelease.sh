#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-autorelease.sh - a set made without "persistent" lives as long as its
# requestor's bus connection: released on a clean exit, on SIGKILL, and when
# the requestor leaves while the set is still being made.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
stasis_setup

stasis_make_fs btrfs pool
P=$STASIS_FS
btrfs -q subvolume create "$P/vol"
echo data > "$P/vol/f"

# start_requestor: runs test-requestor holding its connection until fd 3 closes.
start_requestor() {
        rm -f "$STASIS_TMP/in" "$STASIS_TMP/id"
        mkfifo "$STASIS_TMP/in"
        "$TEST_REQUESTOR" "$@" <"$STASIS_TMP/in" >"$STASIS_TMP/id" &
        REQ_PID=$!
        stasis_track_pid "$REQ_PID"
        exec 3>"$STASIS_TMP/in"
}
have_id() { [ -s "$STASIS_TMP/id" ]; }
no_sets() { [ "$(stasis_count_sets)" = 0 ]; }

# A persistent set made from the CLI is not anybody's connection's.
"$STASIS" create --label keep "$P/vol" >/dev/null

# 1. Clean exit of the requestor.
start_requestor "$P/vol"
wait_for 10 have_id
id=$(cat "$STASIS_TMP/id")
assert_eq "$("$STASIS" --json show "$id" | jq -r .persistent)" false "requestor's set is not persistent"
assert_eq "$(cat "$P/.stasis/$id-0/f")" data "snapshot while the requestor is connected"
exec 3>&-
wait "$REQ_PID"
wait_for 10 test ! -e "$P/.stasis/$id-0"
assert_exit 3 "$STASIS" show "$id"
assert_eq "$(stasis_count_sets)" 1 "the persistent set stays"

# 2. The requestor is killed.
start_requestor "$P/vol"
wait_for 10 have_id
id=$(cat "$STASIS_TMP/id")
kill -9 "$REQ_PID"
wait "$REQ_PID" 2>/dev/null || true
exec 3>&-
wait_for 10 test ! -e "$P/.stasis/$id-0"
assert_eq "$(stasis_count_sets)" 1 "only the persistent set is left"

# 3. The requestor leaves while its set is being made: the file system is
# frozen, so the btrfs snapshot waits; the set is released once made.
fsfreeze -f "$P"
start_requestor "$P/vol"
creating() { [ "$("$STASIS" --json list | jq -r '[.[] | select(.state == "creating")] | length')" = 1 ]; }
wait_for 10 creating
id=$("$STASIS" --json list | jq -r '.[] | select(.state == "creating") | .id')
kill -9 "$REQ_PID"
wait "$REQ_PID" 2>/dev/null || true
exec 3>&-
sleep 0.3
fsfreeze -u "$P"
one_set() { [ "$(stasis_count_sets)" = 1 ]; }
wait_for 10 one_set
[ ! -e "$P/.stasis/$id-0" ] || stasis_die "set $id made after its requestor left was not released"
grep -q "Set $id: its requestor left while it was made; releasing it." "$STASIS_TMP/stasisd.log" ||
        stasis_die "stasisd did not log the late release"
echo "ok"
