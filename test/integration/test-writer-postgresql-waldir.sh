#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-writer-postgresql-waldir.sh - a cluster whose pg_wal is a link to
# another volume (initdb --waldir): the writer names the WAL directory as a
# path of its component, the set is not crash-atomic and goes through the
# backup mode, the WAL it stores lies in the WAL directory, and a copy of
# both directories, pg_wal pointed at the WAL's copy and the set's metadata
# files in place, recovers as a base backup and holds pgbench's invariant.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-postgresql.sh"
pg_require
stasis_env_init
pg_env_init
T=$STASIS_TMP
stasis_start_bus
printf '[Authorization]\nRegisterWriterUsers=postgres\n' > "$T/stasisd.conf"
STASISD_ARGS="--config $T/stasisd.conf"
stasis_start_daemon

stasis_make_fs btrfs pg 1G
D=$STASIS_FS/data
stasis_make_fs btrfs wal 1G
W=$STASIS_FS/wal
mkdir "$W"
chown postgres:postgres "$W"
chmod 700 "$W"
pg_initdb "$D" --waldir="$W"
PORT=5433
pg_start "$D" $PORT
export PGHOST=$PG_SOCK PGPORT=$PORT PGUSER=postgres PGDATABASE=postgres
pg_as "$PG_BIN/pgbench" -i -q -s 1 >"$T/pgbench-init.log" 2>&1 || { cat "$T/pgbench-init.log" >&2; stasis_die "pgbench -i failed"; }

pg_start_writer "$T/writer.log"
paths=$("$STASIS" --json writers | jq -r '.[] | select(.writer == "postgresql") | .metadata.components[0].paths | join(",")')
assert_eq "$paths" "$D,$W" "the WAL directory is a path of the component"

pg_as "$PG_BIN/pgbench" -c 2 -T 6 -n >"$T/pgbench.log" 2>&1 &
load=$!
stasis_track_pid $load
sleep 2
id=$("$STASIS" --json create --require-writers --component=postgresql | jq -r .id)
wait $load || { cat "$T/pgbench.log" >&2; stasis_die "pgbench failed"; }
grep -q "Set $id: backup mode started" "$T/writer.log" || stasis_die "no backup mode with the WAL on another volume"
meta=$("$STASIS" --json show "$id" | jq -c '.metadata')
nwal=$(jq --arg p "$W/" '[.[] | select(.path != null and (.path | startswith($p)))] | length' <<<"$meta")
[ "$nwal" -ge 1 ] || stasis_die "no WAL in $W in the metadata: $meta"

R=$T/restore
mkdir -p "$R" "$T/view"
"$STASIS" mount "$id" "$T/view" >/dev/null
pg_copy_out "$T/view$D" "$R/data"
pg_copy_out "$T/view$W" "$R/wal"
"$STASIS" umount "$id" >/dev/null
ln -sfn "$R/wal" "$R/data/pg_wal"
pg_restore_metadata "$id" "$D" "$R/data"
pg_restore_metadata "$id" "$W" "$R/wal"
pg_start "$R/data" $((PORT + 1))
pg_invariant $((PORT + 1)) || stasis_die "the restored cluster does not hold pgbench's invariant"
pg_stop "$R/data"
grep -q "consistent recovery state reached" "$R/data.log" || stasis_die "no consistent state reached"
pg_stop_writer "$T/writer.log"
pg_stop "$D"
