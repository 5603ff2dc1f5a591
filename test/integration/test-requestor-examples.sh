#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-requestor-examples.sh - the examples of docs/requestors.md are the
# files in docs/examples/, word for word, and they work: the C program (built
# as backup-example), the Python one (python3-dbus) and the busctl one each
# snapshot two paths, read a file from each snapshot where the file system's
# top-level subvolume is mounted (btrfs keeps the snapshots in .stasis there),
# complete and delete the set, and leave nothing behind; they refuse to read
# through a mount of another subvolume.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
DOC=$STASIS_SRC/docs/requestors.md
EXAMPLE=${STASIS_REQUESTOR_EXAMPLE:-$STASIS_BUILD_DIR/test/helpers/backup-example}
[ -x "$EXAMPLE" ] || stasis_die "build the test helpers first ($EXAMPLE)"

# The doc includes each file whole, in the fenced block after its marker
# "<!-- example: examples/NAME -->".
n=0
while read -r f; do
        got=$(awk -v m="<!-- example: $f -->" '
                $0 == m { on = 1; next }
                on == 1 && /^```/ { on = 2; next }
                on == 2 && /^```$/ { exit }
                on == 2 { print }' "$DOC")
        [ "$got" = "$(cat "$STASIS_SRC/docs/$f")" ] ||
                stasis_die "docs/requestors.md and docs/$f differ: $(diff <(echo "$got") "$STASIS_SRC/docs/$f" | head -n 5)"
        n=$((n + 1))
done < <(sed -n 's/^<!-- example: \(.*\) -->$/\1/p' "$DOC")
assert_eq "$n" 3 "examples in docs/requestors.md"
for f in backup.c backup.py backup-busctl.sh; do
        grep -qx "<!-- example: examples/$f -->" "$DOC" || stasis_die "docs/requestors.md does not include examples/$f"
done

stasis_setup
stasis_make_fs btrfs pool
P=$STASIS_FS
btrfs -q subvolume create "$P/home"
btrfs -q subvolume create "$P/db"
mkdir "$P/db/data"
echo "hello" > "$P/home/notes"
head -c 1000 /dev/zero > "$P/db/data/table"
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import dbus' ||
        stasis_die "python3-dbus is missing (scripts/install-deps.sh installs it)"

# check NAME OUTPUT: each example reads the snapshots of set ID, the
# handles UUID:/.stasis/ID-0 and -1, from the top-level subvolume mounted at
# $P, and leaves nothing.
check() {
        id=$(sed -n 's/^set \([0-9]*\): .*/\1/p' <<<"$2")
        [ -n "$id" ] || stasis_die "$1 prints no set id: $2"
        grep -qxF "volume $P/home: reading $P/.stasis/$id-0" <<<"$2" || stasis_die "$1 does not read home's snapshot: $2"
        grep -qxF "volume $P/db/data: reading $P/.stasis/$id-1/data" <<<"$2" || stasis_die "$1 does not read db's snapshot: $2"
        assert_eq "$(stasis_count_sets)" 0 "$1 leaves no set"
        [ -z "$(find "$P/.stasis" -mindepth 1 -maxdepth 1)" ] || stasis_die "$1 left a snapshot: $(ls "$P/.stasis")"
}

out=$("$EXAMPLE" "$P/home" "$P/db/data")
check "C example" "$out"
assert_contains "$out" "  $P/.stasis/$id-0/notes: 6 bytes" "C example"
assert_contains "$out" "  $P/.stasis/$id-1/data/table: 1000 bytes" "C example"

out=$(/usr/bin/python3 "$STASIS_SRC/docs/examples/backup.py" "$P/home" "$P/db/data")
check "Python example" "$out"
assert_contains "$out" "  $P/.stasis/$id-0/notes: 6 bytes" "Python example"
assert_contains "$out" "  $P/.stasis/$id-1/data/table: 1000 bytes" "Python example"

out=$(sh "$STASIS_SRC/docs/examples/backup-busctl.sh" "$P/home" "$P/db/data")
check "busctl example" "$out"
grep -Eq '^-\S+ \S+ +6 .* \./notes$' <<<"$out" || stasis_die "busctl example: notes not in the tar of the snapshot: $out"
grep -Eq '^-\S+ \S+ +1000 .* \./table$' <<<"$out" || stasis_die "busctl example: table not in the tar of the snapshot: $out"

# Through a mount of another subvolume the store is out of sight: each
# example says so, reads nothing, and still deletes the set.
mkdir "$STASIS_TMP/homeonly"
mount -o subvol=home "$STASIS_DEV" "$STASIS_TMP/homeonly"
stasis_track_mount "$STASIS_TMP/homeonly"
for ex in "$EXAMPLE" "/usr/bin/python3 $STASIS_SRC/docs/examples/backup.py" "sh $STASIS_SRC/docs/examples/backup-busctl.sh"; do
        rc=0
        out=$($ex "$STASIS_TMP/homeonly" 2>&1) || rc=$?
        assert_eq "$rc" 1 "$ex, through a mount of the subvolume home"
        assert_contains "$out" "$STASIS_TMP/homeonly does not show the top of its file system" "$ex"
        assert_contains "$out" "mount -o subvolid=5,ro $STASIS_DEV DIR" "$ex"
        ! grep -q "reading" <<<"$out" || stasis_die "$ex read through a mount of a subvolume: $out"
        assert_eq "$(stasis_count_sets)" 0 "$ex leaves no set"
done

# A failure is reported with its error name, and nothing is left.
rc=0
out=$("$EXAMPLE" "$P/nope" 2>&1) || rc=$?
assert_eq "$rc" 1 "C example, a path that does not exist"
assert_contains "$out" "(org.stasis1.Error.NoSuchPath)"
rc=0
out=$(/usr/bin/python3 "$STASIS_SRC/docs/examples/backup.py" "$P/nope" 2>&1) || rc=$?
assert_eq "$rc" 1 "Python example, a path that does not exist"
assert_contains "$out" "(org.stasis1.Error.NoSuchPath)"
echo "ok"
