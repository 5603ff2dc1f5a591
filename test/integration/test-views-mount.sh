#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-views-mount.sh - stasis mount/umount: every snapshot of a set
# read-only under one tree, tracked by stasisd (a mounted set is not deleted
# unless forced; auto-release and a restart of stasisd unmount, in the
# caller's mount namespace too, and only what is still the view), bad input.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
stasis_setup

stasis_make_fs btrfs pool
P=$STASIS_FS
btrfs -q subvolume create "$P/vol"
echo old > "$P/vol/f"
stasis_make_fs btrfs other
O=$STASIS_FS
echo other-old > "$O/g"

id=$("$STASIS" --json create "$P/vol" "$O" | jq -r .id)
echo new > "$P/vol/f"
echo other-new > "$O/g"
mounted() { findmnt -rn -o TARGET | grep -c "^$STASIS_TMP/\(run\|view\)" || true; }

# 1. The default place: <runtime dir>/sets/<id>/<original mount path>.
out=$("$STASIS" mount "$id")
root=$STASIS_RUNTIME_DIR/sets/$id
assert_contains "$out" "Mounted snapshot set $id at $root"
assert_eq "$(cat "$root$P/vol/f")" old "the btrfs snapshot of a subvolume, at its path"
assert_eq "$(cat "$root$O/g")" other-old "the snapshot of a whole file system"
assert_eq "$(cat "$P/vol/f")" new "the live volume is untouched"
line=$(findmnt -rn -o OPTIONS,FSROOT "$root$P/vol")
assert_contains "$line" "ro," "read-only"
assert_contains "$line" "nosuid" "nosuid"
assert_contains "$line" "nodev" "nodev"
assert_contains "$line" "/.stasis/$id-0" "mounted by subvolume, from the store"
if touch "$root$P/vol/x" 2>/dev/null; then stasis_die "the view is writable"; fi
assert_eq "$("$STASIS" --json show "$id" | jq -r ".mounted_at // \"\"")" "$root" "show tells where"
assert_contains "$("$STASIS" show "$id")" "Mounted at: $root"

# 2. Mounted twice: busy. Delete: busy, and nothing changes.
assert_exit 7 "$STASIS" mount "$id"
assert_contains "$STASIS_ERR" "mounted already, at $root"
assert_exit 7 "$STASIS" delete "$id"
assert_contains "$STASIS_ERR" "is mounted at $root"
assert_eq "$(cat "$root$P/vol/f")" old "still mounted after a refused delete"

# 3. umount: gone, directories too.
"$STASIS" umount "$id" >/dev/null
assert_eq "$(mounted)" 0 "nothing left mounted"
[ ! -e "$root" ] || stasis_die "$root left behind"
assert_eq "$("$STASIS" --json show "$id" | jq -r ".mounted_at // \"\"")" "" "show: not mounted"
assert_exit 2 "$STASIS" umount "$id"
assert_contains "$STASIS_ERR" "is not mounted"

# 4. A directory of one's own; delete --force unmounts first.
mkdir "$STASIS_TMP/view"
"$STASIS" mount "$id" "$STASIS_TMP/view" >/dev/null
assert_eq "$(cat "$STASIS_TMP/view$P/vol/f")" old "at the directory given"
"$STASIS" delete --force "$id" >/dev/null
assert_eq "$(mounted)" 0 "delete --force unmounts"
[ -z "$(ls -A "$STASIS_TMP/view")" ] || stasis_die "directories made in the view's directory are left"
assert_exit 3 "$STASIS" show "$id"

# 5. Bad input: nothing left mounted.
id=$("$STASIS" --json create "$P/vol" | jq -r .id)
assert_exit 3 "$STASIS" mount 999
assert_contains "$STASIS_ERR" "999"
touch "$STASIS_TMP/file"
assert_exit 2 "$STASIS" mount "$id" "$STASIS_TMP/file"
assert_contains "$STASIS_ERR" "$STASIS_TMP/file is not a directory"
mkdir -p "$STASIS_TMP/full"; touch "$STASIS_TMP/full/x"
assert_exit 2 "$STASIS" mount "$id" "$STASIS_TMP/full"
assert_contains "$STASIS_ERR" "$STASIS_TMP/full is not empty"
assert_exit 3 "$STASIS" mount "$id" "$STASIS_TMP/nonexistent"
assert_contains "$STASIS_ERR" "$STASIS_TMP/nonexistent, does not exist"
assert_exit 2 "$STASIS" mount "$id" relative/dir
assert_contains "$STASIS_ERR" "not an absolute path"
assert_eq "$(mounted)" 0 "nothing mounted after bad input"
"$STASIS" delete "$id" >/dev/null
assert_exit 3 "$STASIS" mount "$id"
assert_contains "$STASIS_ERR" "$id"

# 6. Only root mounts.
id=$("$STASIS" --json create "$P/vol" | jq -r .id)
assert_exit 4 stasis_as_nobody "$STASIS" mount "$id"
assert_contains "$STASIS_ERR" "org.stasis1.mount-set"

# 7. A restart of stasisd unmounts what the previous run left.
"$STASIS" mount "$id" >/dev/null
kill -9 "$STASISD_PID"
wait "$STASISD_PID" 2>/dev/null || true
assert_eq "$(mounted)" 1 "the view outlives a killed stasisd"
stasis_start_daemon "$STASIS_TMP/stasisd2.log"
assert_eq "$(mounted)" 0 "the new stasisd unmounted it"
assert_eq "$("$STASIS" --json show "$id" | jq -r ".mounted_at // \"\"")" "" "and the set is not mounted"

# 7b. ... also in the caller's mount namespace, when it is not stasisd's
# (stasisd's own under systemd): found again through a process in it. Only
# what is still the snapshot mounted there is taken down.
in_ns() {       # in_ns NAME CMD: runs CMD in a namespace of its own, kept by a sleep; NS_PID
        rm -f "$STASIS_TMP/ns-$1"
        unshare --mount --propagation private sh -c "$2 && echo ready > '$STASIS_TMP/ns-$1' && exec sleep 600" \
                >/dev/null 2>>"$STASIS_TMP/ns.err" &
        NS_PID=$!
        stasis_track_pid "$NS_PID"
        wait_for 10 test -s "$STASIS_TMP/ns-$1"
}
ns_mounted() { nsenter -t "$1" -m findmnt -rn -o TARGET | grep -c "^$STASIS_TMP/\(run\|view\)" || true; }
mkdir -p "$STASIS_TMP/view-ns"
in_ns a "'$STASIS' mount '$id' '$STASIS_TMP/view-ns'"
A=$NS_PID
in_ns b "'$STASIS' create '$O' >/dev/null && '$STASIS' mount \$('$STASIS' --json list | jq -r '.[-1].id')"
B=$NS_PID
id_b=$("$STASIS" --json list | jq -r '.[-1].id')
in_ns c "'$STASIS' create '$O' >/dev/null && '$STASIS' mount \$('$STASIS' --json list | jq -r '.[-1].id')"
C=$NS_PID
id_c=$("$STASIS" --json list | jq -r '.[-1].id')
assert_eq "$(ns_mounted "$A") $(ns_mounted "$B") $(ns_mounted "$C") $(mounted)" "1 1 1 0" \
        "mounted in the callers' namespaces, not in stasisd's"
kill -9 "$STASISD_PID"
wait "$STASISD_PID" 2>/dev/null || true
# In b, the view is replaced by another file system at the same place; c's namespace goes.
nsenter -t "$B" -m sh -c "umount '$STASIS_RUNTIME_DIR/sets/$id_b$O' && mount -t tmpfs other '$STASIS_RUNTIME_DIR/sets/$id_b$O'"
kill -9 "$C"
wait "$C" 2>/dev/null || true
stasis_start_daemon "$STASIS_TMP/stasisd3.log"
assert_eq "$(ns_mounted "$A")" 0 "the new stasisd took the view down in the caller's namespace"
assert_eq "$(nsenter -t "$A" -m sh -c "ls -A '$STASIS_TMP/view-ns'")" "" "and removed the directories it made"
assert_eq "$(nsenter -t "$B" -m findmnt -rn -o FSTYPE "$STASIS_RUNTIME_DIR/sets/$id_b$O")" tmpfs \
        "a mount that is not the view any more is left alone"
assert_contains "$(cat "$STASIS_TMP/stasisd3.log")" "is not the snapshot a previous run mounted there any more"
assert_contains "$(cat "$STASIS_TMP/stasisd3.log")" "is gone, and the view with it"
assert_eq "$(ls -A "$STASIS_RUNTIME_DIR/views")" "" "every record forgotten"
kill -9 "$A" "$B"
"$STASIS" delete "$id" "$id_b" "$id_c" >/dev/null

# 7c. DIR belongs to a user, who swaps what stasisd made in it for a
# symlink (to a directory standing for /, with a mount where the view's
# would be): stasis umount unmounts the view itself, and nothing through
# the symlink.
D=$STASIS_TMP/userdir
mkdir "$D"
chown nobody "$D"
id4=$("$STASIS" --json create "$P/vol" | jq -r .id)
"$STASIS" mount "$id4" "$D" >/dev/null
first=${P#/}
first=${first%%/*}
decoy=$STASIS_TMP/decoy
mkdir -p "$decoy$P/vol"
mount -t tmpfs decoy "$decoy$P/vol"
stasis_track_mount "$decoy$P/vol"
stasis_as_nobody mv "$D/$first" "$D/moved"
stasis_as_nobody ln -s "$decoy/$first" "$D/$first"
"$STASIS" umount "$id4" >/dev/null
assert_eq "$(findmnt -rn -o FSTYPE "$decoy$P/vol")" tmpfs "the mount the symlink leads to is left alone"
assert_eq "$(findmnt -rn -o TARGET | grep -c "^$D/" || true)" 0 "the view itself is unmounted"
umount "$decoy$P/vol"
"$STASIS" delete "$id4" >/dev/null

# 8. Nested volumes: each snapshot sits where its volume sat, parents first.
btrfs -q subvolume create "$P/vol/nested"
echo nested-old > "$P/vol/nested/n"
id=$("$STASIS" --json create "$P/vol/nested" "$P/vol" | jq -r .id)
echo nested-new > "$P/vol/nested/n"
root=$("$STASIS" --json mount "$id" | jq -r .mounted_at)
assert_eq "$(cat "$root$P/vol/f")" new "the outer snapshot"
assert_eq "$(cat "$root$P/vol/nested/n")" nested-old "the inner snapshot, on top of the outer one"
assert_contains "$(findmnt -rn -o FSROOT "$root$P/vol/nested")" "/.stasis/$id-" "the inner one is its own mount"
"$STASIS" delete --force "$id" >/dev/null
assert_eq "$(mounted)" 0 "nested: nothing left mounted"

# 9. Auto-release of a mounted set unmounts it.
rm -f "$STASIS_TMP/in" "$STASIS_TMP/id"
mkfifo "$STASIS_TMP/in"
"$TEST_REQUESTOR" "$P/vol" <"$STASIS_TMP/in" >"$STASIS_TMP/id" &
REQ_PID=$!
stasis_track_pid "$REQ_PID"
exec 3>"$STASIS_TMP/in"
wait_for 10 test -s "$STASIS_TMP/id"
id=$(cat "$STASIS_TMP/id")
"$STASIS" mount "$id" >/dev/null
assert_eq "$(mounted)" 1 "mounted"
exec 3>&-
wait "$REQ_PID"
wait_for 10 sh -c "! '$STASIS' show '$id' >/dev/null 2>&1"
assert_eq "$(mounted)" 0 "auto-release unmounted it"
echo "ok"
