#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-security-loopclone.sh - the example provider runs as root on an image
# that a user may own, in a directory that user may write (a loop device set
# up for the user, as udisks does). Its store beside the image must not be
# the user's. Driven through the provider protocol, with nobody owning the
# images' directory:
#  1. a .stasis-loopclone symbolic link to root's directory: commit refuses
#     it by name, and nothing is written where it points; delete removes
#     nothing there;
#  2. a .stasis-loopclone directory made by nobody (0777): refused, so
#     nobody cannot swap the clone after it is made;
#  3. with no store, the provider makes a root-owned 0700 one and clones;
#  4. the image swapped, after probe, for a symbolic link to root's file, or
#     for another file: commit refuses it, and nothing of root's file is
#     cloned. (The provider checks the loop device's file by path and then
#     opens the path without following a link and compares the file it got
#     with the loop device's, so a swap between the two steps fails too;
#     that window is too short to hit here.)
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

PROVIDER=${STASIS_PROVIDER_LOOPCLONE:-$STASIS_BUILD_DIR/src/providers/exec/stasis-provider-loopclone}
[ -x "$PROVIDER" ] || stasis_die "no provider at $PROVIDER (build it first)"
command -v mkfs.xfs >/dev/null || { echo "SKIP: needs mkfs.xfs"; exit 77; }
export STASIS_PROVIDER_VERSION=1
unset STASIS_LOOPCLONE_STORE
stasis_env_init

call() {
        RC=0
        OUT=$("$PROVIDER" "$1" <<<"$2" 2>"$STASIS_TMP/provider.err") || RC=$?
}
vol() {
        jq -nc --arg d "$1" --arg m "$2" --arg s "$3" --arg h "$4" \
                '{path: $m, mount_point: $m, device: $d, fstype: "ext4", source: $s, key: ("loopclone:" + $s), handle: $h}'
}
commit_req() { jq -nc --arg id "$1" --argjson v "$2" '{version: 1, set_id: $id, volumes: [$v]}'; }

stasis_make_fs xfs pool 1G
POOL=$STASIS_FS
chmod 755 "$STASIS_TMP/mnt"
mkdir -m 700 "$POOL/rootonly"
mkdir "$POOL/home"
chown nobody:nogroup "$POOL/home"
IMG=$POOL/home/disk.img
stasis_as_nobody truncate -s 64M "$IMG"
stasis_as_nobody mkfs.ext4 -q -F "$IMG" >/dev/null
DEV=$(losetup --find --show "$IMG")
stasis_track_loop "$DEV"
MNT=$STASIS_TMP/mnt/img
mkdir -p "$MNT"
mount "$DEV" "$MNT"
stasis_track_mount "$MNT"
STORE=$POOL/home/.stasis-loopclone

# ---- 1. A symbolic link to root's directory ----
stasis_as_nobody ln -s "$POOL/rootonly" "$STORE"
V=$(vol "$DEV" "$MNT" "$IMG" stasis-1-0)
call commit "$(commit_req 1 "$V")"
[ -z "$(ls -A "$POOL/rootonly")" ] || stasis_die "the provider wrote into root's directory: $(ls -A "$POOL/rootonly")"
[ "$RC" = 1 ] || stasis_die "commit through a symlinked store exited $RC: $OUT"
assert_contains "$(jq -r .error <<<"$OUT")" "store $STORE is a symbolic link"
# delete does not reach through it either.
touch "$POOL/rootonly/stasis-2-0.img"
call delete "$(jq -nc --argjson v "$(vol "$DEV" "$MNT" "$IMG" stasis-2-0)" '{version: 1, volume: $v}')"
[ -e "$POOL/rootonly/stasis-2-0.img" ] || stasis_die "delete removed a file in root's directory"
rm "$POOL/rootonly/stasis-2-0.img" "$STORE"

# ---- 2. A store nobody made ----
stasis_as_nobody mkdir -m 777 "$STORE"
call commit "$(commit_req 3 "$(vol "$DEV" "$MNT" "$IMG" stasis-3-0)")"
[ "$RC" = 1 ] || stasis_die "commit into nobody's store exited $RC: $OUT"
assert_contains "$(jq -r .error <<<"$OUT")" "store $STORE is owned by uid 65534"
[ -z "$(ls -A "$STORE")" ] || stasis_die "a clone landed in nobody's store"
rmdir "$STORE"

# ---- 3. No store: made root's, 0700 ----
call commit "$(commit_req 4 "$(vol "$DEV" "$MNT" "$IMG" stasis-4-0)")"
[ "$RC" = 0 ] || stasis_die "commit failed: $OUT"
assert_eq "$(stat -c '%u %a' "$STORE")" "0 700" "the store"
[ -f "$STORE/stasis-4-0.img" ] || stasis_die "no clone"
call delete "$(jq -nc --argjson v "$(vol "$DEV" "$MNT" "$IMG" stasis-4-0)" '{version: 1, volume: $v}')"
[ "$RC" = 0 ] || stasis_die "delete failed: $OUT"
[ ! -e "$STORE/stasis-4-0.img" ] || stasis_die "delete left the clone"

# ---- 4. The image swapped between probe and commit ----
head -c 1M /dev/urandom > "$POOL/rootonly/secret"
stasis_as_nobody mv "$IMG" "$IMG.real"
stasis_as_nobody ln -s "$POOL/rootonly/secret" "$IMG"
call commit "$(commit_req 5 "$(vol "$DEV" "$MNT" "$IMG" stasis-5-0)")"
[ "$RC" = 1 ] || stasis_die "commit of an image swapped for a symlink exited $RC: $OUT"
[ ! -e "$STORE/stasis-5-0.img" ] || stasis_die "a clone was made through the symlink to root's file"
stasis_as_nobody rm "$IMG"
# Another file of nobody's in its place (the loop device still reads the old one).
stasis_as_nobody cp "$IMG.real" "$IMG"
call commit "$(commit_req 6 "$(vol "$DEV" "$MNT" "$IMG" stasis-6-0)")"
[ "$RC" = 1 ] || stasis_die "commit of an image replaced by another file exited $RC: $OUT"
assert_contains "$(jq -r .error <<<"$OUT")" "$DEV now reads $IMG.real"
[ ! -e "$STORE/stasis-6-0.img" ] || stasis_die "a clone was made of a file the loop device does not read"
stasis_as_nobody rm "$IMG"
stasis_as_nobody mv "$IMG.real" "$IMG"
echo PASS
