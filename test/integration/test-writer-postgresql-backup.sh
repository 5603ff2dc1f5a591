#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-writer-postgresql-backup.sh - stasis-writer-postgresql's backup mode:
# the data directory on one btrfs volume and a tablespace holding pgbench's
# tables on another, snapshotted one after the other, so the set is not
# crash-atomic for the cluster. Under pgbench load:
#  1. the tablespace is a path of the component, found by asking the server;
#  2. each set goes through the backup mode and is application-consistent,
#     with backup_label, tablespace_map, the stop LSN and the WAL to it
#     stored as the writer's backup metadata of the set;
#  3. a copy of the data directory and of the tablespace out of `stasis
#     mount`, with the set's metadata files put in place and tablespace_map
#     pointed at the tablespace's copy, starts as a server that recovers the
#     backup ("backup recovery") and passes pgbench's invariant;
#     without the WAL stored with the set it does not start ("WAL ends before
#     end of online backup"): the snapshots alone do not hold the end of the
#     backup;
#  4. no session of the writer is left.
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
btrfs -q subvolume create "$STASIS_FS/pg"
D=$STASIS_FS/pg/data
stasis_make_fs btrfs ts 1G
btrfs -q subvolume create "$STASIS_FS/ts"
S=$STASIS_FS/ts/space
mkdir "$S"
chown postgres:postgres "$S"
chmod 700 "$S"
pg_initdb "$D"
PORT=5433
pg_start "$D" $PORT
export PGHOST=$PG_SOCK PGPORT=$PORT PGUSER=postgres PGDATABASE=postgres
pg_sql $PORT "CREATE TABLESPACE ts LOCATION '$S'"
pg_as "$PG_BIN/pgbench" -i -q -s 2 --tablespace=ts >"$T/pgbench-init.log" 2>&1 || { cat "$T/pgbench-init.log" >&2; stasis_die "pgbench -i failed"; }

# 1. Both paths in the one component.
pg_start_writer "$T/writer.log"
paths=$("$STASIS" --json writers | jq -r '.[] | select(.writer == "postgresql") | .metadata.components[0].paths | join(",")')
assert_eq "$paths" "$D,$S" "the component's paths"

# 2. Sets under load.
pg_as "$PG_BIN/pgbench" -c 4 -j 2 -T 14 -n >"$T/pgbench.log" 2>&1 &
load=$!
stasis_track_pid $load
ids=()
for i in 1 2 3; do
        sleep 3
        id=$("$STASIS" --json create --require-writers --component=postgresql | jq -r .id)
        ids+=("$id")
        show=$("$STASIS" --json show "$id")
        assert_eq "$(jq -r '.components[0].consistency' <<<"$show")" application "set $id: the cluster's consistency"
        grep -q "Set $id: backup mode started" "$T/writer.log" || stasis_die "set $id: no backup mode"
done
wait $load || { cat "$T/pgbench.log" >&2; stasis_die "pgbench failed under the sets"; }
assert_eq "$(pg_sql $PORT "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'stasis-writer-postgresql'")" 0 \
        "the writer's sessions end with their sets"

# 3. Each set's view is a base backup.
mkdir "$T/view"
for id in "${ids[@]}"; do
        meta=$("$STASIS" --json show "$id" | jq -c '.metadata')
        lsn=$(jq -r '.[] | select(.name == "stop_lsn") | .value' <<<"$meta")
        [[ $lsn =~ ^[0-9A-F]+/[0-9A-F]+$ ]] || stasis_die "set $id: stop_lsn is '$lsn'"
        for f in backup_label tablespace_map; do
                jq -e --arg p "$D/$f" 'any(.[]; .path == $p and .mode == "0600")' <<<"$meta" >/dev/null ||
                        stasis_die "set $id: no $f in the metadata: $meta"
        done
        nwal=$(jq --arg p "$D/pg_wal/" '[.[] | select(.path != null and (.path | startswith($p)))] | length' <<<"$meta")
        [ "$nwal" -ge 1 ] || stasis_die "set $id: no WAL in the metadata: $meta"
        R=$T/restore-$id
        mkdir -p "$R"
        "$STASIS" mount "$id" "$T/view" >/dev/null
        pg_copy_out "$T/view$D" "$R/data"
        pg_copy_out "$T/view$S" "$R/space"
        # The snapshot's own pg_wal, without the stored segments the view
        # places over it: from the snapshot itself, in its file system's store.
        snap=$("$STASIS" --json show "$id" | jq -r --arg s "${D%/data}" '.volumes[] | select(.source == $s) | .snapshot')
        mkdir -p "$T/top"
        mount -o ro,subvolid=5 "$(findmnt -no SOURCE --target "$D")" "$T/top"
        cp -a "$T/top${snap#*:}/data/pg_wal" "$R/snapshot-wal"
        umount "$T/top"
        "$STASIS" umount "$id" >/dev/null
        pg_restore_metadata "$id" "$D" "$R/data"
        grep -q "^LABEL: stasis set $id\$" "$R/data/backup_label" || stasis_die "set $id: backup_label of another backup"
        # A restore to other places: tablespace_map says where each tablespace is.
        sed -i "s|$S\$|$R/space|" "$R/data/tablespace_map"
        if [ "$id" = "${ids[0]}" ]; then
                # Without the stored WAL (the snapshot's own segments instead).
                cp -a "$R/data" "$R/nowal"
                rm -rf "$R/nowal/pg_wal"
                cp -a "$R/snapshot-wal" "$R/nowal/pg_wal"
                touch "$R/nowal.log"
                chown -R postgres:postgres "$R/nowal" "$R/nowal.log"
                _pg_dirs+=("$R/nowal")
                if pg_as "$PG_BIN/pg_ctl" -D "$R/nowal" -l "$R/nowal.log" -w -t 60 \
                        -o "-p $((PORT + 2)) -k $PG_SOCK -c listen_addresses=''" start >/dev/null 2>&1; then
                        stasis_die "set $id: started without the WAL stored with the set"
                fi
                grep -q "WAL ends before end of online backup" "$R/nowal.log" ||
                        { cat "$R/nowal.log" >&2; stasis_die "set $id: failed for another reason without the stored WAL"; }
        fi
        pg_start "$R/data" $((PORT + 1))
        pg_invariant $((PORT + 1)) || stasis_die "set $id: pgbench's invariant does not hold"
        pg_stop "$R/data"
        grep -q "starting backup recovery with redo LSN" "$R/data.log" || stasis_die "set $id: not started as a backup"
        grep -q "consistent recovery state reached" "$R/data.log" || stasis_die "set $id: no consistent state reached"
        stasis_log "set $id: stop LSN $lsn, $nwal WAL file(s) with the set, redo $(pg_redo_bytes "$R/data.log") bytes as a base backup"
        rm -rf "$R"
done
pg_stop_writer "$T/writer.log"
pg_stop "$D"
