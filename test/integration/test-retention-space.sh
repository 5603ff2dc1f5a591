#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-retention-space.sh - the space a set holds, and a policy's floor of
# free space (MinFreePercent=), on small real btrfs volumes:
#  1. with quotas enabled, stasis show gives a set's exclusive size (what
#     its snapshot holds alone: a file deleted since); without, "unknown",
#     with the reason, never a guess.
#  2. a writer fills the volume between runs of a policy with
#     MinFreePercent=40: the oldest sets of the policy are removed before
#     each new one as needed, every write succeeds (the volume never fills),
#     and the history says why.
#  3. when the floor cannot be met even with every set of the policy gone,
#     the run fails with a clear error naming the file system and the floor.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
stasis_env_init
stasis_start_bus
T=$STASIS_TMP
stasis_make_fs btrfs q 300M
Q=$STASIS_FS
stasis_make_fs btrfs fill 400M
F=$STASIS_FS
mkdir -p "$T/policies"
printf '[Set]\nPaths=%s\n[Space]\nMinFreePercent=40\n' "$F" > "$T/policies/fill.conf"
STASISD_ARGS="--policies-dir=$T/policies" stasis_start_daemon
mib() { echo $(( $1 * 1024 * 1024 )); }

# 1. exclusive size
btrfs quota enable "$Q"
btrfs quota rescan -w "$Q" >/dev/null
dd if=/dev/urandom of="$Q/data" bs=1M count=20 status=none
sync
a=$("$STASIS" --json create "$Q" | jq -r .id)
rm "$Q/data"
btrfs filesystem sync "$Q"
ex=$("$STASIS" --json show "$a" | jq -r .exclusive_bytes)
[ "$ex" != null ] && [ "$ex" -ge "$(mib 19)" ] && [ "$ex" -le "$(mib 22)" ] ||
        stasis_die "exclusive size of set $a: $ex bytes, expected about 20 MiB"
assert_contains "$("$STASIS" show "$a")" "Exclusive: 20."
b=$("$STASIS" --json create "$F" | jq -r .id)
assert_eq "$("$STASIS" --json show "$b" | jq -r .exclusive_bytes)" null "no quotas: not known"
assert_contains "$("$STASIS" show "$b")" "Exclusive: unknown (quotas are not enabled on $F"
"$STASIS" delete "$a" "$b" >/dev/null

# 2. fill the volume between runs: 60 MiB written, the last file removed, each round
for i in $(seq 1 12); do
        rm -f "$F"/data.*
        dd if=/dev/urandom of="$F/data.$i" bs=1M count=60 status=none conv=fsync ||
                stasis_die "round $i: the volume filled"
        "$STASIS" run fill > "$T/run.$i" 2>&1 || stasis_die "round $i: run failed: $(cat "$T/run.$i")"
done
n=$("$STASIS" --json list | jq '[.[] | select(.policy == "fill")] | length')
[ "$n" -ge 1 ] && [ "$n" -lt 12 ] || stasis_die "$n sets of policy fill after 12 rounds"
hist=$("$STASIS" --json history fill)
[ "$(jq length <<<"$hist")" -ge 1 ] || stasis_die "no removal to keep the floor"
assert_contains "$(jq -r '.[0].reason' <<<"$hist")" "the file system of $F has"
assert_contains "$(jq -r '.[0].reason' <<<"$hist")" "under the floor of MinFreePercent=40; the oldest set of the policy goes first"
assert_eq "$(jq -r '[.[].id | tonumber] | sort | . == (. | sort)' <<<"$hist")" true
assert_contains "$(cat "$T/stasisd.log")" "the floor of free space is met after removing"

# 3. the live data alone is over the floor: the policy's set goes, and still
# the floor is not met
"$STASIS" delete $("$STASIS" --json list | jq -r '.[] | select(.policy == "fill") | .id') >/dev/null
rm -f "$F"/data.*
btrfs filesystem sync "$F"
s=$("$STASIS" --json run fill | head -n 1 | jq -r .id)
free_percent() { btrfs filesystem sync "$F"; stat -f -c '%a %b' "$F" | awk '{ printf "%d", $1 * 100 / $2 }'; }
for i in $(seq 1 40); do
        [ "$(free_percent)" -ge 30 ] || break
        dd if=/dev/urandom of="$F/big.$i" bs=1M count=10 status=none conv=fsync
done
[ "$(free_percent)" -lt 30 ] || stasis_die "could not fill $F under the floor: $(free_percent)% free"
assert_exit 1 "$STASIS" run fill
assert_contains "$STASIS_ERR" "Cannot make a set of policy fill: the file system of $F has"
assert_contains "$STASIS_ERR" "under the floor of MinFreePercent=40, and no set of the policy is left that could be removed"
assert_eq "$("$STASIS" --json list | jq '[.[] | select(.policy == "fill")] | length')" 0 "its set went first"
assert_eq "$("$STASIS" --json history fill | jq -r '.[0].id')" "$s" "and is in the history"
stasis_stop_daemon
echo "ok"
