#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# run-bench-create.sh [PAIRS] [BENCH-CREATE OPTIONS...] - benchmark `stasis
# create` of one btrfs subvolume against `btrfs subvolume snapshot -r` of it.
# Sets up a private bus, stasisd and a loop-backed btrfs whose subvolume holds
# some files, then runs bench-create, which alternates the two and prints the
# ratio (see docs/benchmarks.md). Needs root and a build (ninja -C build).
# Exits 0 whether or not the target is met; non-zero only when something fails.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

PAIRS=50
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then
        PAIRS=$1
        shift
fi
BENCH=${BENCH_CREATE:-$STASIS_BUILD_DIR/test/bench/bench-create}
stasis_bench_require "$BENCH" "$STASIS" "$STASISD"

stasis_env_init
stasis_start_bus
stasis_start_daemon

stasis_make_fs btrfs bench 1G
P=$STASIS_FS
btrfs -q subvolume create "$P/data"
# Some content: a tree of small files and a few larger ones. A btrfs snapshot
# copies the subvolume's root node, so its cost barely depends on this.
for d in $(seq 1 20); do
        mkdir "$P/data/dir$d"
        for f in $(seq 1 50); do
                echo "file $d/$f" > "$P/data/dir$d/file$f"
        done
done
for f in 1 2 3 4; do
        head -c 8M /dev/urandom > "$P/data/blob$f"
done
mkdir "$P/raw"
sync

stasis_log "kernel $(uname -r), $(nproc) cores, $(btrfs --version)"
"$BENCH" --stasis "$STASIS" -n "$PAIRS" --sync-dir "$STASIS_STATE_DIR" "$@" "$P/data" "$P/raw"
