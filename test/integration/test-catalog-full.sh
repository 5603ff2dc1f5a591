#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-catalog-full.sh - the catalog's file system is full. The state
# directory is on a 16 MiB ext4 volume, filled up; the set is a btrfs
# subvolume with a writer plus an ext4 volume through the example provider
# (loopclone). Then:
#  1. creating the set fails with a clear error naming the full file system,
#     and leaves nothing: no set, no snapshot, nothing frozen, the writer
#     thawed; stasisd lives;
#  2. listing and showing sets work, and deleting a set works;
#  3. a restart with the disk still full starts read-only and says so;
#     list, show and delete still work, create is refused;
#  4. once there is room again, sets are made again;
#  5. the disk fills while a set is made (a writer holds it at PrepareBackup,
#     the set is already recorded): the set fails with a clear error and its
#     snapshot is removed again.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
PROVIDER=${STASIS_PROVIDER_LOOPCLONE:-$STASIS_BUILD_DIR/src/providers/exec/stasis-provider-loopclone}
[ -x "$STASIS_TEST_WRITER" ] || stasis_die "build the test helpers first ($STASIS_TEST_WRITER)"
[ -x "$PROVIDER" ] || stasis_die "no provider at $PROVIDER (build it first)"
command -v mkfs.xfs >/dev/null || { echo "SKIP: needs mkfs.xfs"; exit 77; }
command -v filefrag >/dev/null || { echo "SKIP: needs filefrag"; exit 77; }

stasis_env_init
stasis_start_bus
T=$STASIS_TMP

# The state directory, on a small file system of its own.
stasis_make_fs ext4 state 16M
STATE_FS=$STASIS_FS
export STASIS_STATE_DIR=$STATE_FS/state

# The volumes: a btrfs subvolume, and an ext4 image on an xfs pool for
# loopclone (its clones go to the pool, by reflink).
stasis_make_fs btrfs pool
P=$STASIS_FS
btrfs -q subvolume create "$P/db"
stasis_make_fs xfs xpool 1G
XPOOL=$STASIS_FS
truncate -s 64M "$XPOOL/e.img"
mkfs.ext4 -q -F "$XPOOL/e.img"
EDEV=$(losetup --find --show "$XPOOL/e.img")
stasis_track_loop "$EDEV"
E=$T/mnt/e
mkdir -p "$E"
mount "$EDEV" "$E"
stasis_track_mount "$E"
export STASIS_LOOPCLONE_STORE=$XPOOL/store
stasis_install_provider loopclone "$PROVIDER" STASIS_LOOPCLONE_STORE="$STASIS_LOOPCLONE_STORE"
STASISD_ARGS="--providers-dir=$T/providers.d"
stasis_start_daemon

stasis_start_writer --name app --component data="$P/db" --component files="$E" --log "$T/app.log"
APP=$STASIS_WRITER_PID

n_sets() { "$STASIS" --json list | jq length; }
n_clones() { find "$STASIS_LOOPCLONE_STORE" -name '*.img' 2>/dev/null | wc -l; }
n_btrfs_snaps() { btrfs subvolume list -s "$P" | wc -l; }
alive() { kill -0 "$STASISD_PID" 2>/dev/null || { tail -n 20 "$T/stasisd.log" >&2; stasis_die "$1: stasisd died"; }; }
fill() {        # fill the state file system up
        dd if=/dev/zero of="$STATE_FS/fill" bs=1M status=none 2>/dev/null || true
        dd if=/dev/zero of="$STATE_FS/fill2" bs=4k status=none 2>/dev/null || true
        sync
}
# The KiB of the reserve file's data that have room on disk: the lengths of
# its extents (filefrag counts in 1 KiB blocks here). Not its st_blocks,
# which also count ext4's extent-tree blocks once the file is in more than
# four pieces, as it is when it is made whole again on a disk that was full.
reserve_kib() {
        filefrag -e -b1024 "$STASIS_STATE_DIR/catalog.reserve" |
                awk -F: '$1 ~ /^ *[0-9]+$/ { n += $4 } END { print n + 0 }'
}
unfill() { rm -f "$STATE_FS/fill" "$STATE_FS/fill2"; sync; }
nothing_left() {
        local what=$1
        assert_eq "$(n_sets)" "$2" "$what: sets"
        assert_eq "$(n_btrfs_snaps)" "$3" "$what: btrfs snapshots"
        assert_eq "$(n_clones)" "$3" "$what: loopclone clones"
        stasis_writable "$P/db" || stasis_die "$what: $P/db is frozen"
        stasis_writable "$E" || stasis_die "$what: $E is frozen"
        wait_until 5 '[ "$(stasis_writer_field app state)" = stable ]'
}

# Two sets made while there is room.
ID1=$("$STASIS" --json create "$P/db" "$E" | jq -r .id)
ID2=$("$STASIS" --json create "$P/db" "$E" | jq -r .id)
assert_eq "$(n_clones)" 2 "clones before the disk fills"
"$STASIS" complete "$ID1" >/dev/null
"$STASIS" complete "$ID2" >/dev/null

# ---- 1. The disk is full: create fails cleanly ----
fill
for i in 1 2 3; do
        rc=0
        "$STASIS" create "$P/db" "$E" >/dev/null 2>"$T/create.err" || rc=$?
        alive "create $i on a full disk"
        [ "$rc" != 0 ] || stasis_die "create $i on a full disk succeeded"
        assert_contains "$(cat "$T/create.err")" "$STASIS_STATE_DIR" "create $i: the error names the state directory"
        assert_contains "$(cat "$T/create.err")" "full" "create $i: the error says it is full"
        nothing_left "create $i on a full disk" 2 2
        stasis_log "create $i on a full disk: $(cat "$T/create.err")"
done

# ---- 2. Read-only calls and delete work ----
"$STASIS" list >/dev/null
"$STASIS" show "$ID1" >/dev/null
"$STASIS" delete "$ID1" >/dev/null
alive "delete on a full disk"
nothing_left "delete on a full disk" 1 1

# ---- 3. A restart with the disk full ----
stasis_stop_daemon
fill
stasis_start_daemon
grep -q "starts read-only" "$T/stasisd.log" || stasis_die "stasisd does not say it started read-only: $(tail -n 5 "$T/stasisd.log")"
wait_for 10 stasis_writer_listed app
assert_eq "$("$STASIS" --json show "$ID2" | jq -r .state)" created "the set after the restart"
rc=0
"$STASIS" create "$P/db" "$E" >/dev/null 2>"$T/create.err" || rc=$?
[ "$rc" != 0 ] || stasis_die "create succeeded on a read-only stasisd"
assert_contains "$(cat "$T/create.err")" "full" "create on a read-only stasisd: the error"
alive "create on a read-only stasisd"
"$STASIS" delete "$ID2" >/dev/null
nothing_left "delete on a read-only stasisd" 0 0
# (Recording it took room from the reserve: SQLite's log starts empty after a restart.)
[ "$(reserve_kib)" -lt 1024 ] || stasis_die "the delete on a full disk did not use the reserve"

# ---- 4. Room again ----
unfill
out=$("$STASIS" --json create "$P/db" "$E")
assert_eq "$(jq -r .state <<<"$out")" created "a set once there is room"
assert_eq "$(reserve_kib)" 1024 "the reserve, whole again"
grep -q "There is room again" "$T/stasisd.log" || stasis_die "stasisd does not say there is room again"
"$STASIS" delete "$(jq -r .id <<<"$out")" >/dev/null
# The sets deleted while the disk was full stay deleted across a restart.
stasis_stop_daemon
stasis_start_daemon
assert_eq "$(n_sets)" 0 "sets after a restart"

# ---- 5. The disk fills while a set is made ----
# (After a restart SQLite's write-ahead log starts empty, so recording the
# created set needs new room.)
stasis_start_writer --name gate --component data="$P/db" --fault PrepareBackup:hang
GATE=$STASIS_WRITER_PID
"$STASIS" create "$P/db" >/dev/null 2>"$T/create.err" &
CLI=$!
stasis_track_pid "$CLI"
wait_until 10 '[ "$(n_sets)" = 1 ]'
fill
kill -9 "$GATE"         # the set goes on without it, and is taken
rc=0
wait "$CLI" || rc=$?
alive "the disk filled during a create"
[ "$rc" != 0 ] || stasis_die "a create succeeded that could not be recorded"
assert_contains "$(cat "$T/create.err")" "full" "the disk filled during a create: the error"
assert_contains "$(cat "$T/create.err")" "removed again" "the disk filled during a create: the error"
stasis_log "the disk filled during a create: $(cat "$T/create.err")"
wait_until 10 '[ "$(n_sets)" = 0 ]'
nothing_left "the disk filled during a create" 0 0
unfill
stasis_stop_daemon
stasis_start_daemon
assert_eq "$(n_sets)" 0 "sets after a restart"
stasis_stop_writer "$APP"
