#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-resolve-mounts.sh - stasisd resolves paths against the mount table as
# it is now, whatever else is mounted:
#  1. a mount made, and one taken away, after stasisd first read the table is
#     seen at the next request;
#  2. mount points with a space, a tab, a newline and a backslash in their
#     names resolve to themselves;
#  3. a bind mount of a namespace file (as `ip netns add` makes under
#     /run/netns), whose root in the mount table is not a path, and a file
#     system mounted with an empty source do not keep any path from resolving.
# It runs in a mount namespace of its own (with stasisd), so that no other
# process on the machine sees these mounts.
set -euo pipefail
if [ "$(id -u)" = 0 ] && [ -z "${STASIS_TEST_MOUNT_NS:-}" ]; then
        STASIS_TEST_MOUNT_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/../lib.sh"
stasis_setup

stasis_make_fs btrfs pool
P=$STASIS_FS
PDEV=$STASIS_DEV
btrfs -q subvolume create "$P/data"
mkdir "$P/plain"

# field PATH KEY: what `stasis volumes` says of PATH.
field() { "$STASIS" --json volumes "$1" | jq -r ".[0].$2"; }

# ---- 1. Changes after the first read ----
assert_eq "$(field "$P/plain" mount_point)" "$P" "a directory of the pool"
mkdir "$P/plain/over"
mount --bind "$P/data" "$P/plain/over"
stasis_track_mount "$P/plain/over"
assert_eq "$(field "$P/plain/over" mount_point)" "$P/plain/over" "a bind mount made after the first request"
assert_eq "$(field "$P/plain/over" device)" "$PDEV" "its device"
umount "$P/plain/over"
assert_eq "$(field "$P/plain/over" mount_point)" "$P" "the same directory once unmounted"

# ---- 2. Names the kernel escapes ----
odd=$P/plain/$'a b\tc\nd\\e'
mkdir "$odd"
mount --bind "$P/data" "$odd"
stasis_track_mount "$odd"
out=$("$STASIS" --json volumes "$odd")
assert_eq "$(jq -r '.[0].mount_point' <<<"$out")" "$odd" "a mount point with a space, a tab, a newline and a backslash"
assert_eq "$(jq -r '.[0].fstype' <<<"$out")" btrfs "its type"
out=$("$STASIS" --json create "$odd")
assert_eq "$(jq -r .state <<<"$out")" created "a set of it"
assert_eq "$(jq -r '.volumes[0].mount_point' <<<"$out")" "$odd" "the set's volume"
"$STASIS" delete "$(jq -r .id <<<"$out")" >/dev/null

# ---- 3. Mounts whose fields are unusual ----
touch "$STASIS_TMP/netns"
mount --bind /proc/self/ns/net "$STASIS_TMP/netns"
stasis_track_mount "$STASIS_TMP/netns"
grep -q ' net:\[[0-9]*\] ' /proc/self/mountinfo || stasis_die "the namespace bind mount is not in the mount table"
mkdir "$STASIS_TMP/empty-source"
mount -t tmpfs -o size=64k "" "$STASIS_TMP/empty-source"
stasis_track_mount "$STASIS_TMP/empty-source"
assert_eq "$(field "$P/data" mount_point)" "$P" "a path, with a namespace bind mount and an empty source in the table"
out=$("$STASIS" --json create "$P/data")
assert_eq "$(jq -r .state <<<"$out")" created "a set, with them in the table"
"$STASIS" delete "$(jq -r .id <<<"$out")" >/dev/null
# The tmpfs is told as it is: no provider takes it, and the refusal names it
# with its empty source, not with its super options in the source's place.
assert_exit 6 "$STASIS" volumes "$STASIS_TMP/empty-source"
assert_contains "$STASIS_ERR" "on a tmpfs file system ( at $STASIS_TMP/empty-source)" "the refusal"
echo "PASS"
