#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-security-exports.sh - what stasisd exports about its sets stays within
# one bus message, so that no caller can make it send one the bus refuses
# (the bus then disconnects stasisd, and stasisd exits):
#  1. writers whose components have long names and fail with long reasons
#     take part in every set on their volume; sets are made until their
#     properties would pass the budget of all sets (24 MiB): that CreateSet
#     fails with LimitExceeded, before anything is made; GetManagedObjects
#     and ListSets, called by `nobody`, are answered and stasisd lives;
#  2. a set whose own properties would pass 1 MiB is refused the same way;
#  3. a catalog that already holds more components (recorded before these
#     limits) is loaded: stasisd says so, cuts what it shows of the sets'
#     components (a last entry says how many are not shown), and
#     GetManagedObjects still fits;
#  4. a catalog whose volumes alone pass the budget: the sets that do not fit
#     are left out of GetManagedObjects (still listed, shown by id), and come
#     back when a set is deleted; a label longer than allowed is shown cut.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
[ -x "$STASIS_TEST_WRITER" ] || stasis_die "build the test helpers first ($STASIS_TEST_WRITER)"
stasis_setup
T=$STASIS_TMP
A=$STASIS_BUS_ADDRESS

stasis_make_fs btrfs pool
P=$STASIS_FS
btrfs -q subvolume create "$P/vol"
btrfs -q subvolume create "$P/vol2"

gmo_as_nobody() {
        stasis_as_nobody busctl --address="$A" --json=short --timeout=60 call org.stasis1 /org/stasis1 \
                org.freedesktop.DBus.ObjectManager GetManagedObjects
}
alive() { kill -0 "$STASISD_PID" 2>/dev/null; }
died() { STASISD_PID=; stasis_die "$*"; }
# check_gmo WHAT: nobody's GetManagedObjects is answered, and stasisd lives.
# Sets GMO_BYTES (of JSON).
check_gmo() {
        GMO_BYTES=$(gmo_as_nobody | wc -c) || true
        if [ "$GMO_BYTES" -lt 1000 ]; then
                # Not answered: the bus may have disconnected stasisd for a reply too large.
                wait_until 10 '! alive || grep -q "Lost the connection to the bus" "$T/stasisd.log"'
                died "GetManagedObjects $1, called by nobody, ended stasisd (the bus disconnected it)"
        fi
        alive || died "stasisd died after GetManagedObjects $1"
}

# Names as long as writers may have them: the writer's 64 characters, the
# instance's 60 (+ "-N"), and 64 components of 128 characters of 4 bytes.
name=$(printf 'w%.0s' $(seq 64))
inst=$(printf 'i%.0s' $(seq 60))
wide=$(printf '\xf0\x9d\x94\xb5%.0s' $(seq 125))
reason=$(printf 'r%.0s' $(seq 600))
comps=()
for i in $(seq -w 64); do comps+=(--component "c$i$wide=$P/vol"); done
# 12 writers whose 768 components lie on vol: each set of vol holds them, with
# the reason each writer failed (it vetoes PrepareBackup): about 0.9 MiB of
# properties a set.
stasis_start_writer --bus "$A" --name "$name" --instance "$inst" --count 12 "${comps[@]}" \
        --fault "PrepareBackup:veto:$reason"
W1=$STASIS_WRITER_PID

# ---- 1. The budget of all sets ----

made=0 refused='' rc=0
for i in $(seq 36); do
        if out=$("$STASIS" --json create "$P/vol" 2>&1); then
                made=$((made + 1))
        else
                rc=$?
                refused=$out
                break
        fi
done
echo "sets made: $made"
alive || died "stasisd died while sets were made"
# Without a bound, 36 such sets (37 MB) are made, and GetManagedObjects
# would need a message larger than the bus's 32 MiB.
check_gmo "of $made sets"
echo "GetManagedObjects: $GMO_BYTES bytes of JSON"
[ -n "$refused" ] || stasis_die "all $made sets were made: nothing bounds what they export"
echo "refused: $refused"
assert_eq "$rc" 2 "exit status of the set over the budget (LimitExceeded)"
assert_contains "$refused" "more than the limit of 25165824" "the error names the budget"
# Nothing was made of the refused set: no set, no snapshot beyond those listed.
assert_eq "$(stasis_as_nobody "$STASIS" --json list | jq length)" "$made" "sets listed"
assert_eq "$(btrfs subvolume list "$P" | grep -c "path .stasis/")" "$made" "snapshots in the store"
n=$(stasis_as_nobody busctl --address="$A" --json=short call org.stasis1 /org/stasis1 org.stasis1.Manager \
        ListSets | jq '.data[0] | length')
assert_eq "$n" "$made" "ListSets as nobody"
# A deleted set makes room for the next one.
first=$("$STASIS" --json list | jq -r '.[0].id')
"$STASIS" delete "$first" >/dev/null
"$STASIS" --json create "$P/vol" >/dev/null || stasis_die "no set could be made after one was deleted"
echo "budget of all sets: ok"

# ---- 2. The limit of one set ----

comps2=()
for i in $(seq -w 64); do comps2+=(--component "c$i$wide=$P/vol2"); done
stasis_start_writer --bus "$A" --name "$name" --instance j --count 2 "${comps2[@]}" \
        --fault "PrepareBackup:veto:$reason"
W2=$STASIS_WRITER_PID
# Delete most sets: the total is no longer what stops it.
for id in $("$STASIS" --json list | jq -r '.[1:][] | .id'); do "$STASIS" delete "$id" >/dev/null; done
before=$(btrfs subvolume list "$P" | grep -c "path .stasis/")
err=$(busctl --address="$A" call org.stasis1 /org/stasis1 org.stasis1.Manager CreateSet 'asa{sv}' \
        2 "$P/vol" "$P/vol2" 1 persistent b true 2>&1) && stasis_die "a set over the limit of one set was made: $err"
echo "refused: $err"
assert_contains "$err" "more than the limit of 1048576 for one set" "a set over the limit of one set"
# Exit status 2: stasisd answered LimitExceeded.
assert_exit 2 "$STASIS" create "$P/vol" "$P/vol2"
assert_contains "$STASIS_ERR" "more than the limit of 1048576" "the error names the limit of one set"
assert_eq "$(btrfs subvolume list "$P" | grep -c "path .stasis/")" "$before" "snapshots after the refused set"
alive || died "stasisd is gone"
stasis_stop_writer "$W2"
echo "limit of one set: ok"

# ---- 3. A catalog recorded before the limits ----

id=$("$STASIS" --json list | jq -r '.[0].id')
stasis_stop_writer "$W1"
stasis_stop_daemon
# Each component of the set, 40 times over (30,000 components, 36 MB), as a
# stasisd without these limits could have recorded them.
sqlite3 "$STASIS_STATE_DIR/catalog.db" "
        WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 39)
        INSERT INTO components (set_id, idx, writer, instance, component, consistency, reason)
                SELECT set_id, idx + 1000 * n, writer, instance, component || '-' || n, consistency, reason
                FROM components, k WHERE set_id = $id;"
stasis_start_daemon
assert_contains "$(cat "$T/stasisd.log")" "components are not shown" "stasisd says what it cuts"
check_gmo "after loading a catalog of 36 MB of components"
show=$(stasis_as_nobody "$STASIS" --json show "$id")
n=$(jq '.components | length' <<<"$show")
{ [ "$n" -gt 100 ] && [ "$n" -lt 30720 ]; } || stasis_die "set $id shows $n components"
assert_contains "$(jq -r '.components[-1].reason' <<<"$show")" "not shown" "the marker of cut components"
"$STASIS" delete "$id" >/dev/null
alive || died "stasisd is gone"
echo "large catalog: ok"

# ---- 4. Volumes alone past the budget: sets left out of GetManagedObjects ----

"$STASIS" create "$P/vol" >/dev/null
id=$("$STASIS" --json list | jq -r '.[0].id')
stasis_stop_daemon
# 63 more volumes with names of 4000 bytes (about 1 MiB a set), and 29 more
# such sets: 31 MiB of volumes; one has a label of 100000 bytes.
sqlite3 "$STASIS_STATE_DIR/catalog.db" "
        WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 63)
        INSERT INTO volumes (set_id, idx, path, mount_point, device, fstype, provider, source, volume_key,
                             handle, missing)
                SELECT set_id, n, path || '/' || n || printf('%.4000c', 'p'), mount_point || printf('%.4000c', 'm'),
                       device || printf('%.4000c', 'd'), fstype, provider, source || printf('%.4000c', 's'),
                       volume_key || n, handle, missing
                FROM volumes, k WHERE set_id = $id AND idx = 0;
        WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 29)
        INSERT INTO sets (created, label, persistent, owner_uid, state, consistency, completed, hold_usec)
                SELECT created, 'copy ' || n, persistent, owner_uid, state, consistency, completed, hold_usec
                FROM sets, k WHERE id = $id;
        INSERT INTO volumes SELECT s.id, v.idx, v.path, v.mount_point, v.device, v.fstype, v.provider, v.source,
                                   v.volume_key, v.handle, v.missing
                FROM volumes v, sets s WHERE v.set_id = $id AND s.id > $id;
        UPDATE sets SET label = printf('%.100000c', 'l') WHERE label = 'copy 1';"
stasis_start_daemon
assert_contains "$(cat "$T/stasisd.log")" "left out of GetManagedObjects" "stasisd says which sets it leaves out"
in_gmo() { gmo_as_nobody | jq '[.data[0] | keys[] | select(startswith("/org/stasis1/set/"))] | length'; }
check_gmo "of 31 MiB of volumes"
shown=$(in_gmo)
listed=$(stasis_as_nobody "$STASIS" --json list | jq length)
assert_eq "$listed" 30 "sets listed by ListSets"
# A label longer than a label may be (100000 bytes) is shown cut.
assert_eq "$(stasis_as_nobody "$STASIS" --json list | jq '[.[] | .label | length] | max')" 257 "longest label listed"
{ [ "$shown" -gt 0 ] && [ "$shown" -lt 30 ]; } || stasis_die "GetManagedObjects shows $shown of 30 sets"
echo "GetManagedObjects shows $shown of $listed sets"
# One left out is still there, by its id.
last=$("$STASIS" --json list | jq -r '.[-1].id')
assert_eq "$(stasis_as_nobody "$STASIS" --json show "$last" | jq '.volumes | length')" 64 "volumes of set $last"
# Deleting one that is shown makes room for one that was not.
"$STASIS" delete "$id" >/dev/null
assert_eq "$(in_gmo)" "$shown" "sets in GetManagedObjects after one was deleted"
alive || died "stasisd is gone"
echo "sets left out: ok"
