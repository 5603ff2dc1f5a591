#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# run-bench-writers.sh [ROUNDS] [BENCH-WRITERS OPTIONS...] - benchmark the
# coordination cost of writers: the freeze window (Set.WindowUSec, first Freeze
# to last Thaw) and CreateSet with 1, 10, 100 and 1000 test writers on one
# btrfs subvolume, against sets of another subvolume (the writers registered,
# none taking part) and sets made with no writer registered; and stasisd's
# memory with the writers registered. Sets up a private bus, stasisd and a
# loop-backed btrfs with two subvolumes, then runs bench-writers, which starts
# and stops the writers (see docs/benchmarks.md). Needs root and a build
# (ninja -C build). Exits 0 whether or not the targets are met; non-zero only
# when something fails or a writer did not get its events.
#
# BENCH_WRITERS_KEEP=DIR keeps the writers' event logs and stasisd's log
# there; STASISD_ARGS="--log-level=debug" (lib.sh) makes stasisd log more.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

ROUNDS=15
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then
        ROUNDS=$1
        shift
fi
BENCH=${BENCH_WRITERS:-$STASIS_BUILD_DIR/test/bench/bench-writers}
WRITER=${STASIS_TEST_WRITER:-$STASIS_BUILD_DIR/test/helpers/stasis-test-writer}
stasis_bench_require "$BENCH" "$STASIS" "$STASISD" "$WRITER"

stasis_env_init
stasis_start_bus
stasis_start_daemon

# Keep the logs, if asked, before lib.sh's cleanup removes the work dir.
# shellcheck disable=SC2317  # runs from the EXIT trap
bw_cleanup() {
        local rc=$?
        set +e
        if [ -n "${BENCH_WRITERS_KEEP:-}" ]; then
                mkdir -p "$BENCH_WRITERS_KEEP"
                cp -r "$STASIS_TMP/logs/." "$BENCH_WRITERS_KEEP/" 2>/dev/null
                cp "$STASIS_TMP/stasisd.log" "$BENCH_WRITERS_KEEP/" 2>/dev/null
                stasis_log "logs kept in $BENCH_WRITERS_KEEP"
        fi
        ( exit "$rc" )
        stasis_cleanup
}
trap bw_cleanup EXIT

# One btrfs: the writers' subvolume and one no writer is on.
stasis_make_fs btrfs bench 1G
P=$STASIS_FS
btrfs -q subvolume create "$P/writers"
btrfs -q subvolume create "$P/idle"
echo data > "$P/writers/file"
echo data > "$P/idle/file"
sync -f "$P"

stasis_log "kernel $(uname -r), $(nproc) cores, $(btrfs --version)"
"$BENCH" --writer "$WRITER" --stasisd-pid "$STASISD_PID" --bus-pid "$DBUS_PID" \
        --log-dir "$STASIS_TMP/logs" -n "$ROUNDS" "$@" "$P/writers" "$P/idle"
