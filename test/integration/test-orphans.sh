#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-orphans.sh - snapshots in a store that the catalog does not know
# (orphans): listed at start-up, never deleted by themselves, adopted back
# into a set or deleted on request by root only; set ids stay above them.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
export STASIS_ORPHAN_SCAN=yes
stasis_setup

stasis_make_fs btrfs pool
P=$STASIS_FS
UUID=$(blkid -s UUID -o value "$STASIS_DEV")
btrfs -q subvolume create "$P/a"
btrfs -q subvolume create "$P/b"
echo a > "$P/a/f"

# Set ids come after those in every store on this machine: other btrfs file
# systems may be mounted, with their own stores. Take them as they come.
create() { "$STASIS" --json create "$@" | jq -r .id; }

# Other test runs on this machine may make sets in their own stores while
# this one runs, with small ids this stasisd sees at its next start: keep
# this test's ids far above theirs, through a snapshot in its own store
# found by a rescan.
btrfs -q subvolume create "$P/.stasis"
chmod 700 "$P/.stasis"
btrfs -q subvolume snapshot -r "$P/a" "$P/.stasis/1000000-0"
"$STASIS" list --orphans --rescan >/dev/null
"$STASIS" delete-orphan "$UUID:/.stasis/1000000-0" >/dev/null
S1=$(create "$P/a" "$P/b")
S2=$(create "$P/a" "$P/b")
S3=$(create "$P/b")
[ "$S1" -gt 1000000 ] || stasis_die "set id $S1 after a rescan found set 1000000 in the store"

# The catalog loses sets S2 and S3 and one volume of set S1, and its id
# counter, as a power cut before the records reached the disk would.
stasis_stop_daemon
sqlite3 "$STASIS_STATE_DIR/catalog.db" "PRAGMA foreign_keys=ON;
        DELETE FROM sets WHERE id IN ($S2, $S3);
        DELETE FROM volumes WHERE set_id = $S1 AND idx = 1;
        DELETE FROM sqlite_sequence;"
stasis_start_daemon

# Only this test's file system: other btrfs file systems may be mounted.
orphans() {
        "$STASIS" --json list --orphans |
                jq -c --arg u "$UUID" '[.[] | select(.handle | startswith($u + ":")) | [.set, .index, .provider]] | sort'
}
assert_eq "$(orphans)" "[[\"$S1\",1,\"btrfs\"],[\"$S2\",0,\"btrfs\"],[\"$S2\",1,\"btrfs\"],[\"$S3\",0,\"btrfs\"]]" \
        "orphans found at start-up"
for s in $S1-1 $S2-0 $S2-1 $S3-0; do
        [ -d "$P/.stasis/$s" ] || stasis_die "orphan $s was deleted"
done
grep -q "orphan.*stasis list --orphans" "$STASIS_TMP/stasisd.log" || stasis_die "orphans not logged at start-up"
assert_contains "$("$STASIS" list --orphans)" "$UUID:/.stasis/$S2-1"
created=$("$STASIS" --json list --orphans | jq -r --arg h "$UUID:/.stasis/$S3-0" '.[] | select(.handle == $h) | .created_usec')
[ "$created" -gt 0 ] || stasis_die "no creation time for an orphan: $created"

# Set ids stay above every set id in the store.
S4=$(create "$P/a")
[ "$S4" -gt "$S3" ] || stasis_die "set id $S4 after orphans up to $S3"
[ -d "$P/.stasis/$S4-0" ] || stasis_die "set $S4 has no snapshot"

# Anyone may list; only root may adopt or delete.
assert_exit 0 stasis_as_nobody "$STASIS" list --orphans
assert_exit 4 stasis_as_nobody "$STASIS" adopt "$S2"
assert_exit 4 stasis_as_nobody "$STASIS" delete-orphan "$UUID:/.stasis/$S3-0"
[ -d "$P/.stasis/$S3-0" ] || stasis_die "a nobody caller deleted an orphan"
assert_eq "$(stasis_count_sets)" 2 "a nobody caller adopted"

# Only an orphan's handle is taken: not a path, not a way out of the store,
# not a snapshot of a set.
for h in "$P/a" "$UUID:/.stasis/../a" "$UUID:/a" "$UUID:/.stasis/$S1-0" "$UUID:/.stasis/$S4-0" \
         "$UUID:/.stasis/$((S4 + 100))-0" "$UUID:/.stasis/$S3-0/.." "$P/.stasis/$S3-0"; do
        assert_exit 3 "$STASIS" delete-orphan "$h"
        assert_contains "$STASIS_ERR" "not an orphan"
done
# A long one is quoted cut short, at a character (here 255 bytes and a
# two-byte character).
assert_exit 3 "$STASIS" delete-orphan "$(printf 'x%.0s' {1..255})é/.."
assert_contains "$STASIS_ERR" 'xxx"... is not an orphan'
[ -d "$P/a" ] && [ -d "$P/.stasis/$S1-0" ] && [ -d "$P/.stasis/$S4-0" ] && [ -d "$P/.stasis/$S3-0" ] ||
        stasis_die "delete-orphan removed something else"

# Adopting: a set id in use is refused; one that no orphan has is not found.
assert_exit 1 "$STASIS" adopt "$S1"
assert_contains "$STASIS_ERR" "set $S1 exists"
assert_exit 3 "$STASIS" adopt "$((S4 + 100))"
assert_exit 2 "$STASIS" adopt x1
[ -d "$P/.stasis/$S1-1" ] || stasis_die "a refused adoption touched the orphan"

# Adopt set S2 back: a set again, not an orphan, and deletable.
"$STASIS" adopt "$S2" >/dev/null
assert_eq "$("$STASIS" --json show "$S2" | jq -c '[.state, .consistency, (.volumes | length)]')" \
        '["created","per-volume",2]' "adopted set"
# What the store tells of each volume: the subvolume it was taken of, where
# that is mounted now.
assert_eq "$("$STASIS" --json show "$S2" | jq -c '[.volumes[] | [.source, .mount_point, .fstype, .device]]')" \
        "[[\"$P/a\",\"$P\",\"btrfs\",\"$STASIS_DEV\"],[\"$P/b\",\"$P\",\"btrfs\",\"$STASIS_DEV\"]]" \
        "volumes of the adopted set"
assert_eq "$(orphans)" "[[\"$S1\",1,\"btrfs\"],[\"$S3\",0,\"btrfs\"]]" "orphans after the adoption"
"$STASIS" delete "$S2" >/dev/null
[ ! -e "$P/.stasis/$S2-0" ] && [ ! -e "$P/.stasis/$S2-1" ] || stasis_die "delete of the adopted set left snapshots"

# Delete one orphan: gone from the store and the list.
"$STASIS" delete-orphan "$UUID:/.stasis/$S3-0" >/dev/null
[ ! -e "$P/.stasis/$S3-0" ] || stasis_die "delete-orphan left the snapshot"
assert_eq "$(orphans)" "[[\"$S1\",1,\"btrfs\"]]" "orphans after the delete"

# After a restart: the same, and ids go on above everything.
stasis_stop_daemon
sqlite3 "$STASIS_STATE_DIR/catalog.db" "DELETE FROM sqlite_sequence;"
stasis_start_daemon
assert_eq "$(orphans)" "[[\"$S1\",1,\"btrfs\"]]" "orphans after a restart"
S5=$(create "$P/b")
[ "$S5" -gt "$S4" ] || stasis_die "set id $S5 after $S4"
[ -d "$P/.stasis/$S1-1" ] || stasis_die "the last orphan was deleted"

# A rescan finds a snapshot put in the store while stasisd runs, and keeps
# set ids above it; only root may ask for one.
S6=$((S5 + 50))
btrfs -q subvolume snapshot -r "$P/a" "$P/.stasis/$S6-0"
assert_exit 4 stasis_as_nobody "$STASIS" list --orphans --rescan
assert_eq "$(orphans)" "[[\"$S1\",1,\"btrfs\"]]" "orphans before the rescan"
"$STASIS" list --orphans --rescan >/dev/null
assert_eq "$(orphans)" "[[\"$S1\",1,\"btrfs\"],[\"$S6\",0,\"btrfs\"]]" "orphans after the rescan"
S7=$(create "$P/b")
[ "$S7" -gt "$S6" ] || stasis_die "set id $S7 after a rescan found $S6"
echo "ok"
