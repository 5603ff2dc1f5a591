#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-writer-exclude.sh - --exclude-writer W[@I] (CreateSet option exclude-writers): an excluded
# writer is not called at all (not even Identify), its components are not in the set, `stasis show`
# lists it (table and JSON, also after a restart of stasisd); one instance of a writer can be left
# out; asking for a component of an excluded writer, or a malformed name, is an error; stasis
# backup takes it too; a missing writer excluded is not in the set as failed.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
[ -x "$STASIS_TEST_WRITER" ] || stasis_die "build the test helpers first ($STASIS_TEST_WRITER)"

stasis_setup_alone
T=$STASIS_TMP

stasis_make_fs btrfs pool
P=$STASIS_FS
for v in a b i; do btrfs -q subvolume create "$P/$v"; done
L=$T/w.log
stasis_start_writer --name aw --component data="$P/a" --log "$L"
stasis_start_writer --name bw --component data="$P/b" --log "$L"
B=$STASIS_WRITER_PID
stasis_start_writer --name iw --instance x --count 2 --component data="$P/i" --log "$L"
lines() { grep -c " $1 " "$L" || true; }
comps() { "$STASIS" --json show "$1" | jq -c '[.components[] | .writer + (if .instance == "" then "" else "@" + .instance end)] | sort'; }

# ---- Not called at all ----
before=$(lines bw)
id=$("$STASIS" --json create --exclude-writer bw "$P/a" "$P/b" | jq -r .id)
assert_eq "$(lines bw)" "$before" "bw was called"
assert_eq "$(comps "$id")" '["aw"]' "the set's components"
assert_eq "$("$STASIS" --json show "$id" | jq -c .excluded_writers)" '["bw"]' "show --json: excluded_writers"
assert_contains "$("$STASIS" show "$id")" "Excluded writers" "show"
assert_eq "$("$STASIS" --json show "$id" | jq -r '.volumes | length')" 2 "both paths are in the set"
# Without the option bw takes part.
id0=$("$STASIS" --json create "$P/b" | jq -r .id)
assert_eq "$(comps "$id0")" '["bw"]' "bw without --exclude-writer"
assert_eq "$("$STASIS" --json show "$id0" | jq -c .excluded_writers)" '[]' "nothing excluded"

# ---- One instance ----
id2=$("$STASIS" --json create --exclude-writer iw@x-0 "$P/i" | jq -r .id)
assert_eq "$(comps "$id2")" '["iw@x-1"]' "iw@x-0 left out, iw@x-1 in"
assert_eq "$(grep -c " iw@x-0 PrepareBackup $id2 " "$L" || true)" 0 "iw@x-0 got PrepareBackup"
id3=$("$STASIS" --json create --exclude-writer iw "$P/i" | jq -r .id)
assert_eq "$(comps "$id3")" '[]' "every instance of iw left out"

# ---- Errors ----
assert_exit 2 "$STASIS" create --exclude-writer bw --component bw:data
assert_contains "$STASIS_ERR" "Component 'bw:data' is asked for, but its writer is excluded ('bw')" "a component of it"
assert_exit 2 "$STASIS" create --exclude-writer bw:data "$P/a"
assert_contains "$STASIS_ERR" "--exclude-writer 'bw:data': not WRITER[@INSTANCE]" "a component name"
assert_exit 2 "$STASIS" list --exclude-writer bw
assert_contains "$STASIS_ERR" "--exclude-writer only goes with create and backup" "with list"
assert_exit 1 busctl --address="$STASIS_BUS_ADDRESS" call org.stasis1 /org/stasis1 org.stasis1.Manager CreateSet \
        'asa{sv}' 1 "$P/a" 1 exclude-writers as 1 'Bad Name'
assert_contains "$STASIS_ERR" "Writer to exclude 'Bad Name' is not WRITER[@INSTANCE]" "a bad name over the bus"

# ---- stasis backup ----
before=$(lines bw)
"$STASIS" backup --exclude-writer bw "$P/b" -- true
assert_eq "$(lines bw)" "$before" "stasis backup called bw"

# ---- Across a restart; a missing writer ----
# bw goes while stasisd is away, without unregistering: it is missing when stasisd is back.
stasis_stop_daemon
kill -9 "$B"
wait "$B" 2>/dev/null || true
stasis_start_daemon
assert_eq "$("$STASIS" --json show "$id" | jq -c .excluded_writers)" '["bw"]' "after a restart"
wait_until 10 'stasis_writer_missing bw' || stasis_die "bw is not listed missing"
id4=$("$STASIS" --json create "$P/b" | jq -r .id)
assert_eq "$(comps "$id4")" '["bw"]' "a missing writer is in the set (failed)"
id5=$("$STASIS" --json create --exclude-writer bw "$P/b" | jq -r .id)
assert_eq "$(comps "$id5")" '[]' "a missing writer excluded"
echo ok
