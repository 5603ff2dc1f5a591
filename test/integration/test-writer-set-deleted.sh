#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-writer-set-deleted.sh - the SetDeleted event: a writer that took part in a set hears when it is
# deleted (stasis delete) or released (an auto-release set of stasis backup); a writer without a
# handler for it, one not in the set, one on plain D-Bus that never announced its events, and one
# absent at the time do not get it; nothing waits for an answer.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
[ -x "$STASIS_TEST_WRITER" ] || stasis_die "build the test helpers first ($STASIS_TEST_WRITER)"

stasis_setup_alone
T=$STASIS_TMP

stasis_make_fs btrfs pool
P=$STASIS_FS
for v in a b c d; do btrfs -q subvolume create "$P/$v"; done
L=$T/w.log
has() { grep -q " $1 SetDeleted $2 ok" "$L"; }
stasis_start_writer --name aw --component data="$P/a" --log "$L"
A=$STASIS_WRITER_PID
stasis_start_writer --name bw --component data="$P/b" --log "$L" \
        --handlers Identify,PrepareBackup,PrepareSnapshot,Freeze,Thaw,PostSnapshot,BackupComplete,Abort
stasis_start_writer --name cw --component data="$P/c" --log "$L"
PLAIN=$STASIS_BUILD_DIR/test/helpers/test-plain-writer
"$PLAIN" "$STASIS_BUS_ADDRESS" plain "$P/d" >"$T/plain.out" 2>>"$T/plain.err" &
stasis_track_pid $!
wait_until 5 'grep -q "plain registered" "$T/plain.out"'

# ---- Deleted ----
id=$("$STASIS" --json create --component aw:data --component bw:data --component plain:data | jq -r .id)
"$STASIS" delete "$id" >/dev/null
wait_until 10 "has aw $id" || stasis_die "aw did not get SetDeleted for set $id"
# stasisd is not held up: a set of the same writers right after.
id2=$("$STASIS" --json create --component aw:data | jq -r .id)
! grep -q " bw SetDeleted " "$L" || stasis_die "bw has no handler for SetDeleted, yet got it"
! grep -q " cw SetDeleted " "$L" || stasis_die "cw was not in the set, yet got SetDeleted"
! grep -q "SetDeleted" "$T/plain.out" || stasis_die "a writer that never announced got SetDeleted"
assert_eq "$(stasis_writer_field aw state)" waiting-for-backup-complete "aw's state is that of set $id2"
"$STASIS" delete "$id2" >/dev/null
wait_until 10 "has aw $id2" || stasis_die "aw did not get SetDeleted for set $id2"

# ---- Released: stasis backup's set is auto-release ----
"$STASIS" backup --component aw:data -- true
rid=$(awk '$2 == "aw" && $3 == "PostSnapshot" { s = $4 } END { print s }' "$L")
[ -n "$rid" ] && [ "$rid" != "$id2" ] || stasis_die "no set made by stasis backup"
wait_until 10 "has aw $rid" || stasis_die "aw did not get SetDeleted for the released set $rid"

# ---- Absent at the time: not told later ----
id3=$("$STASIS" --json create --component aw:data | jq -r .id)
stasis_stop_writer "$A"
"$STASIS" delete "$id3" >/dev/null
stasis_start_writer --name aw --component data="$P/a" --log "$L"
id4=$("$STASIS" --json create --component aw:data | jq -r .id)
"$STASIS" delete "$id4" >/dev/null
wait_until 10 "has aw $id4" || stasis_die "aw did not get SetDeleted for set $id4"
! has aw "$id3" || stasis_die "aw got SetDeleted for set $id3, deleted while it was away"
echo ok
