#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-views-loopclone.sh - views of an external provider's snapshots:
# stasisd calls loopclone's mount verb, ext4 comes up ro,noload and xfs
# ro,nouuid,norecovery (the clone has the live file system's UUID); mount,
# exec and backup read the snapshots; nothing is left mounted, no loop
# device is left attached.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
PROVIDER=${STASIS_PROVIDER_LOOPCLONE:-$STASIS_BUILD_DIR/src/providers/exec/stasis-provider-loopclone}
[ -x "$PROVIDER" ] || stasis_die "no provider at $PROVIDER (build it first)"
command -v mkfs.xfs >/dev/null || { echo "SKIP: needs mkfs.xfs"; exit 77; }

stasis_env_init
stasis_start_bus
T=$STASIS_TMP

# ext4 and xfs images on an xfs pool; their clones go to a store on the pool.
stasis_make_fs xfs xpool 1G
XPOOL=$STASIS_FS
for fs in ext4 xfs; do
        truncate -s 320M "$XPOOL/$fs.img"
        "mkfs.$fs" -q "$( [ $fs = ext4 ] && echo -F || echo -f )" "$XPOOL/$fs.img" >/dev/null
        dev=$(losetup --find --show "$XPOOL/$fs.img")
        stasis_track_loop "$dev"
        mkdir -p "$T/mnt/$fs"
        mount "$dev" "$T/mnt/$fs"
        stasis_track_mount "$T/mnt/$fs"
        echo "$fs-old" > "$T/mnt/$fs/f"
done
stasis_install_provider loopclone "$PROVIDER" STASIS_LOOPCLONE_STORE="$XPOOL/store"
export STASISD_ARGS="--providers-dir=$T/providers.d"
stasis_start_daemon
clone_loops() { losetup -n -l -O BACK-FILE | grep -c "^$XPOOL/store/" || true; }
mounted() { findmnt -rn -o TARGET | grep -c "^$T/\(run\|view\)" || true; }

id=$("$STASIS" --json create "$T/mnt/ext4" "$T/mnt/xfs" | jq -r .id)
assert_eq "$("$STASIS" --json show "$id" | jq -r '[.volumes[].provider] | unique | join(",")')" loopclone \
        "both volumes taken by loopclone"
echo ext4-new > "$T/mnt/ext4/f"
echo xfs-new > "$T/mnt/xfs/f"

# 1. mount: each with the options its file system needs, read-only.
root=$("$STASIS" --json mount "$id" | jq -r .mounted_at)
assert_eq "$(cat "$root$T/mnt/ext4/f")" ext4-old "the ext4 snapshot"
assert_eq "$(cat "$root$T/mnt/xfs/f")" xfs-old "the xfs snapshot"
e=$(findmnt -rn -o FSTYPE,OPTIONS "$root$T/mnt/ext4")
x=$(findmnt -rn -o FSTYPE,OPTIONS "$root$T/mnt/xfs")
assert_contains "$e" "ext4 ro,nosuid,nodev"
assert_contains "$e" "norecovery"       # the kernel shows noload as norecovery
assert_contains "$x" "xfs ro,nosuid,nodev"
assert_contains "$x" "nouuid"
assert_contains "$x" "norecovery"
if touch "$root$T/mnt/xfs/x" 2>/dev/null; then stasis_die "the xfs view is writable"; fi
assert_eq "$(clone_loops)" 2 "one loop device per clone while mounted"
"$STASIS" umount "$id" >/dev/null
assert_eq "$(mounted)" 0 "nothing mounted"
wait_for 10 sh -c "[ \$(losetup -n -l -O BACK-FILE | grep -c '^$XPOOL/store/' || true) = 0 ]"
[ -z "$(ls -A "$T/run/scratch")" ] || stasis_die "scratch directories left: $(ls "$T/run/scratch")"

# 2. exec: the snapshots at the original paths.
out=$("$STASIS" exec "$id" -- sh -c "cat '$T/mnt/ext4/f' '$T/mnt/xfs/f'")
assert_eq "$(echo $out)" "ext4-old xfs-old" "exec reads both snapshots at their paths"
assert_eq "$(cat "$T/mnt/xfs/f")" xfs-new "outside: live"
wait_for 10 sh -c "[ \$(losetup -n -l -O BACK-FILE | grep -c '^$XPOOL/store/' || true) = 0 ]"

# 3. backup with tar of both volumes.
"$STASIS" delete "$id" >/dev/null
"$STASIS" backup "$T/mnt/ext4" "$T/mnt/xfs" -- tar -C "$T/mnt" -cf "$T/b.tar" ext4/f xfs/f
mkdir "$T/untar"
tar -C "$T/untar" -xf "$T/b.tar"
assert_eq "$(cat "$T/untar/ext4/f") $(cat "$T/untar/xfs/f")" "ext4-new xfs-new" "backup read the new snapshot"
assert_eq "$(stasis_count_sets)" 0 "the backup's set is gone"
assert_eq "$(mounted)" 0 "nothing mounted"
wait_for 10 sh -c "[ \$(losetup -n -l -O BACK-FILE | grep -c '^$XPOOL/store/' || true) = 0 ]"
echo "ok"
