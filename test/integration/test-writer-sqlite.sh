#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-writer-sqlite.sh - stasis-writer-sqlite against a real application writing an SQLite
# database in WAL mode (test/helpers/sqlite-app.py) on a btrfs subvolume:
#  1. sets taken while it writes: the snapshot's database passes PRAGMA integrity_check, its rows are
#     1..N without a gap, and it holds every row the application had seen committed (the last id in
#     the application's log, snapshotted with it);
#  2. while the set is frozen the write lock is held (another connection cannot write), and after
#     the set it is free again;
#  3. a set that fails after the freeze (another writer vetoes) leaves no lock held;
#  4. a bad configuration is refused with the file, line and fault.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
[ -x "$STASIS_TEST_WRITER" ] || stasis_die "build the test helpers first ($STASIS_TEST_WRITER)"
WRITER=$STASIS_BUILD_DIR/src/writers/sqlite/stasis-writer-sqlite
APP=$STASIS_SRC/test/helpers/sqlite-app.py
command -v python3 >/dev/null || { echo "python3 is not installed"; exit 77; }
command -v sqlite3 >/dev/null || { echo "sqlite3 is not installed"; exit 77; }

stasis_setup_alone --freeze-window 30
T=$STASIS_TMP
sqlite_cleanup() {
        local rc=$?
        touch "$T/stop"
        (exit "$rc")
        stasis_cleanup
}
trap sqlite_cleanup EXIT

stasis_make_fs btrfs pool 1G
P=$STASIS_FS
DEV=$STASIS_DEV
btrfs -q subvolume create "$P/app"
btrfs -q subvolume create "$P/other"
python3 "$APP" "$P/app/app.db" "$P/app/committed.log" "$T/stop" >/dev/null 2>>"$T/app.err" &
APP_PID=$!
stasis_track_pid $APP_PID
wait_until 10 '[ -s "$P/app/committed.log" ]' || stasis_die "the application did not start: $(cat "$T/app.err")"

cat >"$T/sqlite.conf" <<CONF
[Writer]
BusyTimeoutSec=5

[Database]
Path=$P/app/app.db
CONF
"$WRITER" --config "$T/sqlite.conf" --bus-address "$STASIS_BUS_ADDRESS" >/dev/null 2>>"$T/sqlite.err" &
SW=$!
stasis_track_pid $SW
wait_until 10 'stasis_writer_listed sqlite' || stasis_die "stasis-writer-sqlite did not register: $(cat "$T/sqlite.err")"
assert_eq "$("$STASIS" --json writers | jq -r '.[] | select(.writer == "sqlite") | .metadata.components[0].name')" app.db "its component, named after the file"

top=$T/top
mkdir "$top"
mount -o subvolid=5,ro "$DEV" "$top"
stasis_track_mount "$top"
can_write() {   # another connection takes the write lock without waiting
        python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None)
db.execute("BEGIN IMMEDIATE"); db.execute("ROLLBACK")' "$P/app/app.db" 2>/dev/null
}

# ---- 1. Consistent snapshots under load ----
for round in 1 2 3; do
        id=$("$STASIS" --json create --component sqlite:app.db | jq -r .id)
        assert_eq "$("$STASIS" --json show "$id" | jq -r '.components[0].consistency')" application "round $round ($("$STASIS" --json show "$id" | jq -r '.components[0].reason'))"
        snap=$("$STASIS" --json show "$id" | jq -r '.volumes[0].snapshot')
        c=$T/copy.$round
        mkdir "$c"
        cp "$top/${snap#*:/}/app.db" "$c/"
        [ ! -e "$top/${snap#*:/}/app.db-wal" ] || cp "$top/${snap#*:/}/app.db-wal" "$c/"
        seen=$(tail -n 1 "$top/${snap#*:/}/committed.log")
        assert_eq "$(sqlite3 "$c/app.db" 'PRAGMA integrity_check')" ok "round $round: integrity_check"
        read -r n max < <(sqlite3 -separator ' ' "$c/app.db" 'SELECT count(*), max(id) FROM t')
        assert_eq "$n" "$max" "round $round: rows 1..N without a gap"
        [ "$max" -ge "$seen" ] || stasis_die "round $round: the snapshot holds $max rows, the application had committed $seen"
        stasis_log "round $round: $max rows, $seen seen committed"
        "$STASIS" delete "$id" >/dev/null
done
# From here no other connection writes: a write lock that is busy is the writer's.
touch "$T/stop"
wait "$APP_PID" || stasis_die "the application failed: $(cat "$T/app.err")"
can_write || stasis_die "the write lock is held after the sets"

# ---- 2. The lock is held while frozen ----
L=$T/slow.log
stasis_start_writer --name slow --level system --component data="$P/other" --log "$L" --fault Freeze:slow:3000
SLOW=$STASIS_WRITER_PID
"$STASIS" create --component sqlite:app.db --component slow:data >"$T/create.out" 2>&1 &
CREATE=$!
wait_until 20 '[ "$(stasis_writer_field sqlite state)" = frozen ]' || stasis_die "sqlite never frozen"
! can_write || stasis_die "another connection could write while the set was frozen"
wait "$CREATE"
can_write || stasis_die "the write lock is held after the set"
stasis_stop_writer "$SLOW"

# ---- 3. A failed set leaves no lock ----
stasis_start_writer --name veto --level system --component data="$P/other" --log "$L" --fault 'Freeze:veto:no'
VETO=$STASIS_WRITER_PID
assert_exit 9 "$STASIS" create --require-writers --component sqlite:app.db --component veto:data
can_write || stasis_die "the write lock is held after a failed set"
stasis_stop_writer "$VETO"

# ---- 4. A bad configuration ----
printf '[Writer]\nBusyTimeoutSec=forever\n[Database]\nPath=relative.db\n' >"$T/bad.conf"
assert_exit 1 "$WRITER" --config "$T/bad.conf" --bus-address "$STASIS_BUS_ADDRESS"
assert_contains "$STASIS_ERR" "$T/bad.conf:2: BusyTimeoutSec=forever: not a number of seconds" "a bad time-out"
assert_contains "$STASIS_ERR" "$T/bad.conf:4: Path=relative.db: not an absolute path" "a relative path"
assert_exit 1 "$WRITER" --config "$T/nothing.conf" --bus-address "$STASIS_BUS_ADDRESS"
assert_contains "$STASIS_ERR" "nothing.conf" "a missing configuration"

touch "$T/stop"
kill "$SW"; wait "$SW" || stasis_die "stasis-writer-sqlite did not exit cleanly on SIGTERM"
umount "$top"
echo ok
