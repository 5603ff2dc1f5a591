#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# run-bench-durable.sh [PAIRS] - the cost of durable acknowledgements:
# `stasis create` of one btrfs subvolume against two stasisd, each on its own
# private bus and state directory (on the file system of /tmp): one as built
# (the catalog syncs every commit, synchronous=FULL), one with
# STASIS_BENCH_CATALOG_SYNC=normal (the old setting; for benchmarks only).
# bench-durable alternates them and prints medians, the difference and the raw
# fsync cost of the state directory's file system (see docs/benchmarks.md).
# Needs root and a build (ninja -C build). Exits 0 whether or not the target
# is met; non-zero only when something fails.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

PAIRS=${1:-50}
BENCH=${BENCH_DURABLE:-$STASIS_BUILD_DIR/test/bench/bench-durable}
stasis_bench_require "$BENCH" "$STASIS" "$STASISD"

stasis_env_init
T=$STASIS_TMP
mkdir -p "$T/providers.d"
STASISD_ARGS="--providers-dir=$T/providers.d"

# The stasisd with the old setting: its own bus and state directory. (lib.sh
# keeps one bus and one daemon in its variables: this pair's pids go to its
# list of processes to kill at the end.)
STASIS_TMP=$T/normal
mkdir -p "$STASIS_TMP"
stasis_start_bus
NORMAL_BUS=$STASIS_BUS_ADDRESS
stasis_track_pid "$DBUS_PID"
STASIS_STATE_DIR=$STASIS_TMP/state STASIS_BENCH_CATALOG_SYNC=normal stasis_start_daemon "$STASIS_TMP/stasisd.log"
NORMAL_PID=$STASISD_PID
stasis_track_pid "$NORMAL_PID"
STASISD_PID=
grep -q "STASIS_BENCH_CATALOG_SYNC=normal" "$STASIS_TMP/stasisd.log" ||
        stasis_die "the stasisd with the old setting does not say so"

# The stasisd as built.
STASIS_TMP=$T
stasis_start_bus
stasis_start_daemon
FULL_BUS=$STASIS_BUS_ADDRESS

stasis_make_fs btrfs bench 1G
P=$STASIS_FS
btrfs -q subvolume create "$P/data"
for d in $(seq 1 20); do
        mkdir "$P/data/dir$d"
        for f in $(seq 1 50); do echo "file $d/$f" > "$P/data/dir$d/file$f"; done
done
sync

stasis_log "kernel $(uname -r), $(nproc) cores; state directories on $(df --output=fstype "$T" | tail -n 1)"
"$BENCH" --stasis "$STASIS" --full-bus "$FULL_BUS" --normal-bus "$NORMAL_BUS" --state-dir "$STASIS_STATE_DIR" \
        -n "$PAIRS" "$P/data"
kill "$NORMAL_PID"
wait "$NORMAL_PID" || stasis_die "the stasisd with the old setting exited with status $?"
