#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-views-backup.sh - stasis backup with real backup tools (tar, restic)
# while a writer keeps changing its data: what they saved is the data as of
# the freeze (the manifest the writer copied at Freeze), the writers hear
# the result, and the set is released whatever happens to CMD or to stasis.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
stasis_setup
command -v restic >/dev/null || { echo "SKIP: restic is not installed (scripts/install-deps.sh)"; exit 77; }

stasis_make_fs btrfs pool
P=$STASIS_FS
btrfs -q subvolume create "$P/app"
LOG=$STASIS_TMP/writer.log
MANIFEST=$STASIS_TMP/manifest
stasis_start_writer --name app --component "db=$P/app" --data "$P/app/data.log" --manifest "$MANIFEST" --log "$LOG" \
        --log-results
wait_for 10 test -s "$P/app/data.log"
mounted() { findmnt -rn -o TARGET | grep -c "^$STASIS_TMP/\(run\|mnt/pool/app\)" || true; }
# backup_result SET: the component result the writer logged for SET.
backup_result() { awk -v s="$1" '$3 == "BackupResult" && $4 == s { print $5 }' "$LOG"; }
# expect_result SET RESULT WHAT: the writer logs RESULT for SET (BackupComplete
# is sent to writers after Complete is answered).
expect_result() {
        local i
        for (( i = 0; i < 200; i++ )); do
                [ "$(backup_result "$1")" = "$2" ] && return 0
                sleep 0.05
        done
        stasis_die "$3: expected '$2', got '$(backup_result "$1")'"
}
last_set() { awk '$3 == "Freeze" { s = $4 } END { print s }' "$LOG"; }

# 1. tar: the archive holds the data as of the freeze; the live file grew on.
"$STASIS" backup --component app -- tar -C "$P/app" -cf "$STASIS_TMP/a.tar" .
id=$(last_set)
mkdir "$STASIS_TMP/untar"
tar -C "$STASIS_TMP/untar" -xf "$STASIS_TMP/a.tar"
cmp "$STASIS_TMP/untar/data.log" "$MANIFEST" || stasis_die "the tar archive is not the data as of the freeze"
live=$(stat -c %s "$P/app/data.log")
[ "$live" -gt "$(stat -c %s "$MANIFEST")" ] || stasis_die "the live data did not change on"
expect_result "$id" "db:succeeded" "the writer heard the backup succeeded"
assert_eq "$(stasis_count_sets)" 0 "the set is released"
assert_eq "$(mounted)" 0 "nothing left mounted"

# 2. restic, its repository on another file system, the paths unchanged.
export RESTIC_REPOSITORY=$STASIS_TMP/restic RESTIC_PASSWORD=test
restic init -q
"$STASIS" backup --component app -- restic backup -q "$P/app"
id=$(last_set)
restic restore -q latest --target "$STASIS_TMP/restored"
cmp "$STASIS_TMP/restored$P/app/data.log" "$MANIFEST" || stasis_die "restic did not save the data as of the freeze"
expect_result "$id" "db:succeeded" "restic: the writer heard of the success"
assert_eq "$(stasis_count_sets)" 0 "restic: the set is released"

# 3. CMD fails: its status is stasis's, the writer hears the backup failed.
assert_exit 3 "$STASIS" backup --component app -- sh -c 'exit 3'
expect_result "$(last_set)" "db:failed" "a failed CMD fails the backup"
assert_eq "$(stasis_count_sets)" 0 "released after a failed CMD"

# 4. CMD not found: a clear error, 127, the set released.
assert_exit 127 "$STASIS" backup --component app -- no-such-backup-tool
assert_contains "$STASIS_ERR" "cannot run no-such-backup-tool: No such file or directory"
expect_result "$(last_set)" "db:failed" "CMD not found fails the backup"
assert_eq "$(stasis_count_sets)" 0 "released after CMD not found"
assert_eq "$(mounted)" 0 "nothing mounted after CMD not found"

# 5. CMD killed.
"$STASIS" backup --component app -- sh -c "echo \$\$ > '$STASIS_TMP/cmd.pid'; exec sleep 100" &
B=$!
stasis_track_pid "$B"
wait_for 10 test -s "$STASIS_TMP/cmd.pid"
kill -TERM "$(cat "$STASIS_TMP/cmd.pid")"
rc=0; wait "$B" || rc=$?
assert_eq "$rc" 143 "killed by SIGTERM: 128 + 15"
expect_result "$(last_set)" "db:failed" "a killed CMD fails the backup"
assert_eq "$(stasis_count_sets)" 0 "released after CMD was killed"
assert_eq "$(mounted)" 0 "nothing mounted after CMD was killed"

# 6. Ctrl-C to stasis: passed on to CMD, the backup failed, the set released.
rm -f "$STASIS_TMP/cmd.pid"
"$STASIS" backup --component app -- sh -c "echo \$\$ > '$STASIS_TMP/cmd.pid'; exec sleep 100" &
B=$!
stasis_track_pid "$B"
wait_for 10 test -s "$STASIS_TMP/cmd.pid"
kill -INT "$B"
rc=0; wait "$B" || rc=$?
assert_eq "$rc" 130 "interrupted: 128 + 2"
expect_result "$(last_set)" "db:failed" "Ctrl-C fails the backup"
assert_eq "$(stasis_count_sets)" 0 "released after Ctrl-C"

# 7. stasis killed: CMD goes with it, stasisd releases the set and tells
# the writer the backup failed; the view went with the last process in it.
rm -f "$STASIS_TMP/cmd.pid"
"$STASIS" backup --component app -- sh -c "echo \$\$ > '$STASIS_TMP/cmd.pid'; exec sleep 100" &
B=$!
stasis_track_pid "$B"
wait_for 10 test -s "$STASIS_TMP/cmd.pid"
cmd=$(cat "$STASIS_TMP/cmd.pid")
kill -KILL "$B"
wait "$B" 2>/dev/null || true
wait_for 10 sh -c "! kill -0 $cmd 2>/dev/null"
id=$(last_set)
expect_result "$id" db:failed "stasis killed: the writer heard the backup failed"
wait_for 10 sh -c "[ \"\$('$STASIS' --json list | jq length)\" = 0 ]"
assert_eq "$(mounted)" 0 "nothing mounted after stasis was killed"
[ ! -e "$P/.stasis/$id-0" ] || stasis_die "the snapshot of the released set is left"

# 8. --keep: the set stays, persistent.
"$STASIS" backup --keep --label kept --component app -- true
id=$(last_set)
assert_eq "$("$STASIS" --json show "$id" | jq -r .persistent)" true "kept and persistent"
expect_result "$id" "db:succeeded" "kept: reported"
"$STASIS" delete "$id" >/dev/null

# 9. Usage.
assert_exit 2 "$STASIS" backup --component app
assert_contains "$STASIS_ERR" "no command given"
assert_exit 2 "$STASIS" backup -- true
assert_contains "$STASIS_ERR" "give at least one PATH or --component"
assert_exit 2 "$STASIS" list -- true
assert_contains "$STASIS_ERR" "only go with exec and backup"
echo "ok"
