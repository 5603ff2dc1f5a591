#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-dbus.sh - the D-Bus API driven raw with busctl: CreateSet, ListSets,
# GetSet, the Set object's properties and Delete, auto-release of a set made
# without "persistent", and the InvalidArgument / LimitExceeded errors.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
stasis_setup

bus() { busctl --address="$STASIS_BUS_ADDRESS" "$@"; }
mgr() { bus call org.stasis1 /org/stasis1 org.stasis1.Manager "$@"; }
mgrj() { bus --json=short call org.stasis1 /org/stasis1 org.stasis1.Manager "$@"; }

stasis_make_fs btrfs pool
P=$STASIS_FS
btrfs -q subvolume create "$P/vol"
echo data > "$P/vol/f"

# A persistent set through the raw API.
out=$(mgr CreateSet 'asa{sv}' 1 "$P/vol" 2 persistent b true label s "raw api")
assert_eq "$out" 'so "1" "/org/stasis1/set/1"' "CreateSet reply"
assert_eq "$(mgr GetSet s 1)" 'o "/org/stasis1/set/1"' "GetSet"
set_prop() { bus get-property org.stasis1 /org/stasis1/set/1 org.stasis1.Set "$1"; }
assert_eq "$(set_prop State)" 's "created"' "State"
assert_eq "$(set_prop Label)" 's "raw api"' "Label"
assert_eq "$(set_prop Persistent)" 'b true' "Persistent"
assert_eq "$(set_prop Owner)" 'u 0' "Owner"
assert_eq "$(set_prop Consistency)" 's "crash-atomic"' "Consistency"
assert_eq "$(set_prop Id)" 's "1"' "Id"
vols=$(bus --json=short get-property org.stasis1 /org/stasis1/set/1 org.stasis1.Set Volumes)
assert_eq "$(jq -r '.data[0][6]' <<<"$vols")" "$(blkid -s UUID -o value "$STASIS_DEV"):/.stasis/1-0" "snapshot handle"
assert_eq "$(jq -r '.data[0][4]' <<<"$vols")" btrfs "provider"
assert_eq "$(jq -r '.data[0][7]' <<<"$vols")" ok "volume state"
created=$(set_prop Created | cut -d' ' -f2)
now=$(date +%s)
[ $(( now - created / 1000000 )) -lt 60 ] || stasis_die "Created is not a recent realtime timestamp: $created"

list=$(mgrj ListSets)
assert_eq "$(jq -r '.data[0] | length' <<<"$list")" 1 "ListSets length"
assert_eq "$(jq -c '.data[0][0] | [.[0], .[1], .[3], .[4], .[5], .[6], .[7]]' <<<"$list")" \
        '["1","/org/stasis1/set/1","created","crash-atomic","raw api",true,1]' "ListSets entry"
assert_contains "$(bus tree org.stasis1)" "/org/stasis1/set/1" "object tree"
assert_contains "$(bus get-property org.stasis1 /org/stasis1 org.stasis1.Manager Version)" '"0.' "Version"

# The ObjectManager tells about sets.
objs=$(bus --json=short call org.stasis1 /org/stasis1 org.freedesktop.DBus.ObjectManager GetManagedObjects)
assert_eq "$(jq -r '.data[0]["/org/stasis1/set/1"]["org.stasis1.Set"].State.data' <<<"$objs")" created "ObjectManager"

# Set.Delete on the object itself.
bus call org.stasis1 /org/stasis1/set/1 org.stasis1.Set Delete
[ ! -e "$P/.stasis/1-0" ] || stasis_die "Set.Delete left the snapshot"
assert_eq "$(mgrj ListSets | jq -c '.data[0]')" '[]' "empty after Delete"

# Without "persistent" the set belongs to the caller's connection: busctl
# exits after the call, so the set is released right away.
out=$(mgr CreateSet 'asa{sv}' 1 "$P/vol" 0)
assert_eq "$out" 'so "2" "/org/stasis1/set/2"' "auto-release CreateSet"
for i in $(seq 100); do
        [ "$(mgrj ListSets | jq '.data[0] | length')" = 0 ] && break
        sleep 0.05
done
assert_eq "$(mgrj ListSets | jq '.data[0] | length')" 0 "auto-release set gone"
[ ! -e "$P/.stasis/2-0" ] || stasis_die "auto-release left its snapshot"

# Errors with their D-Bus names.
err() { local out; out=$(mgr "$@" 2>&1) && stasis_die "expected an error from $*"; echo "$out"; }
assert_contains "$(err CreateSet 'asa{sv}' 1 relative/path 0)" "Path 'relative/path' is not absolute"
assert_contains "$(err CreateSet 'asa{sv}' 0 0)" "No paths given"
assert_contains "$(err CreateSet 'asa{sv}' 1 "$P/vol" 1 frobnicate b true)" "Unknown option 'frobnicate'"
assert_contains "$(err CreateSet 'asa{sv}' 1 "$P/vol" 1 persistent s yes)" "Option 'persistent' must be a boolean"
assert_contains "$(err CreateSet 'asa{sv}' 1 "$P/vol" 1 label b true)" "Option 'label' must be a string"
assert_contains "$(err CreateSet 'asa{sv}' 1 "$P/vol" 1 label s "$(head -c 300 /dev/zero | tr '\0' x)")" "Label is 300 bytes long; at most 256"
assert_contains "$(err CreateSet 'asa{sv}' 1 "$P/vol" 1 label s "$(printf 'a\tb')")" "control character"
many=()
for i in $(seq 257); do many+=("$P/vol"); done
assert_contains "$(err CreateSet 'asa{sv}' 257 "${many[@]}" 0)" "257 paths given; at most 256"
assert_contains "$(err GetSet s 42)" "No snapshot set with id '42'"
assert_contains "$(err DeleteSet s 42)" "No snapshot set with id '42'"
assert_contains "$(err ResolvePaths as 1 /nonexistent)" "/nonexistent: no such file or directory"
mon=$(timeout 5 busctl --address="$STASIS_BUS_ADDRESS" --json=short call org.stasis1 /org/stasis1 \
      org.freedesktop.DBus.Introspectable Introspect)
assert_contains "$mon" "CreateSet" "introspection"
echo "ok"
