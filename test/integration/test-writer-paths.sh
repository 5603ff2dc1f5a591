#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-writer-paths.sh - stasis_event_get_path_snapshot() at PostSnapshot: for each component path,
# the snapshot that holds it and the path inside that snapshot, with the data in subvolumes below the
# mount point (where mount point + relative path points to nothing) and two subvolumes of one file
# system (two volumes with one mount point); a path that is not a component path is -ENOENT.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
[ -x "$STASIS_TEST_WRITER" ] || stasis_die "build the test helpers first ($STASIS_TEST_WRITER)"

stasis_setup_alone
T=$STASIS_TMP

stasis_make_fs btrfs pool
P=$STASIS_FS
btrfs -q subvolume create "$P/db"
btrfs -q subvolume create "$P/wal"
mkdir -p "$P/db/base/16384" "$P/wal/pg_wal"
echo page >"$P/db/base/16384/1259"

L=$T/paths.log
stasis_start_writer --name pg --component data="$P/db,$P/db/base" --component wal="$P/wal/pg_wal" \
        --log "$L" --log-paths
id=$("$STASIS" --json create --component pg:data --component pg:wal | jq -r .id)
snap() {        # the snapshot of the set's volume whose source is $1
        "$STASIS" --json show "$id" | jq -r --arg s "$1" '.volumes[] | select(.source == $s) | .snapshot'
}
got() { awk -v p="$1" '$3 == "PathSnapshot" { split($5, a, "="); if (a[1] == p) { sub(/^[^=]*=/, "", $5); print $5 } }' "$L"; }
sdb=$(snap "$P/db")
swal=$(snap "$P/wal")
[ -n "$sdb" ] && [ -n "$swal" ] && [ "$sdb" != "$swal" ] || stasis_die "two volumes expected: '$sdb' '$swal'"
# Both volumes have the mount point $P: the pairs of stasis_event_get_snapshot() cannot tell them apart.
assert_eq "$("$STASIS" --json show "$id" | jq -r '[.volumes[].mount_point] | unique | join(" ")')" "$P" "one mount point"
assert_eq "$(got "$P/db")" "$sdb:" "the subvolume itself: its snapshot's root"
assert_eq "$(got "$P/db/base")" "$sdb:base" "a directory in the subvolume"
assert_eq "$(got "$P/wal/pg_wal")" "$swal:pg_wal" "the other subvolume"
assert_eq "$(got /no/such/component/path)" "ENOENT" "not a component path"

# The path inside the snapshot is where the data is: root reads it from the file system's top.
top=$T/top
mkdir "$top"
mount -o subvolid=5,ro "$STASIS_DEV" "$top"
stasis_track_mount "$top"
rel=$(got "$P/db/base"); rel=${rel##*:}
assert_eq "$(cat "$top/${sdb#*:/}/$rel/16384/1259")" page "the data at the snapshot's path"
umount "$top"
echo ok
