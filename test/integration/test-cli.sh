#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-cli.sh - create, list, show and delete through the stasis CLI on a real
# btrfs loop volume: the snapshot holds the data as it was, paths on one
# volume make one volume, --json parses, exit codes are the documented ones.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
stasis_setup

stasis_make_fs btrfs pool
P=$STASIS_FS
btrfs -q subvolume create "$P/data"
mkdir "$P/data/sub"
echo "version 1" > "$P/data/file"

# Two paths on one subvolume are one volume; the top level is another.
out=$("$STASIS" create --label "before upgrade" "$P/data" "$P/data/sub")
assert_contains "$out" "State: created"
assert_contains "$out" "Label: before upgrade"
assert_contains "$out" "Consistency: crash-atomic"
id=$("$STASIS" --json list | jq -r '.[0].id')
assert_eq "$id" 1 "first set id"
assert_eq "$("$STASIS" --json show "$id" | jq '.volumes | length')" 1 "volumes of set 1"
snap=$("$STASIS" --json show "$id" | jq -r '.volumes[0].snapshot')
UUID=$(blkid -s UUID -o value "$STASIS_DEV")
assert_eq "$snap" "$UUID:/.stasis/1-0" "snapshot handle: the file system and the path in its store"
snap=$P/.stasis/1-0     # the top level is mounted at $P

# The snapshot is read-only and holds the data as it was.
echo "version 2" > "$P/data/file"
assert_eq "$(cat "$snap/file")" "version 1" "snapshot content"
assert_eq "$(cat "$P/data/file")" "version 2" "live content"
assert_eq "$(btrfs property get -ts "$snap" ro)" "ro=true" "snapshot read-only"
if touch "$snap/new" 2>/dev/null; then stasis_die "snapshot is writable"; fi
# The store is itself a root-owned 0700 subvolume, so snapshots of the top
# level skip it.
btrfs subvolume show "$P/.stasis" >/dev/null
assert_eq "$(stat -c '%u %a' "$P/.stasis")" "0 700" "store owner and mode"
[ ! -e "$P/data/.stasis" ] || stasis_die "a .stasis was made inside the snapshotted subvolume"

# Relative paths are taken from the current directory.
out=$(cd "$P" && "$STASIS" --json create data .)
assert_eq "$(jq -r .id <<<"$out")" 2 "second set id"
assert_eq "$(jq '.volumes | length' <<<"$out")" 2 "two subvolumes, two volumes"
assert_eq "$(jq -r .consistency <<<"$out")" per-volume "two btrfs volumes are per-volume"
assert_eq "$(jq -r .persistent <<<"$out")" true "CLI sets persist"
assert_eq "$(jq -r '.volumes[1].snapshot' <<<"$out")" "$UUID:/.stasis/2-1" "top-level snapshot"

# list: a table with both, and JSON with the same
out=$("$STASIS" list)
assert_contains "$out" "before upgrade"
assert_eq "$("$STASIS" --json list | jq length)" 2 "list length"
assert_eq "$("$STASIS" --json list | jq -r '.[1].volumes')" 2 "list volume count"

# volumes: what a path resolves to
out=$("$STASIS" --json volumes "$P/data/sub")
assert_eq "$(jq -r '.[0].provider' <<<"$out")" btrfs "provider"
assert_eq "$(jq -r '.[0].source' <<<"$out")" "$P/data" "subvolume of a subdirectory"
assert_eq "$(jq -r '.[0].fstype' <<<"$out")" btrfs "fstype"
assert_eq "$(jq -r '.[0].mount_point' <<<"$out")" "$P" "mount point"
assert_eq "$(jq -r '.[0].device' <<<"$out")" "$STASIS_DEV" "device"

# delete: snapshots go, other sets stay
"$STASIS" delete 1 >/dev/null
[ ! -e "$P/.stasis/1-0" ] || stasis_die "snapshot of deleted set 1 still there"
[ -e "$P/.stasis/2-0" ] || stasis_die "snapshot of set 2 vanished"
assert_exit 3 "$STASIS" show 1
assert_contains "$STASIS_ERR" "No snapshot set with id '1'"
assert_exit 3 "$STASIS" delete 1
"$STASIS" delete 2 >/dev/null
assert_eq "$("$STASIS" list)" "No snapshot sets." "empty list"
assert_eq "$("$STASIS" --json list)" "[]" "empty JSON list"

# usage errors
assert_exit 2 "$STASIS"
assert_exit 2 "$STASIS" frobnicate
assert_contains "$STASIS_ERR" "unknown command 'frobnicate'"
assert_exit 2 "$STASIS" create
assert_exit 2 "$STASIS" list --label x
assert_exit 2 "$STASIS" show 1 2
assert_exit 0 "$STASIS" --help
assert_exit 0 "$STASIS" --version
echo "ok"
