#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-views-open.sh - the views Set.OpenView hands out are tracked by stasisd,
# per set and per holder (the caller's bus connection):
#  1. while `stasis exec SET -- CMD` runs, the set is in use (OpenViews,
#     stasis show and its JSON); delete is refused with Busy naming the
#     holder; cleanup and expiry keep it, saying why; a forged
#     NameOwnerChanged does not drop the record; once CMD ends the record is
#     gone and the expired set goes.
#  2. `stasis exec` SIGKILLed: its connection leaves the bus, the record goes
#     with it, and delete works.
#  3. delete --force works while a view is open (ForgetViews, then Delete).
#  4. a requestor that deletes the set while it holds a view of its own is
#     not refused; `stasis backup` releases its set as before, also when
#     killed during CMD; a backup's set that another exec reads is released
#     only once that view is closed.
#  5. limits: views per set and per connection (LimitExceeded); CloseView
#     without a view held; ForgetViews needs the right to delete.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
stasis_env_init
stasis_start_bus
T=$STASIS_TMP
A=$STASIS_BUS_ADDRESS
REQ=${STASIS_TEST_REQUESTOR:-$STASIS_BUILD_DIR/test/helpers/stasis-test-requestor}
export TZ=UTC
CLOCK=$T/clock
at() { date -d "$1" +%s > "$CLOCK"; }
at "2026-06-01 12:00"
STASISD_ARGS="--test-clock=$CLOCK --policies-dir=$T/none" stasis_start_daemon

stasis_make_fs btrfs pool
P=$STASIS_FS
btrfs -q subvolume create "$P/vol"
echo old > "$P/vol/f"

open_views() { "$STASIS" --json show "$1" | jq -r .open_views; }
prop() { busctl --address="$A" get-property org.stasis1 "/org/stasis1/set/$1" org.stasis1.Set OpenViews; }
gone() { ! "$STASIS" show "$1" >/dev/null 2>&1; }
no_views() { [ "$(open_views "$1")" = 0 ]; }
no_sets() { [ "$(stasis_count_sets)" = 0 ]; }
unique_name_of() {
        busctl --address="$A" --json=short list | jq -r --argjson p "$1" \
                '[.[] | select(.pid == $p and (.name | startswith(":")))][0].name // ""'
}
# exec_wait ID TAG: stasis exec ID in the background until $T/go-TAG exists.
exec_wait() {
        rm -f "$T/ready-$2" "$T/go-$2"
        "$STASIS" exec "$1" -- sh -c "touch '$T/ready-$2'; while [ ! -e '$T/go-$2' ]; do sleep 0.05; done" &
        E=$!
        stasis_track_pid "$E"
        wait_for 10 test -e "$T/ready-$2"
}

# 1. In use while the exec runs.
id=$("$STASIS" --json create --expire-after 1h "$P/vol" | jq -r .id)
assert_eq "$(open_views "$id")" 0 "no open view at first"
dbus-monitor --address "$A" "type='signal',member='PropertiesChanged',path='/org/stasis1/set/$id'" \
        >"$T/monitor" 2>&1 &
stasis_track_pid $!
monitoring() { [ -s "$T/monitor" ]; }       # it prints its own NameAcquired/NameLost first
wait_for 10 monitoring
exec_wait "$id" 1
assert_eq "$(open_views "$id")" 1 "the exec's view is counted"
assert_eq "$(prop "$id")" "u 1" "the OpenViews property"
assert_contains "$("$STASIS" show "$id")" "Open views: 1"
HOLDER=$(unique_name_of "$E")
[ -n "$HOLDER" ] || stasis_die "cannot find the unique name of stasis exec"
assert_exit 7 "$STASIS" delete "$id"
assert_contains "$STASIS_ERR" "Snapshot set $id has 1 open view"
assert_contains "$STASIS_ERR" "$HOLDER (pid $E)" "the holder is named"
assert_contains "$STASIS_ERR" "stasis delete --force"
"$STASIS" show "$id" >/dev/null || stasis_die "a set with an open view was deleted"
# A forged "the holder left" changes nothing.
DAEMON=$(unique_name_of "$STASISD_PID")
stasis_as_nobody busctl --address="$A" emit --destination="$DAEMON" /org/freedesktop/DBus \
        org.freedesktop.DBus NameOwnerChanged sss "$HOLDER" "$HOLDER" ""
assert_eq "$(open_views "$id")" 1 "a forged NameOwnerChanged drops no view"
# Expired: cleanup (and the expiry timer, which asks the same) keeps it,
# saying why.
at "2026-06-01 14:00"
out=$("$STASIS" cleanup)
assert_contains "$out" "Kept set $id: expired at 2026-06-01 13:00:00; kept for now: it has 1 open view"
out=$("$STASIS" --json cleanup)
assert_eq "$(jq -r ".[] | select(.id == \"$id\") | .action" <<<"$out")" kept-in-use "the JSON says kept"
assert_contains "$(cat "$T/stasisd.log")" "Set $id: expired at 2026-06-01 13:00:00; kept for now: it has 1 open view, held by $HOLDER"
"$STASIS" show "$id" >/dev/null || stasis_die "an expired set with an open view was removed"
# CMD ends: the record goes (CloseView), and the expired set with it.
touch "$T/go-1"
wait "$E"
assert_contains "$(cat "$T/stasisd.log")" "Set $id: view closed by $HOLDER"
changed() { [ "$(grep -c 'string "OpenViews"' "$T/monitor")" -ge 2 ]; }
wait_for 10 changed     # PropertiesChanged when it was opened, and when closed
out=$("$STASIS" cleanup)
assert_contains "$out" "Removed set $id: expired at 2026-06-01 13:00:00"
wait_for 10 gone "$id"

# 2. stasis exec killed: its connection leaves, the record goes.
id=$("$STASIS" --json create "$P/vol" | jq -r .id)
exec_wait "$id" 2
HOLDER=$(unique_name_of "$E")
assert_eq "$(open_views "$id")" 1 "the exec's view is counted"
kill -KILL "$E"
wait "$E" 2>/dev/null || true
wait_for 10 no_views "$id"
assert_contains "$(cat "$T/stasisd.log")" "Set $id: $HOLDER left the bus; its 1 open view(s) forgotten"
if "$STASIS" show "$id" | grep -q "Open views"; then stasis_die "show lists open views after the exec was killed"; fi
"$STASIS" delete "$id" >/dev/null
gone "$id" || stasis_die "set $id is still there"

# 3. delete --force while a view is open.
id=$("$STASIS" --json create "$P/vol" | jq -r .id)
exec_wait "$id" 3
"$STASIS" delete --force "$id" >/dev/null
wait_for 10 gone "$id"
touch "$T/go-3"
wait "$E" || true

# 4. Its own view does not keep a set from its requestor's delete.
id=$("$STASIS" --json create "$P/vol" | jq -r .id)
"$REQ" --bus "$A" view-delete "$id" || stasis_die "a requestor could not delete a set it holds a view of"
gone "$id" || stasis_die "set $id is still there"
out=$("$STASIS" backup "$P/vol" -- cat "$P/vol/f" 2>/dev/null)
assert_eq "$out" old "stasis backup reads the snapshot"
assert_eq "$(stasis_count_sets)" 0 "stasis backup deleted its set"
# ... and an auto-release set goes when its requestor is killed during CMD.
rm -f "$T/ready-4"
"$STASIS" backup "$P/vol" -- sh -c "touch '$T/ready-4'; exec sleep 100" 2>/dev/null &
B=$!
stasis_track_pid "$B"
wait_for 10 test -e "$T/ready-4"
b=$("$STASIS" --json list | jq -r '.[0].id')
assert_eq "$(open_views "$b")" 1 "the backup's view is counted"
kill -KILL "$B"
wait "$B" 2>/dev/null || true
wait_for 10 no_sets

# ... and a backup's set that another exec reads is not pulled from under
# it: the backup succeeds, and its set goes once the other view is closed.
rm -f "$T/ready-5" "$T/go-5"
"$STASIS" backup "$P/vol" -- sh -c "touch '$T/ready-5'; while [ ! -e '$T/go-5' ]; do sleep 0.05; done" \
        2>"$T/backup.err" &
B=$!
stasis_track_pid "$B"
wait_for 10 test -e "$T/ready-5"
b=$("$STASIS" --json list | jq -r '.[0].id')
exec_wait "$b" 6
touch "$T/go-5"
wait "$B" || stasis_die "the backup failed: $(cat "$T/backup.err")"
assert_contains "$(cat "$T/backup.err")" "snapshot set $b is read through 1 open view(s) of others; stasisd releases it"
assert_eq "$(open_views "$b")" 1 "the other exec still reads the backup's set"
assert_contains "$(cat "$T/stasisd.log")" "Set $b: its requestor"
assert_contains "$(cat "$T/stasisd.log")" "left; it is released once its 1 open view, held by"
touch "$T/go-6"
wait "$E"
wait_for 10 no_sets
assert_contains "$(cat "$T/stasisd.log")" "Set $b: its last open view is closed and its requestor left; releasing it."

# 5. Limits, CloseView, ForgetViews.
id=$("$STASIS" --json create "$P/vol" | jq -r .id)
rm -f "$T/in"; mkfifo "$T/in"
"$REQ" --bus "$A" --count 9 views "$id" <"$T/in" >"$T/views" &
R=$!
stasis_track_pid "$R"
exec 3>"$T/in"
wait_for 10 grep -q '^error' "$T/views"
assert_eq "$(grep -c '^opened' "$T/views")" 8 "8 views of one set on one connection"
assert_contains "$(cat "$T/views")" "error org.stasis1.Error.LimitExceeded"
assert_contains "$(cat "$T/views")" "This connection holds 8 open views of snapshot set $id already"
assert_eq "$(open_views "$id")" 8 "the refused one is not counted"
exec 3>&-
wait "$R" || true          # the 9th CloseView fails: none left
assert_eq "$(open_views "$id")" 0 "CloseView closed them all"
# Per connection, over all sets: 32.
ids=()
for i in 1 2 3 4 5; do ids+=("$("$STASIS" --json create "$P/vol" | jq -r .id)"); done
rm -f "$T/in"; mkfifo "$T/in"
"$REQ" --bus "$A" --count 7 --keep-views views "${ids[@]}" <"$T/in" >"$T/views" &
R=$!
stasis_track_pid "$R"
exec 3>"$T/in"
lines() { [ "$(grep -c '' "$T/views")" -ge "$1" ]; }
wait_for 10 lines 35
assert_eq "$(grep -c '^opened' "$T/views")" 32 "32 views on one connection"
assert_contains "$(cat "$T/views")" "This connection holds 32 open views already"
exec 3>&-
wait "$R" || true
for i in "${ids[@]}"; do wait_for 10 no_views "$i"; done
for i in "${ids[@]}"; do "$STASIS" delete "$i" >/dev/null; done
# CloseView without a view held.
out=$(busctl --address="$A" call org.stasis1 "/org/stasis1/set/$id" org.stasis1.Set CloseView 2>&1) &&
        stasis_die "CloseView without a view answered"
assert_contains "$out" "This connection holds no open view of snapshot set $id"
# ForgetViews: the right to delete the set.
rm -f "$T/in"; mkfifo "$T/in"
"$REQ" --bus "$A" --keep-views views "$id" <"$T/in" >"$T/views" &
R=$!
stasis_track_pid "$R"
exec 3>"$T/in"
wait_for 10 grep -q '^opened' "$T/views"
out=$(stasis_as_nobody busctl --address="$A" call org.stasis1 "/org/stasis1/set/$id" org.stasis1.Set \
      ForgetViews 2>&1) && stasis_die "nobody could forget the views"
assert_contains "$out" "org.stasis1.delete-set"
out=$(stasis_as_nobody busctl --address="$A" call org.stasis1 "/org/stasis1/set/$id" org.stasis1.Set \
      CloseView 2>&1) && stasis_die "nobody closed a view it does not hold"
assert_contains "$out" "This connection holds no open view of snapshot set $id"
assert_eq "$(open_views "$id")" 1 "nobody closed no view of others"
busctl --address="$A" call org.stasis1 "/org/stasis1/set/$id" org.stasis1.Set ForgetViews >/dev/null
assert_eq "$(open_views "$id")" 0 "ForgetViews forgot the view"
"$STASIS" delete "$id" >/dev/null
exec 3>&-
wait "$R" || true
assert_eq "$(stasis_count_sets)" 0 "every set is gone"
echo "ok"
