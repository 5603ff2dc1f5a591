#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-retention-run.sh - stasis run POLICY as a timer runs it, on a real
# btrfs volume, against the test clock (stasisd --test-clock):
#  1. a policy that keeps the last 3, run 10 times: exactly 3 sets stay,
#     the 3 newest, and the catalog's history lists the 7 removals, why,
#     and by which policy; the sets record their policy.
#  2. a timeline policy (KeepLast=2 Hourly=2 Daily=3 Monthly=1) run at the
#     times of the worked example of docs/retention.md keeps exactly the
#     sets it says (2 4 5 7 8 9 10), each run removing what its time lets go.
#  3. a set made by hand on the same volume is never touched.
#  4. a policy name nobody knows fails with a clear error.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
stasis_env_init
stasis_start_bus
T=$STASIS_TMP
stasis_make_fs btrfs vol 300M
V=$STASIS_FS

mkdir -p "$T/policies"
cat > "$T/policies/last3.conf" <<CONF
# keep the last three
[Set]
Paths=$V
Label=last three

[Retention]
KeepLast=3
CONF
cat > "$T/policies/timeline.conf" <<CONF
[Set]
Paths=$V

[Retention]
KeepLast=2
Hourly=2
Daily=3
Monthly=1
CONF
CLOCK=$T/clock
at() { TZ=UTC date -d "$1" +%s > "$CLOCK"; }
at "2026-01-01 00:00"
export TZ=UTC
STASISD_ARGS="--policies-dir=$T/policies --test-clock=$CLOCK" stasis_start_daemon

# 3. a set made by hand, long before everything else
hand=$("$STASIS" --json create "$V" | jq -r .id)

# 1. ten runs, an hour apart, as stasis-run@last3.service runs them
for i in $(seq 0 9); do
        at "2026-01-01 0$i:30"
        "$STASIS" run last3 > "$T/run.$i" || stasis_die "run $i failed: $(cat "$T/run.$i")"
done
ids=$("$STASIS" --json list | jq -r '[.[] | select(.policy == "last3") | .id] | join(" ")')
assert_eq "$(wc -w <<<"$ids")" 3 "sets of last3 after 10 runs"
assert_eq "$ids" "$((hand + 8)) $((hand + 9)) $((hand + 10))" "the three newest stay"
assert_eq "$("$STASIS" --json show "$((hand + 10))" | jq -r .policy)" last3 "the set records its policy"
assert_eq "$("$STASIS" --json show "$((hand + 10))" | jq -r .label)" "last three" "the policy's label"
hist=$("$STASIS" --json history last3)
assert_eq "$(jq length <<<"$hist")" 7 "removals in the history"
assert_eq "$(jq -r '[.[].id] | sort_by(tonumber) | join(" ")' <<<"$hist")" \
        "$((hand + 1)) $((hand + 2)) $((hand + 3)) $((hand + 4)) $((hand + 5)) $((hand + 6)) $((hand + 7))" \
        "the seven oldest went"
assert_contains "$(jq -r '.[0].reason' <<<"$hist")" "policy last3: no rule keeps it (KeepLast=3)"
assert_contains "$(cat "$T/run.9")" "Removed set $((hand + 7)): policy last3: no rule keeps it"
for id in $(jq -r '.[].id' <<<"$hist"); do
        ! "$STASIS" show "$id" >/dev/null 2>&1 || stasis_die "set $id is still there"
done
"$STASIS" delete $ids

# 2. the worked example of docs/retention.md, set by set at its times
times=("2026-02-27 09:00" "2026-03-01 10:00" "2026-03-01 22:00" "2026-03-08 10:00" "2026-03-09 09:00"
       "2026-03-09 18:00" "2026-03-10 09:00" "2026-03-10 10:00" "2026-03-10 10:30" "2026-03-10 11:00")
made=()
for t in "${times[@]}"; do
        at "$t"
        made+=("$("$STASIS" --json run timeline | head -n 1 | jq -r .id)")
done
# Each run removed what the rules let go at its time: sets 1, 3 and 6.
assert_contains "$(jq -r '.[].id' <<<"$("$STASIS" --json history timeline)" | sort -n | tr '\n' ' ')" \
        "${made[0]} ${made[2]} ${made[5]} " "the removals in the history"
at "2026-03-10 12:00"
"$STASIS" cleanup timeline > "$T/cleanup"
assert_eq "$(cat "$T/cleanup")" "Nothing to remove." "a cleanup at noon"
left=$("$STASIS" --json list | jq -r '[.[] | select(.policy == "timeline") | .id] | join(" ")')
assert_eq "$left" "${made[1]} ${made[3]} ${made[4]} ${made[6]} ${made[7]} ${made[8]} ${made[9]}" \
        "the sets the worked example keeps (2 4 5 7 8 9 10)"

# 3. the hand-made set is still there, after every cleanup of every policy
"$STASIS" cleanup >/dev/null
"$STASIS" show "$hand" >/dev/null || stasis_die "the hand-made set was removed"

# 4. an unknown policy
assert_exit 2 "$STASIS" run nosuch
assert_contains "$STASIS_ERR" "No policy 'nosuch' in $T/policies"
assert_exit 2 "$STASIS" cleanup nosuch

"$STASIS" delete $left "$hand" >/dev/null
stasis_stop_daemon
echo "ok"
