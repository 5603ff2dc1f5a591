#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-views-root.sh - views of a set that includes /: the test runs in a
# mount namespace of its own whose root is a btrfs file system (every
# other top-level directory of the machine bound on it, as they are), so
# that / can be snapshotted for real. Then:
#  1. stasis exec of a set of / and of a file system nested in it (/nested):
#     CMD's root is the snapshot of /, /nested the snapshot of /nested,
#     while the live data at the same paths has changed; /proc, /tmp and a
#     file system below / that is not in the set (/foreign) stay as they are;
#  2. CMD starts in its working directory, in the view: a relative path
#     reads the snapshot;
#  3. --user nobody can write nowhere in the snapshots and cannot reach the
#     live root (no path leads back to it);
#  4. stasis backup of / with tar: the archive holds the snapshot's data;
#  5. stasis mount of the set puts the snapshot of / under DIR;
#  6. nothing is left mounted in the test's namespace.
set -euo pipefail
if [ -z "${STASIS_ROOT_NS:-}" ]; then
        [ "$(id -u)" = 0 ] || { echo "SKIP: needs root (loop devices, mounts)"; exit 77; }
        exec unshare --mount --propagation private env STASIS_ROOT_NS=1 bash "$0" "$@"
fi
. "$(dirname "$0")/../lib.sh"
stasis_env_init
T=$STASIS_TMP

# ---- The namespace's root: a btrfs file system ----
stasis_make_fs btrfs root 1G
R=$STASIS_FS
# Unbindable: the recursive binds below (of /tmp, which holds $R) leave it
# out, so that the new root holds no copy of itself (nor the cleanup a way
# into the machine's directories through one).
mount --make-unbindable "$R"
for d in /*; do
        n=${d#/}
        if [ -L "$d" ]; then
                cp -P "$d" "$R/$n"
        elif [ -d "$d" ]; then
                mkdir "$R/$n"
                mount --rbind "$d" "$R/$n"
        fi
done
mkdir "$R/data" "$R/nested" "$R/foreign"
echo old > "$R/data/f"
chmod -R a+rX "$R/data"
cd "$R"
mkdir .old
pivot_root . .old
umount -l /.old
rmdir /.old
cd /
[ "$(findmnt -n -o FSTYPE /)" = btrfs ] || stasis_die "the namespace's root is not the btrfs file system"

stasis_start_bus
stasis_start_daemon
stasis_make_fs btrfs nested 300M
umount "$STASIS_FS"
mount "$STASIS_DEV" /nested
stasis_track_mount /nested
echo nested-old > /nested/g
stasis_make_fs ext4 foreign 64M
umount "$STASIS_FS"
mount "$STASIS_DEV" /foreign
stasis_track_mount /foreign
echo foreign > /foreign/h

id=$("$STASIS" --json create /data /nested | jq -r .id)
assert_eq "$("$STASIS" --json show "$id" | jq -r '[.volumes[].mount_point] | sort | join(" ")')" "/ /nested" \
        "the set's volumes"
echo new > /data/f
echo added > /data/added
echo nested-new > /nested/g
echo foreign-later >> /foreign/h
mounts_before=$(findmnt -rn | wc -l)

# ---- 1. The snapshots at / and /nested, the rest as it is ----
out=$("$STASIS" exec "$id" -- sh -c 'cat /data/f; ls /data; cat /nested/g; cat /foreign/h;
        cat /proc/self/comm; findmnt -n -o FSTYPE /; test -d '"$T"' && echo tmp-live')
assert_eq "$(echo "$out" | tr '\n' ' ')" "old f nested-old foreign foreign-later cat btrfs tmp-live " \
        "inside: the snapshots at / and /nested, the rest live"
assert_eq "$(cat /data/f) $(cat /nested/g)" "new nested-new" "outside, meanwhile: the live data"

# ---- 2. The working directory, in the view ----
assert_eq "$(cd /data && "$STASIS" exec "$id" -- sh -c 'pwd; cat f')" "$(printf '/data\nold')" \
        "a relative path reads the snapshot"

# ---- 3. --user nobody ----
out=$("$STASIS" exec --user nobody "$id" -- sh -c 'id -u; touch /data/x 2>&1; touch /nested/x 2>&1;
        touch /x 2>&1; cat /data/added 2>&1; cat /.old/data/f 2>&1; ls /proc/1/root/data 2>&1' || true)
assert_contains "$out" 65534
assert_contains "$out" "cannot touch '/data/x': Read-only file system"
assert_contains "$out" "cannot touch '/nested/x': Read-only file system"
assert_contains "$out" "cannot touch '/x': Read-only file system"
assert_contains "$out" "/data/added: No such file or directory" "nobody sees no live file"
if echo "$out" | grep -qx new; then stasis_die "nobody reached the live root: $out"; fi

# ---- 4. stasis backup of / ----
"$STASIS" backup /data -- tar -C / -cf "$T/data.tar" data
assert_eq "$(tar -xOf "$T/data.tar" data/f)" new "backup: the snapshot taken by the backup itself"
echo newer > /data/f
"$STASIS" backup /data -- sh -c "tar -C /data -cf '$T/data2.tar' . && echo newest > '$T/late'"
assert_eq "$(tar -xOf "$T/data2.tar" ./f)" newer "backup: a second one, its own snapshot"

# ---- 5. stasis mount of the set ----
mkdir "$T/view"
root=$("$STASIS" mount "$id" "$T/view")
assert_eq "$(cat "$T/view/data/f") $(cat "$T/view/nested/g")" "old nested-old" "mount: the snapshots under DIR"
"$STASIS" umount "$id"

# ---- 6. Nothing left ----
assert_eq "$(findmnt -rn | wc -l)" "$mounts_before" "mounts in the test's namespace, after the views"
"$STASIS" delete "$id" >/dev/null
echo ok
