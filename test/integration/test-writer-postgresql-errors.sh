#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-writer-postgresql-errors.sh - stasis-writer-postgresql when things go
# wrong, each with a clear error and no session (so no backup mode) left:
#  1. a configuration with an unknown key or a bad instance: exit 1, naming
#     file and line;
#  2. the server not running at start, bad credentials: exit 1, libpq's
#     reason given;
#  3. the server not running when a set comes: the writer vetoes
#     PrepareSnapshot (retryable), and a set that requires it fails (exit 10);
#  4. the server stopped between PrepareSnapshot and Freeze: the writer
#     vetoes Freeze, the cluster is recorded crash-consistent with the reason,
#     and the next set, once the server is back, is application-consistent;
#  5. a tablespace made on a second volume while the writer runs: the next
#     set vetoes (retryable) and the writer adds it to its component; a set
#     that is then not crash-atomic puts the server in backup mode; the
#     writer killed in the middle of it leaves no session behind, and a new
#     writer takes sets at once.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-postgresql.sh"
pg_require
[ -x "$STASIS_TEST_WRITER" ] || stasis_die "build the test helpers first ($STASIS_TEST_WRITER)"
stasis_env_init
pg_env_init
T=$STASIS_TMP
stasis_start_bus
printf '[Authorization]\nRegisterWriterUsers=postgres\n' > "$T/stasisd.conf"
STASISD_ARGS="--config $T/stasisd.conf"
stasis_start_daemon

stasis_make_fs btrfs pg 1G
V=$STASIS_FS
D=$V/data
pg_initdb "$D"
PORT=5433
export PGHOST=$PG_SOCK PGPORT=$PORT PGUSER=postgres PGDATABASE=postgres
W=$STASIS_WRITER_POSTGRESQL
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }
sessions() { pg_sql $PORT "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'stasis-writer-postgresql'"; }

# 1. Bad configuration.
printf '[PostgreSQL]\nInstance=main\nConInfo=port=1\n' > "$T/bad.conf"
assert_exit 1 as_pg "$W" --bus-address="$STASIS_BUS_ADDRESS" --config "$T/bad.conf"
assert_contains "$STASIS_ERR" "$T/bad.conf:3: unknown key ConInfo= in [PostgreSQL]"
printf '[PostgreSQL]\nInstance=Main!\n' > "$T/bad.conf"
assert_exit 1 as_pg "$W" --bus-address="$STASIS_BUS_ADDRESS" --config "$T/bad.conf"
assert_contains "$STASIS_ERR" "$T/bad.conf:2: Instance=: 'Main!' is not an instance name"
assert_exit 1 as_pg "$W" --bus-address="$STASIS_BUS_ADDRESS" --config "$T/none.conf"
assert_contains "$STASIS_ERR" "$T/none.conf"
assert_exit 2 as_pg "$W" --bogus

# 2. No server; then bad credentials.
assert_exit 1 as_pg "$W" --bus-address="$STASIS_BUS_ADDRESS"
assert_contains "$STASIS_ERR" "cannot connect to PostgreSQL: connection to server on socket \"$PG_SOCK/.s.PGSQL.$PORT\" failed: No such file or directory"
pg_start "$D" $PORT
assert_exit 1 env PGUSER=intruder setpriv --reuid=postgres --regid=postgres --init-groups -- "$W" --bus-address="$STASIS_BUS_ADDRESS"
assert_contains "$STASIS_ERR" "cannot connect to PostgreSQL:"
assert_contains "$STASIS_ERR" "Peer authentication failed for user \"intruder\""
printf '[PostgreSQL]\nConnInfo=host=%s port=%s user=postgres dbname=nosuchdb\n' "$PG_SOCK" $PORT > "$T/nodb.conf"
assert_exit 1 as_pg "$W" --bus-address="$STASIS_BUS_ADDRESS" --config "$T/nodb.conf"
assert_contains "$STASIS_ERR" "database \"nosuchdb\" does not exist"

# 3. The server goes before the set.
pg_start_writer "$T/writer.log"
pg_stop "$D"
assert_exit 10 "$STASIS" create --require-writers --component=postgresql
assert_contains "$STASIS_ERR" "writer postgresql vetoed PrepareSnapshot: cannot open a session for the set: cannot connect to PostgreSQL: connection to server on socket"
assert_contains "$STASIS_ERR" "(retryable)"
pg_start "$D" $PORT

# 4. The server goes between PrepareSnapshot and Freeze: a second writer of
# the same volume takes 10 s over its PrepareSnapshot, and the server is
# stopped once the writer is through PrepareSnapshot (its last query lists the tablespaces).
stasis_start_writer --name slow --component data="$V" --fault PrepareSnapshot:slow:10000
"$STASIS" --json create --component=postgresql >"$T/create.json" 2>"$T/create.err" &
create=$!
wait_until 10 '[ "$(pg_sql $PORT "SELECT count(*) FROM pg_stat_activity WHERE application_name = '"'stasis-writer-postgresql'"' AND state = '"'idle'"' AND query LIKE '"'%pg_tablespace_location%'"'")" = 1 ]'
pg_stop "$D"
wait $create || { cat "$T/create.err" >&2; stasis_die "create failed"; }
id=$(jq -r .id "$T/create.json")
c=$("$STASIS" --json show "$id" | jq -r '.components[] | select(.writer == "postgresql") | .consistency + " " + .reason')
assert_contains "$c" "crash-consistent writer postgresql vetoed Freeze: the session for the set ended: the connection to PostgreSQL was lost: server closed the connection unexpectedly"
kill -0 "$PG_WRITER_PID" || stasis_die "the writer died with the server"
stasis_stop_writer "$STASIS_WRITER_PID"
pg_start "$D" $PORT
id=$("$STASIS" --json create --require-writers --component=postgresql | jq -r .id)
assert_eq "$("$STASIS" --json show "$id" | jq -r '.components[0].consistency')" application "with the server back"
assert_eq "$(sessions)" 0 "no session left after the sets"

# 5. A tablespace on a second btrfs volume: not crash-atomic, backup mode.
# The writer is killed while the server is in backup mode for the set.
stasis_make_fs btrfs ts 300M
S=$STASIS_FS/ts
mkdir "$S"
chown postgres:postgres "$S"
pg_sql $PORT "CREATE TABLESPACE ts LOCATION '$S'"
pg_sql $PORT "CREATE TABLE t (x int) TABLESPACE ts; INSERT INTO t VALUES (1)"
# The writer hears of the tablespace at the next set, which cannot hold it
# (stasisd resolved the set without it): a retryable veto, and the next set has it.
assert_exit 10 "$STASIS" create --require-writers --component=postgresql
assert_contains "$STASIS_ERR" "vetoed PrepareSnapshot: a tablespace made since the writer started is not in the set: $S (the writer has added it to its component: try again) (retryable)"
wpaths() { "$STASIS" --json writers | jq -r '.[] | select(.writer == "postgresql") | .metadata.components[0].paths | join(",")'; }
wait_until 10 '[ "$(wpaths)" = "$D,$S" ]'
stasis_start_writer --name slow2 --component data="$S" --fault PrepareSnapshot:slow:10000
"$STASIS" --json create --component=postgresql >"$T/create.json" 2>"$T/create.err" &
create=$!
wait_until 10 '[ "$(pg_sql $PORT "SELECT count(*) FROM pg_stat_activity WHERE application_name = '"'stasis-writer-postgresql'"' AND state = '"'idle'"' AND query LIKE '"'%pg_backup_start%'"'")" = 1 ]'
kill -9 "$PG_WRITER_PID"
wait_until 10 '[ "$(sessions)" = 0 ]'
wait $create || true
pg_start_writer "$T/writer3.log"
stasis_stop_writer "$STASIS_WRITER_PID"
# With nothing in the way, the same set goes through the backup mode.
id=$("$STASIS" --json create --component=postgresql | jq -r .id)
grep -q "Set $id: backup mode started" "$T/writer3.log" || { cat "$T/writer3.log" >&2; stasis_die "no backup mode for a set on two volumes"; }
assert_eq "$("$STASIS" --json show "$id" | jq -r '.components[0].consistency')" application "the set in backup mode"
assert_eq "$(sessions)" 0 "no session left after the set"
pg_stop_writer "$T/writer3.log"
pg_stop "$D"
