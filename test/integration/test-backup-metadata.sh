#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-backup-metadata.sh - writer backup metadata, against the real stasisd on a private bus and a
# btrfs loop volume:
#  1. values and files a writer attaches at PostSnapshot are kept with the set: `stasis show` (table
#     and JSON), Set.BackupMetadata, a file's content through Set.BackupMetadataFile (root only);
#     at BackupComplete it adds more, but not a name it gave already;
#  2. libstasis refuses what is over a limit (-E2BIG) or malformed (-EINVAL, with the fault named),
#     and metadata at another event (-EOPNOTSUPP);
#  3. stasisd checks what a writer not on libstasis sends: a bad entry fails the writer for the set
#     (its component crash-consistent, the reason naming the fault) and nothing of it is kept;
#  4. the metadata survives a restart of stasisd and goes with the set.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
[ -x "$STASIS_TEST_WRITER" ] || stasis_die "build the test helpers first ($STASIS_TEST_WRITER)"

stasis_setup_alone
T=$STASIS_TMP

stasis_make_fs btrfs pool
P=$STASIS_FS
for v in db lim bad; do btrfs -q subvolume create "$P/$v"; done
mkdir -p "$P/db/base"
bus() { busctl --address="$STASIS_BUS_ADDRESS" "$@"; }
meta_json() { "$STASIS" --json show "$1" | jq -c '.metadata'; }
rows() { sqlite3 "$STASIS_STATE_DIR/catalog.db" "SELECT count(*) FROM metadata WHERE set_id = $1"; }

# ---- 1. Values and files, kept with the set ----
printf 'START WAL LOCATION: 0/2000028\nCHECKPOINT LOCATION: 0/2000060\n' >"$T/label"
L=$T/db.log
stasis_start_writer --name pg --component data="$P/db" --log "$L" \
        --metadata 'PostSnapshot:data:stop_lsn=0/2000100' \
        --metadata 'PostSnapshot:data:timeline=1' \
        --metadata-file "PostSnapshot:data:$P/db/base/backup_label=@$T/label:0600" \
        --metadata 'BackupComplete:data:archived=0000000100000000000000FF'
W=$STASIS_WRITER_PID
id=$("$STASIS" --json create --component pg:data | jq -r .id)
assert_eq "$(grep -c 'Metadata.*:ok' "$L")" 3 "the writer's three additions"
assert_eq "$("$STASIS" --json show "$id" | jq -r '.components[0].consistency')" application "consistency"
assert_eq "$(meta_json "$id")" \
        "[{\"writer\":\"pg\",\"instance\":\"\",\"component\":\"data\",\"name\":\"stop_lsn\",\"value\":\"0/2000100\"},{\"writer\":\"pg\",\"instance\":\"\",\"component\":\"data\",\"name\":\"timeline\",\"value\":\"1\"},{\"writer\":\"pg\",\"instance\":\"\",\"component\":\"data\",\"path\":\"$P/db/base/backup_label\",\"size\":$(stat -c %s "$T/label"),\"mode\":\"0600\"}]" \
        "stasis --json show: metadata"
out=$("$STASIS" show "$id")
assert_contains "$out" "Backup metadata:" "stasis show"
assert_contains "$out" "stop_lsn" "stasis show: a value's name"
assert_contains "$out" "0/2000100" "stasis show: a value"
assert_contains "$out" "file $P/db/base/backup_label" "stasis show: a file"
path=$(bus --json=short call org.stasis1 /org/stasis1 org.stasis1.Manager GetSet s "$id" | jq -r '.data[0]')
got=$(bus --json=short call org.stasis1 "$path" org.stasis1.Set BackupMetadataFile s "$P/db/base/backup_label" |
      jq -r '.data[0] | implode')
assert_eq "$got" "$(cat "$T/label")" "BackupMetadataFile: the content"
assert_eq "$(bus --json=short call org.stasis1 "$path" org.stasis1.Set BackupMetadataFile s "$P/db/base/backup_label" |
      jq -r '.data[1]')" 384 "BackupMetadataFile: the mode (0600)"
assert_exit 1 bus call org.stasis1 "$path" org.stasis1.Set BackupMetadataFile s "$P/db/nothing"
assert_contains "$STASIS_ERR" "has no backup metadata file $P/db/nothing" "a file that is not there"
assert_exit 1 stasis_as_nobody busctl --address="$STASIS_BUS_ADDRESS" call org.stasis1 "$path" org.stasis1.Set \
        BackupMetadataFile s "$P/db/base/backup_label"
assert_contains "$STASIS_ERR" "Permission denied" "nobody may not read a metadata file"
# The listing is open, like the rest of a set.
n=$(stasis_as_nobody busctl --address="$STASIS_BUS_ADDRESS" --json=short call org.stasis1 "$path" org.stasis1.Set \
        BackupMetadata | jq '.data[0] | length')
assert_eq "$n" 3 "nobody lists the metadata"
"$STASIS" complete "$id" >/dev/null
wait_until 10 'grep -q "BackupComplete $id ok" "$L"' || stasis_die "no BackupComplete"
wait_until 10 '[ "$(meta_json "$id" | jq length)" = 4 ]' || stasis_die "BackupComplete's metadata: $(meta_json "$id")"
assert_eq "$(meta_json "$id" | jq -c '.[3] | [.name, .value]')" '["archived","0000000100000000000000FF"]' \
        "the value added at BackupComplete"
stasis_stop_writer "$W"
# A name given at PostSnapshot again at BackupComplete: none of that answer is kept.
stasis_start_writer --name again --component data="$P/lim" --log "$T/again.log" \
        --metadata 'PostSnapshot:data:pos=1' --metadata 'BackupComplete:data:late=1' \
        --metadata 'BackupComplete:data:pos=2'
W=$STASIS_WRITER_PID
id2=$("$STASIS" --json create --component again:data | jq -r .id)
"$STASIS" complete "$id2" >/dev/null
wait_until 10 'grep -q "BackupComplete $id2 ok" "$T/again.log"' || stasis_die "no BackupComplete"
wait_until 10 'grep -q "Set $id2: writer again sent bad backup metadata with BackupComplete" "$T/stasisd.log"' ||
        stasis_die "stasisd did not log the bad metadata at BackupComplete"
assert_contains "$(grep "Set $id2: writer again sent bad" "$T/stasisd.log")" "metadata value pos is in the set already" \
        "the fault"
assert_eq "$(meta_json "$id2" | jq -c '[.[] | .name + "=" + .value]')" '["pos=1"]' "only PostSnapshot's value"
stasis_stop_writer "$W"
"$STASIS" delete "$id2" >/dev/null

# ---- 2. libstasis's checks ----
L=$T/lim.log
big=$(head -c 4097 /dev/zero | tr '\0' v)
stasis_start_writer --name lim --component data="$P/lim" --log "$L" \
        --metadata "PostSnapshot:data:big=$big" \
        --metadata 'PostSnapshot:data:bad name=x' \
        --metadata 'PostSnapshot:nosuch:x=y' \
        --metadata 'Freeze:data:early=x' \
        --metadata-file "PostSnapshot:data:$P/lim/f1=1048577" \
        --metadata-file "PostSnapshot:data:$P/lim/../db/x=10" \
        --metadata-file "PostSnapshot:data:$P/db/x=10" \
        --metadata-file "PostSnapshot:data:lim/x=10" \
        --metadata-file "PostSnapshot:data:$P/lim/m=10:4755" \
        --metadata-file "PostSnapshot:data:$P/lim/a=1048576" \
        --metadata-file "PostSnapshot:data:$P/lim/b=1048576" \
        --metadata-file "PostSnapshot:data:$P/lim/c=1048576" \
        --metadata-file "PostSnapshot:data:$P/lim/d=1048576" \
        --metadata-file "PostSnapshot:data:$P/lim/e=1"
W=$STASIS_WRITER_PID
id=$("$STASIS" --json create --component lim:data | jq -r .id)
result_line() { grep " Metadata [^ ]* $1:" "$L" | head -n 1; }
assert_contains "$(result_line big)" "big:E2BIG" "a value over 4096 bytes"
assert_contains "$(result_line 'bad name')" "EINVAL" "a name with a space"
assert_contains "$(result_line 'bad name')" "has a character other than" "a name with a space: the message"
assert_contains "$(result_line x)" "EINVAL" "a component the writer does not have"
assert_contains "$(result_line x)" 'no component "nosuch"' "a component the writer does not have: the message"
assert_contains "$(result_line early)" "EOPNOTSUPP" "metadata at Freeze"
assert_contains "$(result_line "$P/lim/f1")" "E2BIG" "a file over 1 MiB"
assert_contains "$(result_line "$P/lim/../db/x")" "not normalized" "a path with .."
assert_contains "$(result_line "$P/db/x")" "not below any path of its component" "a path outside the component"
assert_contains "$(result_line "lim/x")" "not absolute" "a relative path"
assert_contains "$(result_line "$P/lim/m")" "bits other than 0777" "a set-uid mode"
for f in a b c d; do assert_contains "$(result_line "$P/lim/$f")" ":ok" "file $f (4 MiB in all)"; done
assert_contains "$(result_line "$P/lim/e")" "E2BIG" "one byte over 4 MiB in all"
assert_eq "$("$STASIS" --json show "$id" | jq -c '[.metadata[] | .path]')" \
        "[\"$P/lim/a\",\"$P/lim/b\",\"$P/lim/c\",\"$P/lim/d\"]" "what was kept"
assert_eq "$("$STASIS" --json show "$id" | jq -r '.components[0].consistency')" application "still application"
stasis_stop_writer "$W"

# ---- 3. stasisd's checks, on a writer not on libstasis ----
PLAIN=$STASIS_BUILD_DIR/test/helpers/test-plain-writer
bad_case() {    # WHAT SPEC EXPECTED-REASON
        local out=$T/plain.out id reason
        : >"$out"
        PLAIN_WRITER_POST_SNAPSHOT=$2 "$PLAIN" "$STASIS_BUS_ADDRESS" plain "$P/bad" >"$out" 2>>"$T/plain.err" &
        local pid=$!
        stasis_track_pid "$pid"
        wait_until 5 'grep -q "plain registered" "$T/plain.out"'
        id=$("$STASIS" --json create --component plain:data | jq -r .id)
        reason=$("$STASIS" --json show "$id" | jq -r '.components[0].reason')
        assert_eq "$("$STASIS" --json show "$id" | jq -r '.components[0].consistency')" crash-consistent "$1: consistency"
        assert_contains "$reason" "sent bad backup metadata with PostSnapshot" "$1: the reason"
        assert_contains "$reason" "$3" "$1: the fault"
        assert_eq "$(meta_json "$id")" "[]" "$1: nothing kept"
        kill "$pid"; wait "$pid" 2>/dev/null || true
}
bad_case "a path with .." "v|data|ok|1;f|data|$P/bad/../db/x|3|644" "not normalized"
bad_case "a path outside" "f|data|$P/db/x|3|644" "not below any path of its component"
bad_case "the component's own path" "f|data|$P/bad|3|644" "not below any path of its component"
bad_case "another component" "v|other|x|1" 'component "other", which is not one of its components'
bad_case "a bad name" "v|data|a/b|1" "has a character other than"
bad_case "a long value" "v|data|big|$big" "at most 4096"
bad_case "a big file" "f|data|$P/bad/x|1048577|644" "at most 1048576"
bad_case "a set-uid file" "f|data|$P/bad/x|3|4755" "bits other than 0777"
bad_case "a name twice" "v|data|x|1;v|data|x|2" "given twice"
bad_case "the wrong type" "sig" 'not "a(sss)a(ssayu)"'
spec=
for i in $(seq 257); do spec="$spec;v|data|n$i|1"; done
bad_case "257 entries" "${spec#;}" "more than 256 metadata entries"
# Good metadata from a plain writer is kept.
PLAIN_WRITER_POST_SNAPSHOT="v|data|ok|yes" "$PLAIN" "$STASIS_BUS_ADDRESS" plain "$P/bad" >"$T/plain.out" 2>&1 &
pid=$!
stasis_track_pid "$pid"
wait_until 5 'grep -q "plain registered" "$T/plain.out"'
id=$("$STASIS" --json create --component plain:data | jq -r .id)
assert_eq "$("$STASIS" --json show "$id" | jq -c '[.metadata[] | .value]')" '["yes"]' "a plain writer's metadata"
kill "$pid"; wait "$pid" 2>/dev/null || true

# ---- 4. Across a restart; gone with the set ----
first=$("$STASIS" --json list | jq -r '.[0].id')
before=$(meta_json "$first")
[ "$(echo "$before" | jq length)" = 4 ] || stasis_die "the first set's metadata: $before"
stasis_stop_daemon
stasis_start_daemon
assert_eq "$(meta_json "$first")" "$before" "the metadata after a restart"
assert_eq "$(rows "$first")" 4 "catalog rows before the delete"
"$STASIS" delete "$first" >/dev/null
wait_until 10 '[ "$(rows "$first")" = 0 ]' || stasis_die "the metadata stayed in the catalog after the delete"
echo "ok"
