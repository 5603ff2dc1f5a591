#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# run-bench-flood.sh [SETS] - root's ListSets median idle and while 16
# unprivileged connections (user nobody, against the real bus policy) flood
# stasisd, for each kind of call open to them, side by side in one run, and
# the ratios (see docs/benchmarks.md). Sets up a private bus, stasisd and a
# loop-backed btrfs with SETS persistent sets (100). Needs root and a build
# (ninja -C build). Bounded: 200 calls or 10 s per measurement, 6 floods of
# 12 s at most. Exits 0 whether or not the target is met; non-zero only when
# something fails.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

SETS=${1:-100}
CONNECTIONS=${BENCH_FLOOD_CONNECTIONS:-16}
DEPTH=${BENCH_FLOOD_DEPTH:-16}
CALLS=${BENCH_FLOOD_CALLS:-ListSets ListWriters GetManagedObjects Introspect GetAll CreateSet}
BENCH=${BENCH_FLOOD:-$STASIS_BUILD_DIR/test/bench/bench-flood}
stasis_bench_require "$BENCH" "$STASIS" "$STASISD"

stasis_env_init
stasis_start_bus
stasis_start_daemon
stasis_make_fs btrfs bench 1G
P=$STASIS_FS
btrfs -q subvolume create "$P/data"
echo data > "$P/data/f"
for i in $(seq "$SETS"); do
        "$STASIS" create --label "bench $i" "$P/data" >/dev/null
done

stasis_log "kernel $(uname -r), $(nproc) cores; $SETS sets; $CONNECTIONS connections of nobody, $DEPTH calls out on each"
printf '%-18s %10s %10s %10s %10s %7s  %s\n' flood idle-p50 idle-p90 flood-p50 flood-p90 ratio "the flood's calls"
for call in $CALLS; do
        read -r idle50 idle90 _ < <("$BENCH" measure --count 200 --seconds 10)
        stasis_as_nobody "$BENCH" flood --call "$call" --connections "$CONNECTIONS" --depth "$DEPTH" \
                --seconds 12 >"$STASIS_TMP/flood.out" &
        flood_pid=$!
        stasis_track_pid "$flood_pid"
        sleep 1         # the flood is under way
        read -r fl50 fl90 _ < <("$BENCH" measure --count 200 --seconds 10)
        wait "$flood_pid" || stasis_die "the $call flood failed: $(cat "$STASIS_TMP/flood.out")"
        printf '%-18s %8s us %8s us %8s us %8s us %6.2fx  %s\n' "$call" "$idle50" "$idle90" "$fl50" "$fl90" \
                "$(awk -v a="$fl50" -v b="$idle50" 'BEGIN { print a / b }')" "$(cut -d: -f2- "$STASIS_TMP/flood.out")"
done
