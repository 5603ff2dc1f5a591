#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# guest-lvm.sh - the LVM provider through stasisd and the CLI; runs inside
# the virtual machine of vmtest.sh (as root, with device-mapper), started by
# test/integration/test-lvm-vm.sh. A thin LV with xfs and a classic LV with
# ext4 on a loop-backed VG; a set of both: create, list, show, mount, delete;
# then the failures: a VG without room, lvcreate failing, a snapshot removed
# behind stasisd's back, a VG gone, an origin LV gone; each must give a clear
# error and leave no LV half-made.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

. "$(dirname "$0")/guest-lvm-lib.sh"

# vg0 (1 GiB): a thin pool with a thin LV (xfs) and a classic LV (ext4).
guest_vg vg0 1G
lvmc lvcreate -q -L 400M -T vg0/pool
lvmc lvcreate -q -V 320M -T vg0/pool -n thin
lvmc lvcreate -q -L 100M -n classic vg0
# vgsmall (64 MiB, 15 extents): two classic LVs of 20 MiB, 5 extents left.
guest_vg vgsmall 64M
PV1=$GUEST_PV
lvmc lvcreate -q -L 20M -n c1 vgsmall
lvmc lvcreate -q -L 20M -n c2 vgsmall
mkfs.xfs -q /dev/vg0/thin
for lv in vg0/classic vgsmall/c1 vgsmall/c2; do mkfs.ext4 -q "/dev/$lv"; done
for m in thin classic c1 c2; do mkdir -p "$T/mnt/$m"; done
mount /dev/vg0/thin "$T/mnt/thin"; stasis_track_mount "$T/mnt/thin"
mount /dev/vg0/classic "$T/mnt/classic"; stasis_track_mount "$T/mnt/classic"
mount /dev/vgsmall/c1 "$T/mnt/c1"; stasis_track_mount "$T/mnt/c1"
mount /dev/vgsmall/c2 "$T/mnt/c2"; stasis_track_mount "$T/mnt/c2"
for m in thin classic c1 c2; do echo "before $m" > "$T/mnt/$m/f"; done
# stasisd must not freeze these file systems (lvcreate fails on a frozen
# one, below): the sets through stasisd show it does not.
stasis_log "LVM set up after ${SECONDS}s"

# Classic snapshots of 12 MiB (3 extents): both fit in vg0, one in vgsmall.
stasis_install_provider lvm "$PROVIDER" DM_DISABLE_UDEV=1 STASIS_LVM_CONFIG="$LVMCONF" \
        STASIS_LVM_SNAPSHOT_SIZE=12M
stasis_start_bus
STASISD_ARGS="--providers-dir=$T/providers.d" stasis_start_daemon
stasis_log "stasisd started after ${SECONDS}s"

# ---- volumes: which provider, which LV ----
out=$("$STASIS" --json volumes "$T/mnt/thin" "$T/mnt/classic")
assert_eq "$(jq -r '.[0].provider' <<<"$out")" lvm "provider of the thin LV"
assert_eq "$(jq -r '.[0].source' <<<"$out")" vg0/thin "source of the thin LV"
assert_eq "$(jq -r '.[1].source' <<<"$out")" vg0/classic "source of the classic LV"
# What the provider tells of each: the LV, its VG, its kind, its pool, the room.
assert_eq "$(jq -r '.[0].details | [.lv, .vg, .type, .pool] | join(" ")' <<<"$out")" "vg0/thin vg0 thin vg0/pool" \
        "details of the thin LV"
assert_eq "$(jq -r '.[1].details | [.lv, .vg, .type, .pool // "-"] | join(" ")' <<<"$out")" "vg0/classic vg0 classic -" \
        "details of the classic LV"
assert_eq "$(jq -r '.[1].details.vg_free' <<<"$out")" "$(lvmc vgs --noheadings --units b --nosuffix -o vg_free vg0 | tr -d ' ')" \
        "free space of vg0"
pool_free=$(jq -r '.[0].details.pool_free' <<<"$out")
[ "$pool_free" -gt 0 ] && [ "$pool_free" -le $((400 * 1024 * 1024)) ] || stasis_die "free space of vg0/pool: $pool_free"
assert_contains "$("$STASIS" volumes "$T/mnt/thin")" "lv=vg0/thin vg=vg0 type=thin pool=vg0/pool pool_free=" \
        "stasis volumes shows the LV, VG and pool"
# A file system that is no LV is not taken.
mkdir -p "$T/mnt/plain"
mount -t tmpfs plain "$T/mnt/plain"; stasis_track_mount "$T/mnt/plain"
assert_exit 6 "$STASIS" volumes "$T/mnt/plain"

# ---- a set of a thin and a classic LV ----
S1=$("$STASIS" --json create -l both "$T/mnt/thin" "$T/mnt/classic" | jq -r .id)
stasis_log "set $S1 made after ${SECONDS}s"
assert_eq "$(stasis_lvs | tr '\n' ' ')" "vg0/stasis-$S1-0 vg0/stasis-$S1-1 " "the snapshot LVs of set $S1"
assert_eq "$(lvmc lvs --noheadings -o lv_tags "vg0/stasis-$S1-0" | tr -d ' ')" \
        "stasis,stasis_origin_$(lvmc lvs --noheadings -o lv_uuid vg0/thin | tr -d ' '),stasis_set_$S1,stasis_vol_0" \
        "tags of the thin snapshot"
assert_eq "$(lvmc lvs --noheadings -o segtype,origin "vg0/stasis-$S1-0" | xargs)" "thin thin" "a thin snapshot"
assert_eq "$(lvmc lvs --noheadings -o lv_attr "vg0/stasis-$S1-1" | tr -d ' ' | cut -c1)" s "a classic snapshot"
assert_eq "$(lvmc lvs --noheadings --units m --nosuffix -o lv_size "vg0/stasis-$S1-1" | tr -d ' ')" 12.00 \
        "size of the classic snapshot (STASIS_LVM_SNAPSHOT_SIZE=12M)"
show=$("$STASIS" --json show "$S1")
assert_eq "$(jq -r '[.state, (.volumes | length), .volumes[0].provider, .volumes[0].snapshot, .volumes[1].snapshot] | join(" ")' <<<"$show")" \
        "created 2 lvm stasis-$S1-0 stasis-$S1-1" "stasis show of set $S1"
assert_eq "$("$STASIS" --json list | jq -r --arg id "$S1" '.[] | select(.id == $id) | .label')" both "stasis list"

# The snapshots hold what was there at the create, not what came after.
for m in thin classic; do echo "after $m" > "$T/mnt/$m/f"; done
ask() { "$PROVIDER" "$1" <<<"$2"; }
key_of() { echo "lvm:$(lvmc lvs --noheadings -o lv_uuid "$1" | tr -d ' ')"; }
# vol SHOW N KEY: volume N of a set (stasis --json show) as stasisd hands it to the provider.
vol() {
        jq -c --argjson i "$2" --arg k "$3" \
                '.volumes[$i] | {path, mount_point, device, fstype, source, key: $k, handle: .snapshot}' <<<"$1"
}
export STASIS_PROVIDER_VERSION=1 STASIS_LVM_CONFIG="$LVMCONF"
for i in 0 1; do
        mkdir -p "$T/view$i"
        v=$(vol "$show" $i "$(key_of "$(jq -r ".volumes[$i].source" <<<"$show")")")
        ask mount "{\"version\":1,\"volume\":$v,\"target\":\"$T/view$i\"}" >/dev/null ||
                stasis_die "mount of snapshot $i failed"
        stasis_track_mount "$T/view$i"
done
assert_eq "$(cat "$T/view0/f")" "before thin" "the thin snapshot's content"
assert_eq "$(cat "$T/view1/f")" "before classic" "the classic snapshot's content"
umount "$T/view0" "$T/view1"

# list finds both (the orphan scan's verb), with their keys.
lst=$(ask list '{"version":1}')
assert_eq "$(jq -r '[.snapshots[].handle] | sort | join(" ")' <<<"$lst")" "stasis-$S1-0 stasis-$S1-1" "provider list"
assert_eq "$(jq -r '.snapshots[] | select(.handle | endswith("-0")) | .source' <<<"$lst")" vg0/thin "listed source"

"$STASIS" delete "$S1" >/dev/null
wait_until 30 '[ -z "$(stasis_lvs)" ]'
stasis_log "set $S1 deleted after ${SECONDS}s"

stasis_log "after ${SECONDS}s: a writer frozen around the LVM snapshots"
# ---- a writer frozen around the LVM snapshots ----
# An application writing transactions to the thin LV: the snapshot holds
# only whole ones, since the writer was frozen while LVM took it.
stasis_start_writer --name app --component data="$T/mnt/thin" --data "$T/mnt/thin/app.data" \
        --log "$T/app.log"
APP=$STASIS_WRITER_PID
wait_until 30 '[ "$(grep -c "^end" "$T/mnt/thin/app.data" 2>/dev/null)" -ge 3 ]'
SA=$("$STASIS" --json create --component app:data "$T/mnt/classic" | jq -r .id)
show=$("$STASIS" --json show "$SA")
assert_eq "$(jq -r .consistency <<<"$show")" application "consistency of a set whose writer froze"
assert_contains "$(grep " Freeze $SA " "$T/app.log")" ok "the writer's Freeze"
assert_contains "$(grep " Thaw $SA " "$T/app.log")" ok "the writer's Thaw"
i=$(jq -r '[.volumes[].source] | index("vg0/thin")' <<<"$show")
mkdir -p "$T/viewA"
ask mount "{\"version\":1,\"volume\":$(vol "$show" "$i" "$(key_of vg0/thin)"),\"target\":\"$T/viewA\"}" >/dev/null ||
        stasis_die "mount of the application's snapshot failed"
stasis_track_mount "$T/viewA"
last=$(tail -n 1 "$T/viewA/app.data")
case $last in "end "*) ;; *) stasis_die "the snapshot holds a transaction cut in the middle: last line '$last'" ;; esac
umount "$T/viewA"
stasis_stop_writer "$APP"
"$STASIS" delete "$SA" >/dev/null
wait_until 30 '[ -z "$(stasis_lvs)" ]'

stasis_log "after ${SECONDS}s: the LV renamed while the set is prepared"
# ---- the LV renamed while the set is prepared ----
# A writer hangs in PrepareSnapshot, after the set was planned; the LV is
# renamed, the writer goes away, and the provider, at the commit, finds the
# LV under another name: it removes the thin snapshot it made before and
# fails. (A second writer, which stays, is frozen and thawed around it.)
stasis_start_writer --name slow --component c="$T/mnt/classic" --fault PrepareSnapshot:hang --log "$T/slow.log"
SLOW=$STASIS_WRITER_PID
stasis_start_writer --name ok --component d="$T/mnt/thin"
OK=$STASIS_WRITER_PID
"$STASIS" create --component ok:d --component slow:c >"$T/renamed.out" 2>&1 &
CREATE=$!
wait_until 60 'grep -q " PrepareSnapshot .* hang" "$T/slow.log"'
lvmc lvrename -q vg0 classic classic2
kill -9 "$SLOW"
rc=0
wait "$CREATE" || rc=$?
lvmc lvrename -q vg0 classic2 classic
[ "$rc" = 1 ] || stasis_die "create of a renamed LV exited $rc: $(cat "$T/renamed.out")"
assert_contains "$(cat "$T/renamed.out")" "logical volume vg0/classic of $T/mnt/classic is now vg0/classic2 (renamed after the set was planned)" \
        "create of a renamed LV"
assert_eq "$(stasis_lvs)" "" "stasis LVs after the set of a renamed LV"
stasis_stop_writer "$OK"

stasis_log "after ${SECONDS}s: a classic snapshot that fills up"
# ---- a classic snapshot that fills up ----
# 20 MiB written to the origin of a 12 MiB snapshot: LVM invalidates it,
# and mounting it says so instead of showing a broken file system.
SF=$("$STASIS" --json create "$T/mnt/classic" | jq -r .id)
dd if=/dev/urandom of="$T/mnt/classic/big" bs=1M count=20 conv=fsync status=none
attr=$(lvmc lvs --noheadings -o lv_attr "vg0/stasis-$SF-0" | tr -d ' ')
case $attr in S*|s???I*) ;; *) stasis_die "vg0/stasis-$SF-0 did not fill up: lv_attr $attr" ;; esac
mkdir -p "$T/viewF"
out=$(ask mount "{\"version\":1,\"volume\":$(vol "$("$STASIS" --json show "$SF")" 0 "$(key_of vg0/classic)"),\"target\":\"$T/viewF\"}" 2>/dev/null) &&
        stasis_die "an invalid snapshot was mounted"
assert_contains "$(jq -r .error <<<"$out")" "snapshot vg0/stasis-$SF-0 is invalid: its copy-on-write area filled up" \
        "mount of a snapshot that filled up"
rm "$T/mnt/classic/big"
"$STASIS" delete "$SF" >/dev/null
wait_until 30 '[ -z "$(stasis_lvs)" ]'

stasis_log "after ${SECONDS}s: a VG without room"
# ---- a VG without room: the second classic snapshot does not fit ----
before=$(all_lvs)
assert_exit 1 "$STASIS" create "$T/mnt/c1" "$T/mnt/c2"
assert_contains "$STASIS_ERR" "no room for a classic snapshot of vgsmall/c2: volume group vgsmall has 8.00 MiB free, it needs 12.00 MiB (STASIS_LVM_SNAPSHOT_SIZE=12M); extend the VG (vgextend)" \
        "error for a VG without room"
assert_eq "$(all_lvs)" "$before" "LVs after a set that did not fit (the first snapshot must be removed)"

stasis_log "after ${SECONDS}s: lvcreate failing"
# ---- lvcreate failing: an LV of the snapshot's name is there already ----
S2=$("$STASIS" --json create "$T/mnt/c1" | jq -r .id)
"$STASIS" delete "$S2" >/dev/null
wait_until 30 '[ -z "$(stasis_lvs)" ]'
NEXT=$((S2 + 1))        # the id of the next set
lvmc lvcreate -q -L 8M -n "stasis-$NEXT-1" vg0
before=$(all_lvs)
assert_exit 1 "$STASIS" create "$T/mnt/thin" "$T/mnt/classic"
assert_contains "$STASIS_ERR" "cannot create the classic snapshot vg0/stasis-$NEXT-1 of vg0/classic" "lvcreate failure"
assert_contains "$STASIS_ERR" "already exists" "lvcreate's reason"
assert_eq "$(all_lvs)" "$before" "LVs after lvcreate failed (thin snapshot removed, the other LV kept)"
lvmc lvremove -q -f "vg0/stasis-$NEXT-1"

stasis_log "after ${SECONDS}s: a snapshot removed behind stasisds back"
# ---- a snapshot removed behind stasisd's back ----
S3=$("$STASIS" --json create "$T/mnt/thin" "$T/mnt/c1" | jq -r .id)
lvmc lvremove -q -f "vg0/stasis-$S3-0"
stasis_stop_daemon
STASISD_ARGS="--providers-dir=$T/providers.d" stasis_start_daemon
assert_eq "$("$STASIS" --json show "$S3" | jq -r '[.state, .volumes[0].state, .volumes[1].state] | join(" ")')" \
        "missing missing ok" "a set whose snapshot was removed by hand"
"$STASIS" delete "$S3" >/dev/null
wait_until 30 '[ -z "$(stasis_lvs)" ]'

stasis_log "after ${SECONDS}s: a VG gone"
# ---- a VG gone: the snapshot cannot be found, nor said to be gone ----
S4=$("$STASIS" --json create "$T/mnt/c2" | jq -r .id)
k4=$(key_of vgsmall/c2)
umount "$T/mnt/c1" "$T/mnt/c2"
lvmc vgchange -q -an vgsmall
losetup -d "$PV1"
lvmc vgs vgsmall >/dev/null 2>&1 && stasis_die "vgsmall is still there"
"$STASIS" delete "$S4" >/dev/null 2>&1 || true
wait_until 30 '"$STASIS" --json show "$S4" | jq -e ".state == \"deleting\"" >/dev/null'
v=$(vol "$("$STASIS" --json show "$S4")" 0 "$k4")
if out=$(ask delete "{\"version\":1,\"volume\":$v}" 2>/dev/null); then stasis_die "delete in a VG that is gone succeeded"; fi
assert_contains "$(jq -r .error <<<"$out")" "volume group vgsmall is not there" "delete in a missing VG"
if out=$(ask exists "{\"version\":1,\"volume\":$v}" 2>/dev/null); then stasis_die "exists in a VG that is gone answered: $out"; fi
assert_contains "$(jq -r .error <<<"$out")" "whether snapshot vgsmall/stasis-$S4-0 exists cannot be told" "exists in a missing VG"
grep -q "volume group vgsmall is not there" "$T/stasisd.log" || stasis_die "stasisd did not log why set $S4 cannot be deleted"
stasis_log "after ${SECONDS}s: It comes back"
# It comes back: the retried delete goes through.
PV1=$(losetup --find --show "$T/vgsmall.img")
stasis_track_loop "$PV1"
lvmc vgchange -q -ay vgsmall
wait_until 120 '! "$STASIS" show "$S4" >/dev/null 2>&1'
assert_eq "$(stasis_lvs)" "" "stasis LVs after the VG came back and the set was deleted"

stasis_log "after ${SECONDS}s: the origin gone, or not the LV planned, at commit"
# ---- the origin gone, or not the LV planned, at commit ----
key=$(lvmc lvs --noheadings -o lv_uuid vg0/classic | tr -d ' ')
# req SOURCE UUID [SET-ID]: a commit request for the classic LV.
req() { echo "{\"version\":1,\"set_id\":\"${3:-99}\",\"volumes\":[{\"path\":\"$T/mnt/classic\",\"mount_point\":\"$T/mnt/classic\",\"device\":\"/dev/vg0/classic\",\"fstype\":\"ext4\",\"source\":\"$1\",\"key\":\"lvm:$2\",\"handle\":\"stasis-${3:-99}-0\"}]}"; }
out=$(ask commit "$(req vg0/classic 000000-0000-0000-0000-0000-0000-000000)" 2>/dev/null) && stasis_die "commit of a gone LV succeeded"
assert_contains "$(jq -r .error <<<"$out")" "logical volume vg0/classic of $T/mnt/classic is gone" "commit of a gone LV"
out=$(ask commit "$(req vgnone/classic 000000-0000-0000-0000-0000-0000-000000)" 2>/dev/null) && stasis_die "commit in a missing VG succeeded"
assert_contains "$(jq -r .error <<<"$out")" "volume group vgnone of $T/mnt/classic is not there" "commit in a missing VG"
out=$(ask commit "$(req vg0/other "$key")" 2>/dev/null) && stasis_die "commit of a renamed LV succeeded"
assert_contains "$(jq -r .error <<<"$out")" "is now vg0/classic (renamed" "commit of a renamed LV"
# On a frozen file system lvcreate fails (its suspend cannot freeze it
# again) and leaves a half-made LV, which the provider must remove: the
# reason it answers the hold mode none.
fsfreeze -f "$T/mnt/classic"
out=$(timeout 120 "$PROVIDER" commit <<<"$(req vg0/classic "$key")" 2>"$T/frozen.err") && rc=0 || rc=$?
fsfreeze -u "$T/mnt/classic"
[ "$rc" = 1 ] || stasis_die "commit on a frozen file system exited $rc: $out"
assert_contains "$(jq -r .error <<<"$out")" \
        "cannot create the classic snapshot vg0/stasis-99-0 of vg0/classic: lvcreate: Failed to suspend logical volume vg0/classic. (is its file system frozen?" \
        "commit on a frozen file system"
assert_eq "$(all_lvs | grep stasis-99 || true)" "" "LVs after a commit on a frozen file system"
stasis_log "after ${SECONDS}s: orphans"
# ---- orphans: snapshots that no set of the catalog holds ----
# Made by the provider itself, as a commit whose set the catalog lost
# would have; stasisd finds them through list, adopts one and deletes the
# other.
ask commit "$(req vg0/classic "$key" 500)" >/dev/null
lvmc lvrename -q vg0 stasis-500-0 stasis-501-0
lvmc lvchange -q --deltag stasis_set_500 --addtag stasis_set_501 vg0/stasis-501-0
ask commit "$(req vg0/classic "$key" 500)" >/dev/null
"$STASIS" list --orphans --rescan >/dev/null
assert_eq "$("$STASIS" --json list --orphans | jq -r '[.[] | "\(.provider) \(.handle)"] | sort | join(",")')" \
        "lvm stasis-500-0,lvm stasis-501-0" "orphans found by the LVM provider's list"
"$STASIS" delete-orphan stasis-500-0 >/dev/null
"$STASIS" adopt 501 >/dev/null
assert_eq "$("$STASIS" --json show 501 | jq -r '[.state, .volumes[0].provider, .volumes[0].source] | join(" ")')" \
        "created lvm vg0/classic" "the adopted set"
"$STASIS" delete 501 >/dev/null
wait_until 30 '[ -z "$(stasis_lvs)" ]'
assert_eq "$("$STASIS" --json list --orphans)" "[]" "orphans after delete-orphan and adopt"

# The mount is no longer on the LV planned.
umount "$T/mnt/classic"
mount -t tmpfs x "$T/mnt/classic"
out=$(ask commit "$(req vg0/classic "$key")" 2>/dev/null) && stasis_die "commit of a mount that moved succeeded"
assert_contains "$(jq -r .error <<<"$out")" "the file system at $T/mnt/classic is no longer on vg0/classic" "commit of a moved mount"
umount "$T/mnt/classic"
assert_eq "$(stasis_lvs)" "" "stasis LVs after the refused commits"

stasis_stop_daemon
stasis_log "all done after ${SECONDS}s"
echo "guest-lvm: OK"
