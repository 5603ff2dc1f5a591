#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# run-bench-postgresql.sh - what stasis-writer-postgresql costs and gains,
# against a real PostgreSQL on a loop-backed btrfs volume:
#  1. pgbench TPS with a stasis set every 10 s against none, in alternating
#     runs of the same length (none, sets, plain, none, sets, plain, ...) so
#     that drift and noise fall on all sides alike; each run's TPS, and the
#     ratio of the sums (target: at least 95 %). "plain" takes a plain btrfs
#     snapshot every 10 s instead, without the writer: the share of the
#     snapshots themselves (copy-on-write after each) in the cost;
#  2. start-up time, redo included, of a server on a copy of a plain btrfs
#     snapshot against one of a stasis set, both of the same load: the plain
#     one taken just before the server's next timed checkpoint (as late as its
#     checkpoint_timeout allows, as in production), the set right after it
#     (target: the set's copy starts at least 5 times faster), and, for the
#     fixed cost of a start, a copy of the cluster stopped cleanly (no redo).
#     Copies are made first and not timed; the times are the server's own,
#     from "starting PostgreSQL" to "ready to accept connections" in its log.
# Needs root and a build (ninja -C build). Exits 0 whether or not the targets
# are met. PG_BENCH_ROUNDS (3), PG_BENCH_RUN_SEC (30), PG_BENCH_SCALE (10) and
# PG_BENCH_CHECKPOINT_SEC (120) set the sizes (about 8 minutes with these).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-postgresql.sh"

ROUNDS=${PG_BENCH_ROUNDS:-3}
RUN=${PG_BENCH_RUN_SEC:-30}
SCALE=${PG_BENCH_SCALE:-10}
CKPT=${PG_BENCH_CHECKPOINT_SEC:-120}
stasis_bench_require "$STASIS" "$STASISD" "$STASIS_WRITER_POSTGRESQL"
pg_require
stasis_env_init
pg_env_init
T=$STASIS_TMP
stasis_start_bus
printf '[Authorization]\nRegisterWriterUsers=postgres\n' > "$T/stasisd.conf"
STASISD_ARGS="--config $T/stasisd.conf"
stasis_start_daemon

stasis_make_fs btrfs pg 8G
V=$STASIS_FS
btrfs -q subvolume create "$V/pg"
D=$V/pg/data
pg_initdb "$D"
PORT=5433
pg_start "$D" $PORT "-c checkpoint_timeout=${CKPT}s -c max_wal_size=16GB -c shared_buffers=256MB"
export PGHOST=$PG_SOCK PGPORT=$PORT PGUSER=postgres PGDATABASE=postgres
pg_as "$PG_BIN/pgbench" -i -q -s "$SCALE" >"$T/pgbench-init.log" 2>&1 || { cat "$T/pgbench-init.log" >&2; exit 1; }
pg_sql $PORT CHECKPOINT
pg_start_writer "$T/writer.log"

# 1. TPS, alternating.
tps() { sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$1" | head -n 1; }
every_10s() {               # every_10s MODE: until killed, a set or a plain snapshot every 10 s
        local id n=0
        while sleep 10; do
                n=$((n + 1))
                if [ "$1" = sets ]; then
                        id=$("$STASIS" --json create --component=postgresql | jq -r .id) || continue
                        echo "set $id" >> "$T/snaps"
                else
                        btrfs -q subvolume snapshot -r "$V/pg" "$V/snap-$n" && echo "plain $V/snap-$n" >> "$T/snaps"
                fi
        done
}
declare -A sum=([none]=0 [sets]=0 [plain]=0)
modes=(none sets plain)
printf '%-5s %-6s %10s %6s\n' run mode tps snaps
for (( i = 0; i < ROUNDS * 3; i++ )); do
        mode=${modes[i % 3]}
        : > "$T/snaps"
        if [ "$mode" != none ]; then
                every_10s "$mode" &
                snaps_pid=$!
        fi
        pg_as "$PG_BIN/pgbench" -c 4 -j 2 -T "$RUN" -n >"$T/run.log" 2>&1 || { cat "$T/run.log" >&2; exit 1; }
        if [ "$mode" != none ]; then
                kill "$snaps_pid"
                wait "$snaps_pid" 2>/dev/null || true
        fi
        n=$(wc -l < "$T/snaps")
        while read -r kind what; do
                if [ "$kind" = set ]; then "$STASIS" delete "$what" >/dev/null; else btrfs -q subvolume delete "$what"; fi
        done < "$T/snaps"
        t=$(tps "$T/run.log")
        printf '%-5s %-6s %10s %6s\n' "$((i + 1))" "$mode" "$t" "$n"
        sum[$mode]=$(awk -v a="${sum[$mode]}" -v b="$t" 'BEGIN { print a + b }')
done
printf 'TPS with a set every 10 s: %s %% of without (target >= 95 %%); with a plain btrfs snapshot every 10 s: %s %%\n' \
        "$(awk -v a="${sum[sets]}" -v b="${sum[none]}" 'BEGIN { printf "%.1f", 100 * a / b }')" \
        "$(awk -v a="${sum[plain]}" -v b="${sum[none]}" 'BEGIN { printf "%.1f", 100 * a / b }')"

# 2. Start-up. A checkpoint now starts the timer of the next timed one.
pg_sql $PORT CHECKPOINT
start=$(date +%s)
pg_as "$PG_BIN/pgbench" -c 4 -j 2 -T $((CKPT - 3)) -n >"$T/load.log" 2>&1 &
load=$!
stasis_track_pid $load
# 4 s before the timed checkpoint: the plain snapshot, then the set.
sleep $((CKPT - 4 - ($(date +%s) - start)))
btrfs -q subvolume snapshot -r "$V/pg" "$V/plain"
id=$("$STASIS" --json create --component=postgresql | jq -r .id)
wait $load
mkdir -p "$T/view"
"$STASIS" mount "$id" "$T/view" >/dev/null
pg_copy_out "$T/view$D" "$T/copy-set"
"$STASIS" umount "$id" >/dev/null
pg_copy_out "$V/plain/data" "$T/copy-plain"
pg_stop "$D"
pg_copy_out "$D" "$T/copy-clean"
startup() {                 # startup DIR: the server's own start-up time, in its log
        pg_start "$1" $((PORT + 1))
        pg_invariant $((PORT + 1)) || echo "$1: pgbench's invariant does not hold" >&2
        pg_stop "$1"
}
startup "$T/copy-plain"
startup "$T/copy-set"
startup "$T/copy-clean"
ms_plain=$(pg_startup_ms "$T/copy-plain.log")
ms_set=$(pg_startup_ms "$T/copy-set.log")
ms_clean=$(pg_startup_ms "$T/copy-clean.log")
redo_plain=$(pg_redo_bytes "$T/copy-plain.log")
redo_set=$(pg_redo_bytes "$T/copy-set.log")
printf '%-18s %12s %12s\n' snapshot start-ms redo-bytes
printf '%-18s %12s %12s\n' "plain btrfs" "$ms_plain" "$redo_plain" "stasis set" "$ms_set" "$redo_set" \
        "clean stop" "$ms_clean" 0
kill "$PG_WRITER_PID"
wait "$PG_WRITER_PID" || true
printf 'start-up on the stasis set: %s times faster (target >= 5); beyond a clean start: %s times\n' \
        "$(awk -v a="$ms_plain" -v b="$ms_set" 'BEGIN { printf "%.1f", a / b }')" \
        "$(awk -v a="$ms_plain" -v b="$ms_set" -v c="$ms_clean" 'BEGIN { if (b - c > 0) printf "%.1f", (a - c) / (b - c); else print "-" }')"
printf 'load average: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
