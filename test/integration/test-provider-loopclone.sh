#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-provider-loopclone.sh - the example external provider, driven directly
# through the provider protocol (docs/provider-spec.md), without stasisd:
# probe, commit on a frozen file system, exists, mount, delete, for ext4 and
# xfs file systems in image files on an xfs pool (reflink clones) and with a
# store on another file system (full copies), and its errors.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

PROVIDER=${STASIS_PROVIDER_LOOPCLONE:-$STASIS_BUILD_DIR/src/providers/exec/stasis-provider-loopclone}
[ -x "$PROVIDER" ] || stasis_die "no provider at $PROVIDER (build it first)"
command -v jq >/dev/null || stasis_die "jq is needed"
command -v mkfs.xfs >/dev/null || { echo "SKIP: needs mkfs.xfs"; exit 77; }
export STASIS_PROVIDER_VERSION=1
unset STASIS_LOOPCLONE_STORE

stasis_env_init

# Loop devices and mounts of this test, inside the pool: lib.sh's cleanup
# knows only its own loops, and the pool cannot go while these hold it. So
# this cleanup thaws and unmounts these (innermost first), detaches the loops,
# then hands over to lib.sh's cleanup with the test's exit status.
_lc_loops=()
_lc_mounts=()
lc_cleanup() {
        local rc=$? i
        set +e
        for (( i=${#_lc_mounts[@]}-1; i>=0; i-- )); do
                fsfreeze -u "${_lc_mounts[$i]}" 2>/dev/null
                umount "${_lc_mounts[$i]}" 2>/dev/null || umount -l "${_lc_mounts[$i]}" 2>/dev/null
        done
        for (( i=${#_lc_loops[@]}-1; i>=0; i-- )); do
                losetup -d "${_lc_loops[$i]}" 2>/dev/null
        done
        # Loop devices the provider set up on clones (autoclear, so normally
        # gone with their mounts; a broken provider may leave them).
        losetup -n -l -O NAME,BACK-FILE 2>/dev/null | while read -r dev file; do
                case $file in "$STASIS_TMP"/*) losetup -d "$dev" 2>/dev/null ;; esac
        done
        ( exit "$rc" )
        stasis_cleanup
}
trap lc_cleanup EXIT
lc_track_mount() { _lc_mounts+=("$1"); stasis_track_mount "$1"; }

# call VERB REQUEST: runs the provider; stdout in $OUT, stderr in $ERR, exit
# status in $RC.
call() {
        RC=0
        OUT=$("$PROVIDER" "$1" <<<"$2" 2>"$STASIS_TMP/provider.err") || RC=$?
        ERR=$(cat "$STASIS_TMP/provider.err")
}
# ok VERB REQUEST: the call must succeed with a JSON object of version 1.
ok() {
        call "$@"
        [ "$RC" = 0 ] || stasis_die "$1 failed (exit $RC): $OUT $ERR"
        jq -e 'type == "object" and .version == 1' <<<"$OUT" >/dev/null ||
                stasis_die "$1: the response is not a version-1 object: $OUT"
}
# bad VERB REQUEST TEXT: the call must exit 1, with TEXT in the error on
# stdout (a version-1 object) and on stderr, and the message naming the provider.
bad() {
        call "$1" "$2"
        [ "$RC" = 1 ] || stasis_die "$1 exited $RC, expected 1; stdout: $OUT; stderr: $ERR"
        jq -e 'type == "object" and .version == 1 and (.error | type == "string")' <<<"$OUT" >/dev/null ||
                stasis_die "$1: the error response is not a version-1 object with an error: $OUT"
        local e
        e=$(jq -r .error <<<"$OUT")
        assert_contains "$e" "stasis-provider-loopclone: " "error names the provider"
        assert_contains "$e" "$3" "error on stdout"
        assert_contains "$ERR" "$3" "error on stderr"
}

# probe_req DEVICE FSTYPE MOUNT
probe_req() {
        jq -nc --arg d "$1" --arg t "$2" --arg m "$3" \
                '{version: 1, volume: {path: $m, mount_point: $m, device: $d, fstype: $t}}'
}
# vol DEVICE FSTYPE MOUNT IMAGE HANDLE: a volume object as stasisd sends it after probe.
vol() {
        jq -nc --arg d "$1" --arg t "$2" --arg m "$3" --arg s "$4" --arg h "$5" \
                '{path: $m, mount_point: $m, device: $d, fstype: $t, source: $s, key: ("loopclone:" + $s), handle: $h}'
}
one() { jq -nc --argjson v "$1" '{version: 1, volume: $v}'; }
commit_req() { jq -nc --arg id "$1" --argjson v "$2" '{version: 1, set_id: $id, volumes: $v}'; }
loop_gone() { [ -z "$(losetup -n -j "$1")" ]; }

# The pool: an xfs file system (reflinks) that holds the images.
stasis_make_fs xfs pool 1G
POOL=$STASIS_FS
POOL_DEV=$STASIS_DEV
mkdir "$POOL/images"

# new_image TYPE NAME SIZE: an image in the pool with a file system on a loop
# device, mounted; sets IMG, DEV, MNT.
new_image() {
        IMG=$POOL/images/$2.img
        truncate -s "$3" "$IMG"
        case $1 in
        ext4) mkfs.ext4 -q -F "$IMG" >/dev/null ;;
        xfs)  mkfs.xfs -q -f "$IMG" >/dev/null ;;
        esac
        DEV=$(losetup --find --show "$IMG")
        _lc_loops+=("$DEV")
        MNT=$STASIS_TMP/mnt/$2
        mkdir -p "$MNT"
        mount "$DEV" "$MNT"
        lc_track_mount "$MNT"
}

# cycle TYPE NAME SIZE SETID STORE: the whole life of one snapshot. STORE is
# where the clone must appear; the caller sets STASIS_LOOPCLONE_STORE to match.
# Sets V (the volume), CLONE.
cycle() {
        local type=$1 name=$2 size=$3 id=$4 store=$5 h sum snap dev
        h=stasis-$id-0
        new_image "$type" "$name" "$size"
        echo "old data" > "$MNT/file"
        head -c 3M /dev/urandom > "$MNT/big"
        sum=$(sha256sum < "$MNT/big")

        ok probe "$(probe_req "$DEV" "$type" "$MNT")"
        assert_eq "$(jq -c '[.supported, .priority, .hold, .key, .source]' <<<"$OUT")" \
                "$(jq -nc --arg i "$IMG" '[true, 50, "freeze", ("loopclone:" + $i), $i]')" "probe of $type image"

        V=$(vol "$DEV" "$type" "$MNT" "$IMG" "$h")
        CLONE=$store/$h.img
        ok exists "$(one "$V")"
        assert_eq "$(jq -c .exists <<<"$OUT")" false "exists before commit"

        fsfreeze -f "$MNT"
        ok commit "$(commit_req "$id" "[$V]")"
        [ -f "$CLONE" ] || stasis_die "no clone at $CLONE"
        assert_eq "$(stat -c %a "$CLONE")" 600 "mode of the clone"
        assert_eq "$(stat -c %a "$store")" 700 "mode of the store"
        cmp -s "$IMG" "$CLONE" || stasis_die "$CLONE differs from the frozen image $IMG"
        fsfreeze -u "$MNT"
        assert_eq "$(jq -c 'del(.version)' <<<"$OUT")" "{}" "commit answers only the version"

        # The live file system moves on.
        echo "new data" > "$MNT/file"
        rm "$MNT/big"
        sync

        ok exists "$(one "$V")"
        assert_eq "$(jq -c .exists <<<"$OUT")" true "exists after commit"

        snap=$STASIS_TMP/snap-$name
        mkdir "$snap"
        ok mount "$(jq -nc --argjson v "$V" --arg t "$snap" '{version: 1, volume: $v, target: $t}')"
        lc_track_mount "$snap"
        dev=$(jq -r .device <<<"$OUT")
        case $dev in /dev/loop[0-9]*) ;; *) stasis_die "mount answered device '$dev'" ;; esac
        assert_eq "$(losetup -n -l -O RO,AUTOCLEAR,BACK-FILE "$dev" | tr -s ' ' | sed 's/^ //')" "1 1 $CLONE" \
                "the snapshot's loop device (read-only, autoclear, the clone)"
        assert_eq "$(awk -v t="$snap" '$2 == t { print $1 " " $3 " " substr($4, 1, 3) }' /proc/self/mounts)" \
                "$dev $type ro," "the snapshot's mount"
        assert_eq "$(cat "$snap/file")" "old data" "the snapshot's file"
        assert_eq "$(sha256sum < "$snap/big")" "$sum" "the snapshot's big file"
        assert_eq "$(cat "$MNT/file")" "new data" "the live file"
        umount "$snap"
        wait_for 5 loop_gone "$CLONE"

        ok delete "$(one "$V")"
        [ ! -e "$CLONE" ] || stasis_die "delete left $CLONE"
        ok exists "$(one "$V")"
        assert_eq "$(jq -c .exists <<<"$OUT")" false "exists after delete"
        ok delete "$(one "$V")"
}

# ext4 and xfs images, cloned by reflink into the default store beside them.
cycle ext4 e1 64M 1 "$POOL/images/.stasis-loopclone"
EXT_V=$V EXT_DEV=$DEV EXT_MNT=$MNT EXT_IMG=$IMG
# The snapshot of an xfs file system shares its UUID with the live one: it
# only mounts with nouuid.
cycle xfs x1 300M 2 "$POOL/images/.stasis-loopclone"
XFS_DEV=$DEV XFS_MNT=$MNT XFS_IMG=$IMG

# A reflink clone shares its extents with the image.
fsfreeze -f "$EXT_MNT"
ok commit "$(commit_req 5 "[$(vol "$EXT_DEV" ext4 "$EXT_MNT" "$EXT_IMG" stasis-5-0)]")"
fsfreeze -u "$EXT_MNT"
filefrag -v "$POOL/images/.stasis-loopclone/stasis-5-0.img" | grep -q shared ||
        stasis_die "the clone in the pool is not a reflink"

# The store on another file system: FICLONE fails, a full (sparse) copy is made.
export STASIS_LOOPCLONE_STORE=$STASIS_TMP/store
[ "$(stat -c %d "$STASIS_TMP")" != "$(stat -c %d "$POOL")" ] || stasis_die "$STASIS_TMP is on the pool"
cycle ext4 e2 64M 3 "$STASIS_TMP/store"
# Sparse: a 64 MiB image with a fresh ext4 holds far less data.
fsfreeze -f "$MNT"
ok commit "$(commit_req 4 "[$(vol "$DEV" ext4 "$MNT" "$IMG" stasis-4-0)]")"
fsfreeze -u "$MNT"
[ "$(du -k "$STASIS_TMP/store/stasis-4-0.img" | cut -f1)" -lt 32768 ] || stasis_die "the copy is not sparse"
ok delete "$(one "$(vol "$DEV" ext4 "$MNT" "$IMG" stasis-4-0)")"
# A missing store in a directory that is there: the snapshot is absent.
rmdir "$STASIS_TMP/store"
ok exists "$(one "$(vol "$DEV" ext4 "$MNT" "$IMG" stasis-4-0)")"
assert_eq "$(jq -c .exists <<<"$OUT")" false "exists without a store"
STASIS_LOOPCLONE_STORE=relative/store bad exists "$(one "$V")" "STASIS_LOOPCLONE_STORE must be an absolute path"
unset STASIS_LOOPCLONE_STORE

# ---- errors ----
bad frob '{"version": 1}' "unknown verb 'frob'"
bad probe '{"version": 2, "volume": {}}' "unsupported protocol version 2"
bad probe '{"version": "1"}' '"version" is not a whole number'
bad probe '{"volume": {}}' 'request lacks "version"'
bad probe '{"version": 1, "volume": ' "malformed request"
bad probe 'not json' "malformed request"
bad probe '[1]' "it is not a JSON object"
bad probe '' "standard input is empty"
bad probe '{"version": 1}' 'request lacks "volume"'
bad probe '{"version": 1, "volume": {"path": "/", "mount_point": "/", "device": 7, "fstype": "ext4"}}' \
        'volume field "device" is not a string'
bad probe '{"version": 1, "volume": {"path": "/", "mount_point": "/", "fstype": "ext4"}}' \
        'volume lacks "device"'
bad probe '{"version": 1, "volume": {"path": "rel", "mount_point": "/", "device": "/dev/loop0", "fstype": "ext4"}}' \
        'volume field "path" is not an absolute path'
head -c 1100000 /dev/zero | tr '\0' ' ' > "$STASIS_TMP/huge.json"
bad probe "$(cat "$STASIS_TMP/huge.json")" "larger than 1048576 bytes"
bad commit '{"version": 1, "set_id": "6", "volumes": []}' '"volumes" is empty'
bad commit '{"version": 1, "set_id": "6", "volumes": {}}' '"volumes" is not an array'
bad delete "$(one "$(vol "$EXT_DEV" ext4 "$EXT_MNT" "$EXT_IMG" ../../etc/passwd)")" \
        "not a usable snapshot name"
bad delete "$(one "$(jq -c '.key = "btrfs:1:5"' <<<"$EXT_V")")" "is not this provider's key"

# Unknown fields are ignored.
ok probe "$(jq -c '.future = {"x": 1} | .volume.later = [1]' <<<"$(probe_req "$EXT_DEV" ext4 "$EXT_MNT")")"
assert_eq "$(jq -c .supported <<<"$OUT")" true "probe with unknown fields"

# Not a loop device, a loop device that is not there: not this provider's kind.
ok probe "$(probe_req "$(findmnt -no SOURCE /)" "$(findmnt -no FSTYPE /)" /)"
assert_eq "$(jq -c .supported <<<"$OUT")" false "probe of /"
ok probe "$(probe_req tmpfs tmpfs /dev/shm)"
assert_eq "$(jq -c .supported <<<"$OUT")" false "probe of tmpfs"
ok probe "$(probe_req /dev/loop99999 ext4 /mnt)"
assert_eq "$(jq -c .supported <<<"$OUT")" false "probe of a loop device that is not there"
ok probe "$(probe_req /dev/loop1p1 ext4 /mnt)"
assert_eq "$(jq -c .supported <<<"$OUT")" false "probe of a partition"

# A loop device whose image was deleted: its kind, but it cannot take it.
truncate -s 1M "$POOL/gone.img"
GONE_DEV=$(losetup --find --show "$POOL/gone.img")
_lc_loops+=("$GONE_DEV")
rm "$POOL/gone.img"
bad probe "$(probe_req "$GONE_DEV" ext4 /mnt)" "the image file behind $GONE_DEV was deleted"

# The snapshot of a handle that exists already: an error naming the clone,
# and the clones made before it in the same call are removed.
EXISTING=$POOL/images/.stasis-loopclone/stasis-5-0.img
fsfreeze -f "$EXT_MNT"
fsfreeze -f "$XFS_MNT"
bad commit "$(commit_req 5 "[$(vol "$XFS_DEV" xfs "$XFS_MNT" "$XFS_IMG" stasis-5-1), $(vol "$EXT_DEV" ext4 "$EXT_MNT" "$EXT_IMG" stasis-5-0)]")" \
        "clone $EXISTING exists already"
fsfreeze -u "$XFS_MNT"
fsfreeze -u "$EXT_MNT"
[ ! -e "$POOL/images/.stasis-loopclone/stasis-5-1.img" ] || stasis_die "a failed commit left the clone it made"
[ -f "$EXISTING" ] || stasis_die "a failed commit removed a clone it did not make"

# The pool is a loop volume too; in one set with the image in it, the pool
# would be frozen while the clone is written into it.
POOL_IMG=$(losetup -n -O BACK-FILE "$POOL_DEV")
bad commit "$(commit_req 6 "[$(vol "$EXT_DEV" ext4 "$EXT_MNT" "$EXT_IMG" stasis-6-0), $(vol "$POOL_DEV" xfs "$POOL" "$POOL_IMG" stasis-6-1)]")" \
        "the store for $EXT_IMG (in $POOL/images/.stasis-loopclone) is on $POOL, which is frozen for this commit"
[ ! -e "$POOL/images/.stasis-loopclone/stasis-6-0.img" ] || stasis_die "a refused commit made a clone"

# A volume whose device reads another image than at probe.
bad commit "$(commit_req 7 "[$(vol "$EXT_DEV" ext4 "$EXT_MNT" "$XFS_IMG" stasis-7-0)]")" \
        "$EXT_DEV now reads $EXT_IMG, not $XFS_IMG"

# mount: the target must be an empty directory; the snapshot must exist.
mkdir -p "$STASIS_TMP/full"
touch "$STASIS_TMP/full/x"
bad mount "$(jq -nc --argjson v "$(vol "$EXT_DEV" ext4 "$EXT_MNT" "$EXT_IMG" stasis-5-0)" --arg t "$STASIS_TMP/full" \
        '{version: 1, volume: $v, target: $t}')" "the target $STASIS_TMP/full is not empty"
mkdir -p "$STASIS_TMP/empty"
bad mount "$(jq -nc --argjson v "$(vol "$EXT_DEV" ext4 "$EXT_MNT" "$EXT_IMG" stasis-8-0)" --arg t "$STASIS_TMP/empty" \
        '{version: 1, volume: $v, target: $t}')" "cannot open the clone $POOL/images/.stasis-loopclone/stasis-8-0.img"

# exists/delete cannot tell when neither the store nor the image is there.
NOWHERE=$(vol /dev/loop99999 ext4 /mnt "$STASIS_TMP/nowhere/x.img" stasis-9-0)
bad exists "$(one "$NOWHERE")" "cannot tell whether $STASIS_TMP/nowhere/.stasis-loopclone/stasis-9-0.img exists"
bad delete "$(one "$NOWHERE")" "cannot tell whether"

ok delete "$(one "$(vol "$EXT_DEV" ext4 "$EXT_MNT" "$EXT_IMG" stasis-5-0)")"
[ -z "$(ls -A "$POOL/images/.stasis-loopclone")" ] || stasis_die "clones left: $(ls -A "$POOL/images/.stasis-loopclone")"
echo "OK"
