#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-views-exec.sh - stasis exec: CMD sees the snapshot at the original
# path while everyone else sees the live data there; mounts below that path
# that are not the set's stay visible; --user nobody can neither write in
# the view nor see the live data through it; bad input; nothing left mounted.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
stasis_setup

stasis_make_fs btrfs pool
P=$STASIS_FS
btrfs -q subvolume create "$P/vol"
echo old > "$P/vol/f"
chmod 644 "$P/vol/f"
mkdir "$P/vol/inner"
id=$("$STASIS" --json create "$P/vol" | jq -r .id)
echo new > "$P/vol/f"
echo added > "$P/vol/added"
# A file system mounted below the volume after the snapshot, not in the set.
stasis_make_fs ext4 inner-src 64M
umount "$STASIS_FS"
mount "$STASIS_DEV" "$P/vol/inner"
stasis_track_mount "$P/vol/inner"
echo inner > "$P/vol/inner/i"
mounted() { findmnt -rn -o TARGET | grep -c "^$STASIS_TMP/run" || true; }

# 1. The snapshot at the original path, the live data outside, at once.
"$STASIS" exec "$id" -- sh -c "cat '$P/vol/f' > '$STASIS_TMP/in1'; touch '$STASIS_TMP/ready';
        while [ ! -e '$STASIS_TMP/go' ]; do sleep 0.05; done; cat '$P/vol/f' > '$STASIS_TMP/in2';
        ls '$P/vol' > '$STASIS_TMP/ls'; cat '$P/vol/inner/i' > '$STASIS_TMP/inner'" &
E=$!
stasis_track_pid "$E"
wait_for 10 test -e "$STASIS_TMP/ready"
assert_eq "$(cat "$P/vol/f")" new "outside, meanwhile: the live data"
touch "$STASIS_TMP/go"
wait "$E"
assert_eq "$(cat "$STASIS_TMP/in1")" old "inside: the snapshot"
assert_eq "$(cat "$STASIS_TMP/in2")" old "inside, still: the snapshot"
assert_eq "$(tr '\n' ' ' < "$STASIS_TMP/ls")" "f inner " "inside: no file made after the snapshot"
assert_eq "$(cat "$STASIS_TMP/inner")" inner "a mount below, not in the set, stays visible"
assert_eq "$(mounted)" 0 "exec mounts nothing outside its namespace"

# 2. CMD's exit status is stasis's.
assert_exit 5 "$STASIS" exec "$id" -- sh -c 'exit 5'

# 3. --user nobody: runs as nobody, cannot write, sees no live data.
out=$("$STASIS" exec --user nobody "$id" -- sh -c "id -u; cat '$P/vol/f'; cat '$P/vol/added' 2>&1 || true;
        touch '$P/vol/x' 2>&1 || true; touch '$P/vol/f' 2>&1 || true")
assert_contains "$out" "65534"
assert_contains "$out" "old"
assert_contains "$out" "$P/vol/added: No such file or directory"
assert_contains "$out" "cannot touch '$P/vol/x': Read-only file system"
assert_contains "$out" "cannot touch '$P/vol/f': Read-only file system"
if echo "$out" | grep -qx new; then stasis_die "nobody saw the live data"; fi
# ... and cannot undo the view to reach the live data.
out=$("$STASIS" exec --user nobody "$id" -- sh -c "umount '$P/vol' 2>/dev/null || umount -l '$P/vol' 2>/dev/null;
        cat '$P/vol/f'")
assert_eq "$out" old "nobody cannot unmount the view"
assert_exit 4 stasis_as_nobody "$STASIS" exec "$id" -- true
assert_contains "$STASIS_ERR" "org.stasis1.mount-set"

# ... and dies with stasis, although a change of user clears the
# parent-death signal.
mkdir -m 1777 "$STASIS_TMP/pub"
"$STASIS" exec --user nobody "$id" -- sh -c "echo \$\$ > '$STASIS_TMP/pub/pid'; exec sleep 100" &
E=$!
stasis_track_pid "$E"
wait_for 10 test -s "$STASIS_TMP/pub/pid"
cmd=$(cat "$STASIS_TMP/pub/pid")
kill -KILL "$E"
wait "$E" 2>/dev/null || true
wait_for 10 sh -c "! kill -0 $cmd 2>/dev/null"

# 4. Nested volumes: the inner snapshot over the outer one, at its path.
btrfs -q subvolume create "$P/vol/nested"
echo nested-old > "$P/vol/nested/n"
id2=$("$STASIS" --json create "$P/vol" "$P/vol/nested" | jq -r .id)
echo nested-new > "$P/vol/nested/n"
echo newer > "$P/vol/f"
out=$("$STASIS" exec "$id2" -- sh -c "cat '$P/vol/f' '$P/vol/nested/n' '$P/vol/inner/i'")
assert_eq "$(echo $out)" "new nested-old inner" "both snapshots at their paths, the other mount on top"
"$STASIS" delete "$id2" >/dev/null

# 4b. A mount made after the snapshot below a place where the snapshot has
# a symlink (x -> a directory standing for /, the mount at x/etc): its copy
# is not put back through the symlink, so nothing lands where it points.
mkdir -p "$STASIS_TMP/vroot/etc"
echo real > "$STASIS_TMP/vroot/etc/passwd"
ln -s "$STASIS_TMP/vroot" "$P/vol/x"
id3=$("$STASIS" --json create "$P/vol" | jq -r .id)
rm "$P/vol/x"
mkdir -p "$P/vol/x/etc"
mount -t tmpfs later "$P/vol/x/etc"
stasis_track_mount "$P/vol/x/etc"
echo fake > "$P/vol/x/etc/passwd"
assert_eq "$("$STASIS" exec "$id3" -- cat "$STASIS_TMP/vroot/etc/passwd")" real "nothing mounted through the symlink"
umount "$P/vol/x/etc"
"$STASIS" delete "$id3" >/dev/null

# 5. Bad input: clear errors, nothing mounted.
assert_exit 127 "$STASIS" exec "$id" -- no-such-command
assert_contains "$STASIS_ERR" "exec $id: cannot run no-such-command: No such file or directory"
assert_exit 3 "$STASIS" exec 999 -- true
assert_contains "$STASIS_ERR" "999"
assert_exit 3 "$STASIS" exec --user no-such-user "$id" -- true
assert_contains "$STASIS_ERR" "no-such-user: no such user"
assert_exit 2 "$STASIS" exec "$id"
assert_contains "$STASIS_ERR" "no command given"
"$STASIS" delete "$id" >/dev/null
assert_exit 3 "$STASIS" exec "$id" -- true
assert_eq "$(mounted)" 0 "nothing mounted after bad input"
echo "ok"
