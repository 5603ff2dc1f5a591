#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# run-bench-hold.sh [ROUNDS] [BENCH-HOLD OPTIONS...] - benchmark the hold
# window (first FIFREEZE to last FITHAW) of sets of 1, 2, 4 and 8 ext4/xfs
# volumes under a write load: stasis create through stasisd and the loopclone
# provider, against the same freeze-clone-thaw sequence done directly by
# bench-hold. Sets up a private bus, an xfs "pool" (reflinks) with eight
# image files (ext4 and xfs by turns) on loop devices, mounted, and stasisd
# with the loopclone provider and its store on the pool; then runs bench-hold
# (see docs/benchmarks.md). Needs root and a build (ninja -C build). Exits 0
# whether or not the target is met; non-zero only when something fails.
# Whatever happens, nothing stays frozen, mounted or attached.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

ROUNDS=30
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then
        ROUNDS=$1
        shift
fi
BENCH=${BENCH_HOLD:-$STASIS_BUILD_DIR/test/bench/bench-hold}
PROVIDER=${STASIS_PROVIDER_LOOPCLONE:-$STASIS_BUILD_DIR/src/providers/exec/stasis-provider-loopclone}
stasis_bench_require "$BENCH" "$STASIS" "$STASISD" "$PROVIDER"
command -v mkfs.xfs >/dev/null || { echo "SKIP: needs mkfs.xfs"; exit 77; }

stasis_env_init
stasis_start_bus

# The volumes live in images on the pool, so lib.sh's cleanup (which knows
# the pool) cannot take the pool away while they hold it. This cleanup stops
# the benchmark (it thaws before it exits) and stasisd (its worker thaws when
# stasisd goes), thaws and unmounts the volumes, detaches their loop devices
# and any left on files of this run, then hands over to lib.sh's cleanup
# with the exit status.
_hb_loops=()
_hb_mounts=()
BENCH_PID=
BENCH_RAN=
TRACEFS=${TRACEFS:-/sys/kernel/tracing}
# shellcheck disable=SC2317  # runs from the EXIT trap
hb_cleanup() {
        local rc=$? i
        set +e
        if [ -n "$BENCH_PID" ]; then
                kill "$BENCH_PID" 2>/dev/null
                for (( i = 0; i < 100; i++ )); do
                        kill -0 "$BENCH_PID" 2>/dev/null || break
                        sleep 0.1
                done
                kill -9 "$BENCH_PID" 2>/dev/null
                wait "$BENCH_PID" 2>/dev/null
        fi
        # Its trace instance, if it could not remove it itself (killed).
        if [ -n "$BENCH_RAN" ] && [ -d "$TRACEFS/instances/bench-hold-$BENCH_RAN" ]; then
                echo 0 > "$TRACEFS/instances/bench-hold-$BENCH_RAN/tracing_on"
                rmdir "$TRACEFS/instances/bench-hold-$BENCH_RAN"
        fi 2>/dev/null
        stasis_stop_daemon || { [ "$rc" != 0 ] || rc=1; }
        for (( i=${#_hb_mounts[@]}-1; i>=0; i-- )); do
                fsfreeze -u "${_hb_mounts[$i]}" 2>/dev/null
        done
        for (( i=${#_hb_mounts[@]}-1; i>=0; i-- )); do
                # The writers die once their file system is thawed; give them a moment.
                umount "${_hb_mounts[$i]}" 2>/dev/null || { sleep 0.5; umount "${_hb_mounts[$i]}" 2>/dev/null; } ||
                        umount -l "${_hb_mounts[$i]}" 2>/dev/null
        done
        for (( i=${#_hb_loops[@]}-1; i>=0; i-- )); do
                losetup -d "${_hb_loops[$i]}" 2>/dev/null
        done
        losetup -n -l -O NAME,BACK-FILE 2>/dev/null | while read -r dev file; do
                case $file in "$STASIS_TMP"/*) [ "$dev" = "$POOL_DEV" ] || losetup -d "$dev" 2>/dev/null ;; esac
        done
        ( exit "$rc" )
        stasis_cleanup
}
trap hb_cleanup EXIT
POOL_DEV=

# The pool: xfs, so FICLONE makes reflink clones of the images.
stasis_make_fs xfs pool 4G
POOL=$STASIS_FS
POOL_DEV=$STASIS_DEV
mkdir "$POOL/images" "$POOL/store" "$POOL/raw"

# Eight volumes, ext4 and xfs by turns (xfs needs 300 MiB at least); all
# images are sparse.
VOLS=()
for i in 1 2 3 4 5 6 7 8; do
        if (( i % 2 )); then type=ext4 size=64M; else type=xfs size=300M; fi
        img=$POOL/images/v$i.img
        truncate -s $size "$img"
        case $type in
        ext4) mkfs.ext4 -q -F "$img" >/dev/null ;;
        xfs)  mkfs.xfs -q -f "$img" >/dev/null ;;
        esac
        dev=$(losetup --find --show "$img") || stasis_die "losetup $img failed"
        _hb_loops+=("$dev")
        mnt=$STASIS_TMP/mnt/v$i
        mkdir -p "$mnt"
        mount "$dev" "$mnt" || stasis_die "mount $dev failed"
        _hb_mounts+=("$mnt")
        VOLS+=("$mnt")
done
# Only these file systems: a plain sync would wait for any file system
# someone else holds frozen.
sync -f "${VOLS[@]}" "$POOL"

# stasisd with the loopclone provider (under the name "loopclone"), its
# clones in a store on the pool (the volumes it freezes are not the pool).
export STASIS_LOOPCLONE_STORE=$POOL/store
stasis_install_provider loopclone "$PROVIDER" STASIS_LOOPCLONE_STORE="$STASIS_LOOPCLONE_STORE"
STASISD_ARGS="--providers-dir=$STASIS_TMP/providers.d ${BENCH_HOLD_STASISD_ARGS:-}" stasis_start_daemon
got=$("$STASIS" --json volumes "${VOLS[0]}" "${VOLS[1]}" | jq -r '[.[].provider] | join(",")')
[ "$got" = "loopclone,loopclone" ] || stasis_die "the volumes are not loopclone's: $got"

# Split stasis's window from a kernel trace of stasisd and what it forks (a
# private tracefs instance), where tracefs is there; BENCH_HOLD_TRACE=0: no.
TRACE=()
if [ "${BENCH_HOLD_TRACE:-1}" != 0 ] && [ -d "$TRACEFS/instances" ]; then
        TRACE=(--trace-pid "$STASISD_PID" --tracefs "$TRACEFS")
fi

stasis_log "kernel $(uname -r), $(nproc) cores, $(mkfs.xfs -V), $(mke2fs -V 2>&1 | head -n1)"
"$BENCH" --stasis "$STASIS" --provider "$STASIS_TMP/providers.d/loopclone" -n "$ROUNDS" "${TRACE[@]}" "$@" \
        "$POOL/raw" "${VOLS[@]}" &
BENCH_PID=$!
BENCH_RAN=$BENCH_PID
rc=0
wait "$BENCH_PID" || rc=$?
BENCH_PID=
left=$(find "$POOL/store" "$POOL/raw" -mindepth 1 2>/dev/null || true)
[ -z "$left" ] || stasis_log "left in the pool: $left"
exit "$rc"
