#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# guest-lvm-space.sh - the space watch on classic LVM snapshots that fill up,
# through stasisd and the CLI; runs inside the virtual machine of vmtest.sh,
# started by test/integration/test-lvm-space-vm.sh. A snapshot half full is
# grown while its volume group has room; without room, the oldest set that
# is not persistent (and not read: no open view) is released to make some;
# without either, the snapshot
# fills, LVM drops it, and its set turns invalid with the reason. Each step
# is an event of the set in stasis show, kept across a restart of stasisd.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/guest-lvm-lib.sh"

# vgs (200 MiB, 4 MiB extents): two classic LVs of 64 MiB with ext4.
guest_vg vgs 200M
for lv in a b; do
        lvmc lvcreate -q -L 64M -n "$lv" vgs
        mkfs.ext4 -q "/dev/vgs/$lv"
        mkdir -p "$T/mnt/$lv"
        mount "/dev/vgs/$lv" "$T/mnt/$lv"; stasis_track_mount "$T/mnt/$lv"
        echo "before $lv" > "$T/mnt/$lv/f"
        sync
done
vg_free_mib() { lvmc vgs --noheadings --units m --nosuffix -o vg_free vgs | tr -d ' ' | cut -d. -f1; }
lv_mib() { lvmc lvs --noheadings --units m --nosuffix -o lv_size "vgs/$1" | tr -d ' ' | cut -d. -f1; }
# fill LV MIB: writes MIB MiB of new data to the file system of LV, to its device.
fill() { dd if=/dev/urandom of="$T/mnt/$1/fill$RANDOM" bs=1M count="$2" conv=fsync status=none; }
events() { "$STASIS" --json show "$1" | jq -r '.events[].event'; }
# fill_until LV CONDITION [MIB]: writes 1 MiB at a time to LV (at most MIB,
# default 12), giving the watch (every second) time to act after each, until
# CONDITION holds; as an application writing steadily would, not in one
# burst larger than what a round can make room for.
fill_until() {
        local i j
        for i in $(seq 1 "${3:-12}"); do
                fill "$1" 1
                for j in 1 2 3 4 5 6; do
                        eval "$2" && return 0
                        sleep 0.3
                done
        done
        return 1
}

# Snapshots of 8 MiB; the watch looks every second, grows a snapshot half
# full by half its size.
stasis_install_provider lvm "$PROVIDER" DM_DISABLE_UDEV=1 STASIS_LVM_CONFIG="$LVMCONF" \
        STASIS_LVM_SNAPSHOT_SIZE=8M
printf '[Space]\nWatchIntervalSec=1\nExtendAtPercent=50\nExtendByPercent=50\n' > "$T/stasisd.conf"
stasis_start_bus
STASISD_ARGS="--providers-dir=$T/providers.d --config=$T/stasisd.conf" stasis_start_daemon
stasis_log "stasisd started after ${SECONDS}s"

# ---- 1. grown while the VG has room ----
P1=$("$STASIS" --json create -l grow "$T/mnt/a" | jq -r .id)
assert_eq "$(lv_mib "stasis-$P1-0")" 8 "the snapshot's size at the start"
fill_until a '[ "$(lv_mib "stasis-$P1-0")" -gt 8 ]' || stasis_die "the snapshot of set $P1 was not grown"
stasis_log "set $P1's snapshot grown to $(lv_mib "stasis-$P1-0") MiB after ${SECONDS}s"
wait_until 10 'events "$P1" | grep -q "grown from 8.0 MiB to 12.0 MiB"' ||
        stasis_die "no event of the growth in set $P1: $(events "$P1")"
assert_eq "$("$STASIS" --json show "$P1" | jq -r .state)" created "a grown snapshot's set stays created"
# The grown snapshot still holds what was there at the create (a view of it).
"$STASIS" mount "$P1" >/dev/null
root=$("$STASIS" --json show "$P1" | jq -r .mounted_at)
assert_eq "$(cat "$root$T/mnt/a/f")" "before a" "the grown snapshot's content, in a view"
assert_eq "$(ls "$root$T/mnt/a" | grep -c fill || true)" 0 "no data written after the create in the view"
"$STASIS" umount "$P1"
"$STASIS" delete "$P1" >/dev/null
wait_until 30 '[ -z "$(stasis_lvs)" ]' || stasis_die "set $P1's snapshot was not removed"

# ---- 2. no room: the oldest set that is not persistent is released ----
# A filler LV leaves room for two snapshots of 8 MiB and nothing more.
lvmc lvcreate -q -L "$(( $(vg_free_mib) - 16 ))M" -n filler vgs
mkfifo "$T/in"
"$TEST_REQUESTOR" "$T/mnt/b" <"$T/in" >"$T/req.id" &
REQ=$!
stasis_track_pid "$REQ"
exec 3>"$T/in"
wait_until 30 '[ -s "$T/req.id" ]' || stasis_die "the requestor made no set"
A=$(cat "$T/req.id")
assert_eq "$("$STASIS" --json show "$A" | jq -r .persistent)" false "the requestor's set is not persistent"
P2=$("$STASIS" --json create -l keep "$T/mnt/a" | jq -r .id)
assert_eq "$(vg_free_mib)" 0 "no room left in vgs"
# While another process reads set A (an open view: stasis exec), it is not
# released: the watch says there is nothing to release.
"$STASIS" exec "$A" -- sleep 600 &
EX=$!
stasis_track_pid "$EX"
wait_until 30 '[ "$("$STASIS" --json show "$A" | jq -r .open_views)" = 1 ]' || stasis_die "set $A has no open view"
fill_until a 'events "$P2" | grep -q "no set that is not persistent has a snapshot there to release"' ||
        stasis_die "no warning in set $P2 while set $A is read: $(events "$P2")"
"$STASIS" show "$A" >/dev/null || stasis_die "set $A was released while a view of it was open"
! events "$P2" | grep -q "released set $A" || stasis_die "set $A was chosen for release while read: $(events "$P2")"
stasis_log "set $A kept while read, after ${SECONDS}s"
kill "$EX"
wait "$EX" 2>/dev/null || true
wait_until 30 '[ "$("$STASIS" --json show "$A" | jq -r .open_views)" = 0 ]' || stasis_die "set $A's view not closed"
fill_until a '! "$STASIS" show "$A" >/dev/null 2>&1' || stasis_die "set $A was not released for room"
wait_until 10 'events "$P2" | grep -q "released set $A (not persistent"' ||
        stasis_die "no event of the release in set $P2: $(events "$P2")"
fill_until a '[ "$(lv_mib "stasis-$P2-0")" -gt 8 ]' || stasis_die "set $P2's snapshot was not grown after the release"
stasis_log "set $A released, set $P2's snapshot grown to $(lv_mib "stasis-$P2-0") MiB after ${SECONDS}s"
assert_eq "$(stasis_lvs | tr '\n' ' ')" "vgs/stasis-$P2-0 " "set $A's snapshot is gone"
exec 3>&-

# ---- 3. no room and nothing to release: the snapshot is lost, the set invalid ----
fill_until a '[ "$("$STASIS" --json show "$P2" | jq -r .state)" = invalid ]' 40 ||
        stasis_die "set $P2 did not turn invalid: $("$STASIS" --json show "$P2")"
show=$("$STASIS" --json show "$P2")
assert_contains "$(jq -r .error <<<"$show")" "snapshot stasis-$P2-0 of $T/mnt/a is invalid: it filled up" \
        "why set $P2 is invalid"
assert_contains "$(events "$P2")" "no set that is not persistent has a snapshot there to release for room" \
        "the warning before the snapshot was lost"
assert_contains "$(events "$P2" | tail -n 1)" "is invalid: it filled up" "the last event of set $P2"
stasis_log "set $P2 invalid after ${SECONDS}s"
# It cannot be mounted; it is still listed, and kept so across a restart.
assert_exit 7 "$STASIS" mount "$P2"
assert_contains "$("$STASIS" mount "$P2" 2>&1 || true)" "Snapshot set $P2 is invalid, it cannot be mounted: snapshot" \
        "why set $P2 cannot be mounted"
n_events=$(events "$P2" | wc -l)
stasis_stop_daemon
STASISD_ARGS="--providers-dir=$T/providers.d --config=$T/stasisd.conf" stasis_start_daemon
assert_eq "$("$STASIS" --json show "$P2" | jq -r .state)" invalid "set $P2 stays invalid after a restart"
assert_eq "$(events "$P2" | wc -l)" "$n_events" "set $P2's events after a restart"
assert_contains "$("$STASIS" --json show "$P2" | jq -r .error)" "is invalid: it filled up" \
        "why set $P2 is invalid, after a restart"
"$STASIS" delete "$P2" >/dev/null
wait_until 30 '[ -z "$(stasis_lvs)" ]' || stasis_die "set $P2's snapshot was not removed"
stasis_log "done after ${SECONDS}s"
