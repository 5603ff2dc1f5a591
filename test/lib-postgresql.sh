# SPDX-License-Identifier: LGPL-2.1-or-later
# lib-postgresql.sh - private PostgreSQL servers and the PostgreSQL writer for
# the tests and the benchmark: initdb, start, stop (in the trap too), the
# pgbench invariant and the redo a start replayed. Source it after lib.sh and
# call pg_env_init after stasis_env_init.

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
STASIS_WRITER_POSTGRESQL=${STASIS_WRITER_POSTGRESQL:-$STASIS_BUILD_DIR/src/writers/postgresql/stasis-writer-postgresql}
_pg_dirs=()

# pg_require: skip (77) without PostgreSQL, its user or the writer.
pg_require() {
        [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pgbench" ] || { echo "SKIP: PostgreSQL is not installed"; exit 77; }
        id postgres >/dev/null 2>&1 || { echo "SKIP: no user postgres"; exit 77; }
        if [ ! -x "$STASIS_WRITER_POSTGRESQL" ]; then
                pkg-config --exists libpq 2>/dev/null && stasis_die "$STASIS_WRITER_POSTGRESQL is not built"
                echo "SKIP: stasis-writer-postgresql is not built (no libpq)"
                exit 77
        fi
}

# pg_env_init: the socket directory, and the trap stops every server started
# (immediately: a test that failed may have left one running) before lib.sh's
# cleanup unmounts the volumes they run on.
pg_env_init() {
        PG_SOCK=$STASIS_TMP/pgsock
        mkdir -p "$PG_SOCK"
        chown postgres:postgres "$PG_SOCK"
        trap '_pg_rc=$?; set +e; pg_stop_all; (exit $_pg_rc); stasis_cleanup' EXIT
}

pg_as() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }

pg_stop_all() {
        local d
        for d in "${_pg_dirs[@]}"; do
                [ -e "$d/postmaster.pid" ] && pg_as "$PG_BIN/pg_ctl" -D "$d" -m immediate -w stop >/dev/null 2>&1
        done
        return 0
}

# pg_initdb DIR [INITDB-OPTIONS...]: a new cluster in DIR, postgres's, peer
# authentication on the socket.
pg_initdb() {
        local d=$1
        shift
        mkdir -p "$d"
        chown postgres:postgres "$d"
        chmod 700 "$d"
        pg_as "$PG_BIN/initdb" -D "$d" -A peer -U postgres --no-sync "$@" >"$STASIS_TMP/initdb.log" 2>&1 ||
                { cat "$STASIS_TMP/initdb.log" >&2; stasis_die "initdb $d failed"; }
}

# pg_start DIR PORT [SERVER-OPTIONS]: start the cluster in DIR on PORT, unix
# socket only, log in DIR.log (a copy's server log tells its redo).
pg_start() {
        local d=$1 port=$2 opts=${3:-}
        _pg_dirs+=("$d")
        touch "$d.log"
        chown postgres:postgres "$d.log"
        pg_as "$PG_BIN/pg_ctl" -D "$d" -l "$d.log" -w -t 120 \
                -o "-p $port -k $PG_SOCK -c listen_addresses='' $opts" start >/dev/null ||
                { tail -n 30 "$d.log" >&2; stasis_die "PostgreSQL in $d did not start"; }
}

pg_stop() { pg_as "$PG_BIN/pg_ctl" -D "$1" -m "${2:-fast}" -w stop >/dev/null; }

# pg_sql PORT SQL: one value, as postgres.
pg_sql() { pg_as "$PG_BIN/psql" -h "$PG_SOCK" -p "$1" -U postgres -d postgres -XAtq -v ON_ERROR_STOP=1 -c "$2"; }

# pg_invariant PORT: pgbench's sums agree (accounts = tellers = branches).
pg_invariant() {
        local s
        s=$(pg_sql "$1" "SELECT (SELECT sum(abalance) FROM pgbench_accounts) || ' ' ||
                              (SELECT sum(tbalance) FROM pgbench_tellers) || ' ' ||
                              (SELECT sum(bbalance) FROM pgbench_branches)") || return 1
        set -- $s
        [ "$1" = "$2" ] && [ "$2" = "$3" ] || { echo "pgbench invariant broken: $s" >&2; return 1; }
}

# pg_lsn_bytes LSN: 0/3000060 as a number of bytes.
pg_lsn_bytes() { local hi=${1%/*} lo=${1#*/}; echo $(( (16#$hi << 32) + 16#$lo )); }

# pg_redo_bytes LOG: the WAL bytes a start replayed, from "redo starts at"
# and "redo done at" in its log (0 when it logged "redo is not required").
pg_redo_bytes() {
        local a b
        a=$(sed -n 's/.*redo starts at \([0-9A-F]*\/[0-9A-F]*\).*/\1/p' "$1" | tail -n 1)
        b=$(sed -n 's/.*redo done at \([0-9A-F]*\/[0-9A-F]*\).*/\1/p' "$1" | tail -n 1)
        if [ -z "$a" ] || [ -z "$b" ]; then
                grep -q "redo is not required" "$1" && { echo 0; return; }
                echo "no redo lines in $1" >&2
                return 1
        fi
        echo $(( $(pg_lsn_bytes "$b") - $(pg_lsn_bytes "$a") ))
}

# pg_copy_out SRC DST: a copy of a cluster (from a view), postgres's, with a
# postmaster.pid left by the snapshot removed.
pg_copy_out() {
        rm -rf "$2"
        cp -a "$1" "$2"
        chown -R postgres:postgres "$2"
        chmod 700 "$2"
        rm -f "$2/postmaster.pid"
}

# pg_start_writer LOG ARGS...: the writer as postgres against the server of
# PGHOST/PGPORT (exported by the caller), on the private bus; waits until
# stasisd lists it. Sets PG_WRITER_PID.
pg_start_writer() {
        local log=$1
        shift
        touch "$log"
        chmod 666 "$log"
        setpriv --reuid=postgres --regid=postgres --init-groups --inh-caps=-all --bounding-set=-all -- \
                "$STASIS_WRITER_POSTGRESQL" --bus-address="$STASIS_BUS_ADDRESS" "$@" >>"$log" 2>&1 &
        PG_WRITER_PID=$!
        stasis_track_pid "$PG_WRITER_PID"
        local i
        for (( i = 0; i < 400; i++ )); do
                stasis_writer_listed "${PG_WRITER_NAME:-postgresql}" && return 0
                kill -0 "$PG_WRITER_PID" 2>/dev/null || break
                sleep 0.05
        done
        cat "$log" >&2
        stasis_die "stasis-writer-postgresql did not register"
}

# pg_startup_ms LOG: the milliseconds from "starting PostgreSQL" to "database
# system is ready to accept connections" in a server's log (its own clock:
# redo included, pg_ctl's polling not).
pg_startup_ms() {
        local a b
        a=$(grep "starting PostgreSQL" "$1" | tail -n 1 | cut -d' ' -f1-3)
        b=$(grep "ready to accept connections" "$1" | tail -n 1 | cut -d' ' -f1-3)
        [ -n "$a" ] && [ -n "$b" ] || { echo "no start-up lines in $1" >&2; return 1; }
        echo $(( ($(date -d "$b" +%s%N) - $(date -d "$a" +%s%N)) / 1000000 ))
}

# pg_restore_metadata ID FROM TO: write each backup metadata file of set ID
# whose path lies under FROM at the same place under TO (a copy of FROM out
# of a view), with its mode, as a restore does; read over the bus
# (Set.BackupMetadataFile).
pg_restore_metadata() {
        local id=$1 from=$2 to=$3 p out
        "$STASIS" --json show "$id" | jq -r '.metadata[] | select(.path != null) | .path' | while read -r p; do
                case $p in "$from"/*) ;; *) continue ;; esac
                out=$to${p#"$from"}
                busctl --address="$STASIS_BUS_ADDRESS" --json=short call org.stasis1 "/org/stasis1/set/$id" \
                        org.stasis1.Set BackupMetadataFile s "$p" |
                        python3 -c 'import json, sys; d = json.load(sys.stdin)["data"]; sys.stdout.buffer.write(bytes(d[0])); sys.stderr.write("%o" % d[1])' \
                        >"$out" 2>"$out.mode" || stasis_die "set $id: cannot read $p from the set"
                chmod "$(cat "$out.mode")" "$out"
                rm -f "$out.mode"
                chown postgres:postgres "$out"
        done
}

# pg_stop_writer LOG: SIGTERM to the writer; it must unregister and exit 0
# (so that a sanitizer's report fails the test).
pg_stop_writer() {
        local rc=0
        kill "$PG_WRITER_PID"
        wait "$PG_WRITER_PID" || rc=$?
        [ "$rc" = 0 ] || { tail -n 30 "$1" >&2; stasis_die "stasis-writer-postgresql exited $rc on SIGTERM"; }
}
