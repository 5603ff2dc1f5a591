#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-writer-postgresql.sh - stasis-writer-postgresql against a real
# PostgreSQL server under pgbench load on a btrfs volume:
#  1. it registers as postgres (RegisterWriterUsers=postgres) with the
#     cluster's paths, found by asking the server;
#  2. sets taken every few seconds under load are application-consistent, in
#     crash-atomic mode (one volume: no backup mode);
#  3. each snapshot, copied out of a `stasis mount` view and started as a
#     separate server, starts and passes pgbench's invariant (accounts =
#     tellers = branches);
#  4. each of them starts its redo at (or after) the redo LSN of the
#     CHECKPOINT the writer ran at PrepareSnapshot, and the WAL they
#     replayed (the median) is far less than what a plain btrfs snapshot of
#     the same load replays (both printed);
#  5. the writer's session ends with each set.
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

stasis_make_fs btrfs pg 2G
V=$STASIS_FS
btrfs -q subvolume create "$V/pg"
D=$V/pg/data
pg_initdb "$D"
PORT=5433
# No checkpoint but the writer's (and the shutdown's): the plain snapshot
# then has all the WAL since the last one to replay, as in production just
# before checkpoint_timeout is up.
pg_start "$D" $PORT "-c checkpoint_timeout=1h -c max_wal_size=8GB"
export PGHOST=$PG_SOCK PGPORT=$PORT PGUSER=postgres PGDATABASE=postgres
pg_as "$PG_BIN/pgbench" -i -q -s 2 >"$T/pgbench-init.log" 2>&1 || { cat "$T/pgbench-init.log" >&2; stasis_die "pgbench -i failed"; }
pg_sql $PORT CHECKPOINT

# 1. Registered, as postgres, with the data directory found by asking.
printf '[PostgreSQL]\nInstance=main\n' > "$T/writer.conf"
PG_WRITER_NAME=postgresql@main
pg_start_writer "$T/writer.log" --config "$T/writer.conf"
assert_eq "$(stasis_writer_field postgresql@main uid)" "$(id -u postgres)" "the writer runs as postgres"
paths=$("$STASIS" --json writers | jq -r '.[] | select(.writer == "postgresql") | .metadata.components[] | select(.name == "cluster") | .paths | join(",")')
assert_eq "$paths" "$D" "the component's paths"

# 2. Load, a plain snapshot after a few seconds of it, then sets every 2 s.
pg_as "$PG_BIN/pgbench" -c 4 -j 2 -T 24 -n >"$T/pgbench.log" 2>&1 &
load=$!
stasis_track_pid $load
sleep 8
btrfs -q subvolume snapshot -r "$V/pg" "$V/plain"
ids=()
for i in 1 2 3 4; do
        sleep 2
        id=$("$STASIS" --json create --require-writers --component=postgresql@main | jq -r .id)
        ids+=("$id")
        c=$("$STASIS" --json show "$id" | jq -r '.components[] | select(.writer == "postgresql") | .consistency')
        assert_eq "$c" application "set $id: the cluster's consistency"
done
wait $load || { cat "$T/pgbench.log" >&2; stasis_die "pgbench failed under the sets"; }
grep -q "backup mode" "$T/writer.log" && stasis_die "backup mode on one volume (crash-atomic)"

# 5. No session of the writer is left once the sets are made.
assert_eq "$(pg_sql $PORT "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'stasis-writer-postgresql'")" 0 \
        "the writer's sessions end with their sets"

# 3, 4. Each copy starts and holds pgbench's invariant; its redo is small.
check_copy() {             # check_copy SRC NAME: sets REDO to the bytes replayed, REDO_START to where
        local c=$T/copy-$2
        pg_copy_out "$1" "$c"
        pg_start "$c" $((PORT + 1))
        pg_invariant $((PORT + 1)) || stasis_die "$2: pgbench's invariant does not hold"
        pg_stop "$c"
        REDO=$(pg_redo_bytes "$c.log")
        REDO_START=$(sed -n 's/.*redo starts at \([0-9A-F]*\/[0-9A-F]*\).*/\1/p' "$c.log" | tail -n 1)
        rm -rf "$c"
}
check_copy "$V/plain/data" plain
plain=$REDO
redos=()
mkdir "$T/view"
for id in "${ids[@]}"; do
        "$STASIS" mount "$id" "$T/view" >/dev/null
        check_copy "$T/view$D" "set$id"
        "$STASIS" umount "$id" >/dev/null
        ckpt=$(sed -n "s/.*Set $id: checkpoint done; a start from the snapshot replays the WAL from \([0-9A-F]*\/[0-9A-F]*\) on\..*/\1/p" "$T/writer.log")
        [ -n "$ckpt" ] || stasis_die "set $id: the writer did not log its checkpoint"
        [ -n "$REDO_START" ] && [ "$(pg_lsn_bytes "$REDO_START")" -ge "$(pg_lsn_bytes "$ckpt")" ] ||
                stasis_die "set $id: redo starts at '$REDO_START', before the writer's checkpoint at $ckpt"
        stasis_log "set $id: redo $REDO bytes from $REDO_START (the writer's checkpoint: $ckpt)"
        redos+=("$REDO")
done
median=$(printf '%s\n' "${redos[@]}" | sort -n | sed -n "$(( (${#redos[@]} + 1) / 2 ))p")
stasis_log "WAL replayed at start: plain btrfs snapshot $plain bytes, stasis sets $median bytes (median of ${#redos[@]}: ${redos[*]})"
[ $((median * 4)) -lt "$plain" ] || stasis_die "the sets' redo ($median bytes) is not far below the plain snapshot's ($plain bytes)"
pg_stop_writer "$T/writer.log"
pg_stop "$D"
