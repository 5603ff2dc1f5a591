#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-retention-expiry.sh - sets that expire (stasis create --expire-after),
# against the test clock (stasisd --test-clock):
#  1. the expiry is shown by list, show and the JSON; a bad duration is refused.
#  2. once expired, cleanup --dry-run says it would go and removes nothing;
#     stasisd removes it by itself (its timer, at once when it is already
#     past), logs why and keeps it in the history.
#  3. an expired set that is mounted is not removed (its reason is given);
#     once unmounted it goes.
#  4. an expired auto-release set whose requestor is still connected and has
#     not reported the backup complete is not removed.
#  5. a set that expired while stasisd was stopped goes at start-up.
#  6. a set made by hand without an expiry is never removed.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
stasis_env_init
stasis_start_bus
T=$STASIS_TMP
REQ=${STASIS_TEST_REQUESTOR:-$STASIS_BUILD_DIR/test/helpers/stasis-test-requestor}
stasis_make_fs btrfs vol 300M
V=$STASIS_FS
export TZ=UTC
CLOCK=$T/clock
at() { date -d "$1" +%s > "$CLOCK"; }
at "2026-06-01 12:00"
STASISD_ARGS="--test-clock=$CLOCK --policies-dir=$T/none" stasis_start_daemon

# 1. shown
hand=$("$STASIS" --json create "$V" | jq -r .id)
exp=$("$STASIS" --json create --expire-after 2h "$V")
e=$(jq -r .id <<<"$exp")
assert_eq "$(jq -r .expires <<<"$exp")" "2026-06-01T14:00:00+00:00" "the expiry in the JSON"
assert_eq "$(jq -r .expires_usec <<<"$exp")" "$(( $(date -d '2026-06-01 14:00' +%s) * 1000000 ))" "expires_usec"
assert_contains "$("$STASIS" show "$e")" "Expires: 2026-06-01 14:00:00"
assert_contains "$("$STASIS" list)" "2026-06-01 14:00:00"
assert_eq "$("$STASIS" --json list | jq -r ".[] | select(.id == \"$e\") | .expires")" "2026-06-01T14:00:00+00:00"
assert_eq "$("$STASIS" --json show "$hand" | jq -r 'has("expires")')" false "a set without expiry has none"
assert_exit 2 "$STASIS" create --expire-after 3parsecs "$V"
assert_contains "$STASIS_ERR" "--expire-after '3parsecs': not a duration"
assert_exit 2 "$STASIS" list --expire-after 1h
out=$(busctl --address="$STASIS_BUS_ADDRESS" call org.stasis1 /org/stasis1 org.stasis1.Manager CreateSet \
      'asa{sv}' 1 "$V" 1 ExpireAfterUSec s soon 2>&1) && stasis_die "a string expiry was taken"
assert_contains "$out" "Option 'ExpireAfterUSec' must be an unsigned 64-bit number"

# 2. expired: a dry run says so; then stasisd removes it by itself
at "2026-06-01 14:00"
dry=$("$STASIS" --json cleanup --dry-run)
assert_eq "$(jq -r '.[] | select(.action == "would-remove") | .id' <<<"$dry")" "$e" "the dry run names it"
assert_contains "$(jq -r '.[0].reason' <<<"$dry")" "expired at 2026-06-01 14:00:00"
"$STASIS" show "$e" >/dev/null || stasis_die "a dry run removed the set"
# The timer looks at the test clock when it fires; a new set re-arms it.
tmp=$("$STASIS" --json create --expire-after 1h "$V" | jq -r .id)
gone() { ! "$STASIS" show "$1" >/dev/null 2>&1; }
wait_for 10 gone "$e"
assert_contains "$(cat "$T/stasisd.log")" "Set $e: removing it: expired at 2026-06-01 14:00:00"
assert_eq "$("$STASIS" --json history | jq -r '.[0].id')" "$e" "the history lists it"
assert_contains "$("$STASIS" history)" "expired at 2026-06-01 14:00:00"
"$STASIS" delete "$tmp" >/dev/null

# 3. mounted: kept, with the reason; unmounted: removed
m=$("$STASIS" --json create --expire-after 30min "$V" | jq -r .id)
"$STASIS" mount "$m" >/dev/null
at "2026-06-01 15:00"
out=$("$STASIS" cleanup)
assert_contains "$out" "Kept set $m: expired at 2026-06-01 14:30:00; kept for now: it is mounted at"
"$STASIS" show "$m" >/dev/null || stasis_die "a mounted set was removed"
"$STASIS" umount "$m" >/dev/null
out=$("$STASIS" cleanup)
assert_contains "$out" "Removed set $m: expired at 2026-06-01 14:30:00"
gone "$m" || stasis_die "set $m is still there"

# 4. an auto-release set whose backup runs: kept while its requestor is there
rm -f "$T/in"; mkfifo "$T/in"
"$REQ" --bus "$STASIS_BUS_ADDRESS" --expire-after 60 hold "$V" <"$T/in" >"$T/held" &
REQ_PID=$!
stasis_track_pid "$REQ_PID"
exec 3>"$T/in"
wait_for 10 grep -q '^created ' "$T/held"
a=$(sed -n 's/^created //p' "$T/held")
at "2026-06-01 16:00"
out=$("$STASIS" cleanup)
assert_contains "$out" "Kept set $a: expired at 2026-06-01 15:01:00; kept for now: its backup is running"
"$STASIS" show "$a" >/dev/null || stasis_die "a set whose backup runs was removed"
exec 3>&-
wait "$REQ_PID"
wait_for 10 gone "$a"      # released with its requestor

# 5. expired while stasisd was stopped: removed at start-up
s=$("$STASIS" --json create --expire-after 1d "$V" | jq -r .id)
stasis_stop_daemon
at "2026-06-03 00:00"
STASISD_ARGS="--test-clock=$CLOCK --policies-dir=$T/none" stasis_start_daemon
wait_for 10 gone "$s"

# 6. the hand-made set without expiry is still there, after all this
at "2030-01-01 00:00"
"$STASIS" cleanup >/dev/null
"$STASIS" show "$hand" >/dev/null || stasis_die "a hand-made set without expiry was removed"
"$STASIS" delete "$hand" >/dev/null
stasis_stop_daemon
echo "ok"
