#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-security-paths.sh - what a local user who owns part of a file system
# can make root do. As nobody:
#  1. the btrfs snapshot store is root's, at the top of the file system: a
#     .stasis symlink or directory inside the user's subvolume is ignored, a
#     user-made (symlinked, 0777) .stasis at the top is refused by name, and
#     reaching the store does not make a read-only file system writable;
#  2. a directory swapped for a symlink to a root-only subvolume while the
#     writers prepare: nothing of the victim is snapshotted, the set fails;
#  3. a directory above a mount point swapped for a symlink to another file
#     system while the writers prepare: that file system is not frozen, the
#     set fails;
#  4. handles planted in the catalog (with "..") delete nothing outside the
#     store; sets in the old layout (<subvolume>/.stasis/<id>) still work and
#     are deleted, but only from a root-owned .stasis of the recorded subvolume.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
stasis_env_init
stasis_start_bus

stasis_install_test_provider
echo ok > "$TEST_PROVIDER_DIR/mode"
: > "$TEST_PROVIDER_DIR/log"
start() { STASISD_ARGS="--providers-dir=$STASIS_TMP/providers.d" stasis_start_daemon; }
start

stasis_make_fs btrfs pool
P=$STASIS_FS
PDEV=$STASIS_DEV
UUID=$(blkid -s UUID -o value "$PDEV")
chmod 755 "$STASIS_TMP/mnt"
# Root's data nobody may see: a 0700 directory with a subvolume in it.
mkdir -m 700 "$P/secret"
btrfs -q subvolume create "$P/secret/vault"
echo secret-data > "$P/secret/vault/secret"
btrfs -q subvolume create "$P/secret/v3"
# nobody's home, with a subvolume of its own.
mkdir "$P/home"
chown nobody:nogroup "$P/home"
stasis_as_nobody btrfs -q subvolume create "$P/home/sub"
stasis_as_nobody sh -c "echo mine > '$P/home/sub/f'"

# Every file on P named "secret" below a .stasis: a copy of the victim.
leaked() { find "$P" -path '*/.stasis/*' -name secret 2>/dev/null; }

# ---- 1. The store ----

# nobody points <subvolume>/.stasis at root's directory (the old layout's
# store): root's snapshot must not land there.
stasis_as_nobody ln -s "$P/secret" "$P/home/sub/.stasis"
out=$("$STASIS" --json create "$P/home/sub")
id=$(jq -r .id <<<"$out")
assert_eq "$(jq -r .state <<<"$out")" created "set of nobody's subvolume"
assert_eq "$(jq -r '.volumes[0].snapshot' <<<"$out")" "$UUID:/.stasis/$id-0" "handle names the file system and the store"
assert_eq "$(cat "$P/.stasis/$id-0/f")" mine "the snapshot is in the store at the top of the file system"
assert_eq "$(stat -c '%u %a %i' "$P/.stasis")" "0 700 256" "the store is a root-owned 0700 subvolume"
assert_eq "$(ls "$P/secret")" "$(printf 'v3\nvault')" "nothing landed where nobody's .stasis points"
rm "$P/home/sub/.stasis"
# A user-made 0777 .stasis inside the subvolume is not used either.
stasis_as_nobody btrfs -q subvolume create "$P/home/sub/.stasis"
stasis_as_nobody chmod 777 "$P/home/sub/.stasis"
out=$("$STASIS" --json create "$P/home/sub")
assert_eq "$(jq -r .state <<<"$out")" created "second set of nobody's subvolume"
[ -z "$(ls -A "$P/home/sub/.stasis")" ] || stasis_die "a snapshot landed in nobody's .stasis: $(ls -A "$P/home/sub/.stasis")"
"$STASIS" delete "$(jq -r .id <<<"$out")" "$id" >/dev/null
[ ! -e "$P/.stasis/$id-0" ] || stasis_die "delete left the snapshot in the store"

# A file system whose top anyone may write: nobody's .stasis there, a symlink
# or a 0777 subvolume, is refused with an error naming it.
stasis_make_fs btrfs open
Q=$STASIS_FS
QUUID=$(blkid -s UUID -o value "$STASIS_DEV")
chmod 1777 "$Q"
btrfs -q subvolume create "$Q/vol"
stasis_as_nobody ln -s "$P/secret" "$Q/.stasis"
assert_exit 1 "$STASIS" create "$Q/vol"
assert_contains "$STASIS_ERR" "/.stasis of btrfs file system $QUUID is not a root-owned 0700 subvolume"
assert_contains "$STASIS_ERR" "a symlink"
rm "$Q/.stasis"
stasis_as_nobody btrfs -q subvolume create "$Q/.stasis"
stasis_as_nobody chmod 777 "$Q/.stasis"
assert_exit 1 "$STASIS" create "$Q/vol"
assert_contains "$STASIS_ERR" "/.stasis of btrfs file system $QUUID is not a root-owned 0700 subvolume (owner uid 65534, mode 0777)"
[ -z "$(ls -A "$Q/.stasis")" ] || stasis_die "a snapshot landed in nobody's store"
assert_eq "$(ls "$P/secret")" "$(printf 'v3\nvault')" "nothing landed in root's directory"
btrfs -q subvolume delete "$Q/.stasis"

# The store is reached through a private mount of the top level: on a file
# system mounted read-only, that mount must not make it writable.
stasis_make_fs btrfs ro 200M
R=$STASIS_FS
btrfs -q subvolume create "$R/vol"
mount -o remount,ro "$R"
assert_exit 1 "$STASIS" create "$R/vol"
assert_contains "$STASIS_ERR" "cannot create /.stasis in btrfs file system"
assert_contains "$STASIS_ERR" "Read-only file system"
assert_eq "$(findmnt -n -o FS-OPTIONS "$R" | cut -d, -f1)" ro "the file system is still read-only"

# ---- 2. A subvolume swapped for a symlink while the writers prepare ----

# writer_race COMPONENT_PATH SWAP_CMD: a set of the writer's component, with
# SWAP_CMD run as nobody while the writer's PrepareSnapshot is under way (it
# answers after 4 s; PrepareBackup has then been answered). Sets OUT and RC.
writer_race() {
        local log=$STASIS_TMP/writer-race.log
        : > "$log"
        stasis_start_writer --name app --component data="$1" --log "$log" --fault PrepareSnapshot:slow:4000
        "$STASIS" --json create --component app:data >"$STASIS_TMP/race.out" 2>"$STASIS_TMP/race.err" &
        local cli=$!
        wait_for 10 grep -q PrepareBackup "$log"
        stasis_as_nobody sh -c "$2"
        RC=0
        wait "$cli" || RC=$?
        OUT=$(cat "$STASIS_TMP/race.out" "$STASIS_TMP/race.err")
        stasis_stop_writer "$STASIS_WRITER_PID"
}

n_sets=$(stasis_count_sets)
writer_race "$P/home/sub" "mv '$P/home/sub' '$P/home/sub.old' && ln -s '$P/secret/vault' '$P/home/sub'"
[ -z "$(leaked)" ] || stasis_die "the root-only subvolume was snapshotted: $(leaked)"
[ "$RC" != 0 ] || stasis_die "a set whose subvolume was swapped for a symlink succeeded: $OUT"
assert_contains "$OUT" "$P/home/sub changed after the set was planned"
assert_eq "$(stasis_count_sets)" "$n_sets" "no set left of the swapped subvolume"
rm "$P/home/sub"
stasis_as_nobody mv "$P/home/sub.old" "$P/home/sub"

# Swapped for another subvolume of nobody's, no symlink: the identity differs.
stasis_as_nobody btrfs -q subvolume create "$P/home/other"
writer_race "$P/home/sub" "mv '$P/home/sub' '$P/home/sub.old' && mv '$P/home/other' '$P/home/sub'"
[ "$RC" != 0 ] || stasis_die "a set whose subvolume was swapped for another succeeded: $OUT"
assert_contains "$OUT" "$P/home/sub changed after the set was planned"
assert_eq "$(stasis_count_sets)" "$n_sets" "no set left of the renamed subvolume"
stasis_as_nobody mv "$P/home/sub" "$P/home/other"
stasis_as_nobody mv "$P/home/sub.old" "$P/home/sub"

# ---- 3. A mount point's parent swapped for a symlink to another file system ----

stasis_make_fs ext4 planned 64M
E1=$STASIS_FS
stasis_make_fs ext4 victim 64M
mkdir -p "$STASIS_TMP/nb/d/mnt" "$STASIS_TMP/victimdir/mnt"
chown nobody:nogroup "$STASIS_TMP/nb"
mount --bind "$E1" "$STASIS_TMP/nb/d/mnt"; stasis_track_mount "$STASIS_TMP/nb/d/mnt"
mount --bind "$STASIS_FS" "$STASIS_TMP/victimdir/mnt"; stasis_track_mount "$STASIS_TMP/victimdir/mnt"
NB=$STASIS_TMP/nb
stasis_track_mount "$NB/d.old/mnt"     # where the mount is while swapped
: > "$TEST_PROVIDER_DIR/log"
writer_race "$NB/d/mnt" "mv '$NB/d' '$NB/d.old' && ln -s '$STASIS_TMP/victimdir' '$NB/d'"
# The provider logs each mount point it is asked to commit and whether it
# is frozen: it must not have been called at all.
! grep -q '^commit' "$TEST_PROVIDER_DIR/log" ||
        stasis_die "the commit ran after the mount point moved: $(cat "$TEST_PROVIDER_DIR/log")"
[ "$RC" != 0 ] || stasis_die "a set whose mount point was swapped succeeded: $OUT"
assert_contains "$OUT" "$NB/d/mnt changed after the set was planned"
stasis_writable "$STASIS_TMP/victimdir/mnt" || stasis_die "the victim file system was left frozen"
stasis_writable "$NB/d.old/mnt" || stasis_die "the planned file system was left frozen"
rm "$NB/d"
mv "$NB/d.old" "$NB/d"

# ---- 4. The catalog: planted handles and the old layout ----

# A set to plant handles in, and one in the old layout: its snapshot made
# the way earlier versions did, in a root-owned 0700 .stasis subvolume of the
# recorded subvolume.
btrfs -q subvolume create "$P/old"
echo old > "$P/old/f"
planted=$("$STASIS" --json create "$P/old" | jq -r .id)
oldset=$("$STASIS" --json create "$P/old" | jq -r .id)
nobodys=$("$STASIS" --json create "$P/home/sub" | jq -r .id)
stasis_stop_daemon
btrfs -q subvolume create "$P/old/.stasis"
chmod 700 "$P/old/.stasis"
btrfs -q subvolume snapshot -r "$P/old" "$P/old/.stasis/$oldset"
btrfs -q subvolume delete "$P/.stasis/$oldset-0"
# nobody's subvolume in the old layout, with a .stasis of nobody's making.
stasis_as_nobody btrfs -q subvolume create "$P/home/sub/.stasis/$nobodys"
db=$STASIS_STATE_DIR/catalog.db
sqlite3 "$db" "UPDATE volumes SET handle = '$P/old/.stasis/$oldset' WHERE set_id = $oldset;
               UPDATE volumes SET handle = '$P/home/sub/.stasis/$nobodys' WHERE set_id = $nobodys;
               UPDATE volumes SET handle = '$P/old/.stasis/../../secret/v3' WHERE set_id = $planted;
               UPDATE sets SET state = 'deleting' WHERE id = $planted;"
start
# At start-up stasisd removes what the "deleting" set made: not the victim.
[ -d "$P/secret/v3" ] || stasis_die "a planted handle made stasisd delete $P/secret/v3"
wait_for 10 grep -q -e "not a stasis snapshot handle" -e "not a normalized path" "$STASIS_TMP/stasisd.log"
assert_eq "$("$STASIS" --json show "$oldset" | jq -r .state)" created "an old-layout set is found at start-up"
assert_exit 0 "$STASIS" delete "$oldset"
[ ! -e "$P/old/.stasis/$oldset" ] || stasis_die "the old-layout snapshot was not deleted"
# nobody's old-layout .stasis is not stasis's: refused, not deleted.
assert_exit 1 "$STASIS" delete "$nobodys"
assert_contains "$STASIS_ERR" "$P/home/sub/.stasis is not a root-owned 0700 btrfs subvolume"
[ -d "$P/home/sub/.stasis/$nobodys" ] || stasis_die "a snapshot in nobody's .stasis was deleted"

# The same planted handles in the new layout, through a restart.
newset=$("$STASIS" --json create "$P/old" | jq -r .id)
stasis_stop_daemon
sqlite3 "$db" "UPDATE volumes SET handle = '$UUID:/.stasis/../secret/v3' WHERE set_id = $newset;
               UPDATE sets SET state = 'deleting' WHERE id = $newset;"
start
wait_until 10 '[ "$(grep -c -e "not a stasis snapshot handle" -e "not a normalized path" "$STASIS_TMP/stasisd.log")" -ge 2 ]'
[ -d "$P/secret/v3" ] || stasis_die "a planted store handle made stasisd delete $P/secret/v3"
[ -d "$P/.stasis/$newset-0" ] || stasis_die "the set's own snapshot went with the planted handle"
btrfs -q subvolume delete "$P/.stasis/$newset-0" >/dev/null
echo "ok"
