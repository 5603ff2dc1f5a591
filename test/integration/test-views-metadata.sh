#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-views-metadata.sh - the views place the writers' backup metadata files at their paths:
# stasis exec, stasis mount and stasis backup see each declared file (content and mode) at its path in the
# snapshot's tree, also where the snapshot has no such file or an older one, and the rest of that
# directory as the snapshot has it; the original tree is untouched. A symlink in the snapshot on
# the way to a file's directory is never followed: the view fails, naming it, and nothing lands
# where it points (else a writer could put a file into /etc of whoever mounts or enters the view).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
[ -x "$STASIS_TEST_WRITER" ] || stasis_die "build the test helpers first ($STASIS_TEST_WRITER)"

stasis_setup_alone
T=$STASIS_TMP

stasis_make_fs btrfs pool
P=$STASIS_FS
btrfs -q subvolume create "$P/db"
mkdir -p "$P/db/base"
echo "table data" >"$P/db/base/16384"
echo "old map" >"$P/db/tablespace_map"
printf 'START WAL LOCATION: 0/2000028\n' >"$T/label"
printf 'new map\n' >"$T/map"
stasis_start_writer --name pg --component data="$P/db" --log "$T/pg.log" \
        --metadata-file "PostSnapshot:data:$P/db/base/backup_label=@$T/label:0600" \
        --metadata-file "PostSnapshot:data:$P/db/tablespace_map=@$T/map:0640"
id=$("$STASIS" --json create --component pg:data | jq -r .id)
echo "after the snapshot" >"$P/db/base/16384"

in_view() { "$STASIS" exec "$id" -- "$@"; }
assert_eq "$(in_view cat "$P/db/base/backup_label")" "$(cat "$T/label")" "backup_label in the view"
assert_eq "$(in_view stat -c %a "$P/db/base/backup_label")" 600 "its mode"
assert_eq "$(in_view cat "$P/db/tablespace_map")" "new map" "a file the snapshot has, replaced"
assert_eq "$(in_view stat -c %a "$P/db/tablespace_map")" 640 "its mode"
assert_eq "$(in_view cat "$P/db/base/16384")" "table data" "the snapshot's own file beside it"
assert_eq "$(in_view sh -c "ls $P/db/base | sort | tr '\n' ' '")" "16384 backup_label " "the directory in the view"
[ ! -e "$P/db/base/backup_label" ] || stasis_die "the metadata file appeared in the original tree"
assert_eq "$(cat "$P/db/tablespace_map")" "old map" "the original tree"
assert_exit 2 "$STASIS" exec "$id" -- sh -c "echo x >$P/db/base/backup_label"
assert_contains "$STASIS_ERR" "Read-only file system" "the placed file is read-only"
# stasis mount: the tree under a directory, with the files in place; stasis umount takes it all away.
mkdir "$T/v"
"$STASIS" mount "$id" "$T/v" >/dev/null
assert_eq "$(cat "$T/v$P/db/base/backup_label")" "$(cat "$T/label")" "backup_label under stasis mount"
assert_eq "$(cat "$T/v$P/db/tablespace_map")" "new map" "a replaced file under stasis mount"
assert_eq "$(cat "$T/v$P/db/base/16384")" "table data" "the snapshot's own file under stasis mount"
"$STASIS" umount "$id" >/dev/null
! findmnt -rn -o TARGET | grep -q "^$T/v/" || stasis_die "mounts left after stasis umount: $(findmnt -rn -o TARGET | grep "^$T/v/")"
# stasis backup: the whole job, with the file in place for the command.
out=$("$STASIS" backup --component pg:data -- cat "$P/db/base/backup_label")
assert_eq "$out" "$(cat "$T/label")" "stasis backup"

# A directory of the snapshot that is a symlink (to $T/victim, standing for /etc).
mkdir "$T/victim"
echo real >"$T/victim/passwd"
btrfs -q subvolume create "$P/evil"
ln -s "$T/victim" "$P/evil/x"
stasis_start_writer --name ev --component data="$P/evil" --log "$T/ev.log" \
        --metadata-file "PostSnapshot:data:$P/evil/x/passwd=@$T/map:0644"
id2=$("$STASIS" --json create --component ev:data | jq -r .id)
victim_untouched() {
        assert_eq "$(cat "$T/victim/passwd")" real "$1: the file where the symlink points"
        [ -z "$(findmnt -rn -o TARGET | grep "^$T/victim")" ] || stasis_die "$1: something was mounted on $T/victim"
}
assert_exit 126 "$STASIS" exec "$id2" -- cat "$T/victim/passwd"
assert_contains "$STASIS_ERR" "$P/evil/x"
victim_untouched exec
mkdir "$T/v2"
assert_exit 1 "$STASIS" mount "$id2" "$T/v2"
assert_contains "$STASIS_ERR" "$P/evil/x"
victim_untouched mount
assert_eq "$(findmnt -rn -o TARGET | grep -c "^$T/v2" || true)" 0 "a mount that failed leaves nothing mounted"
assert_eq "$("$STASIS" --json show "$id2" | jq -r '.mounted_at // ""')" "" "nor the set mounted"
"$STASIS" delete "$id2" >/dev/null
echo ok
