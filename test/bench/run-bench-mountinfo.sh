#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# run-bench-mountinfo.sh [ROUNDS] [MOUNTS] - benchmark the reading of
# /proc/self/mountinfo and the lookups in it (bench-mountinfo): the
# hand-written parser stasis used before libmount against libmount and
# against mountinfo.h as built, first on this machine's mount table, then in a
# private mount namespace (unshare -m) with MOUNTS (default 500) more mounts:
# tmpfs and bind mounts by turns, one in ten with a space, a tab and a
# backslash in its path, so that the escapes are decoded too. The namespace,
# and its mounts, go away with the benchmark; nothing is mounted outside it.
# Needs root and a build (ninja -C build). Exits 0 whatever the figures;
# non-zero only when something fails (see docs/benchmarks.md).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

ROUNDS=200
MOUNTS=500
if [ $# -gt 0 ]; then ROUNDS=$1; shift; fi
if [ $# -gt 0 ]; then MOUNTS=$1; shift; fi
BENCH=${BENCH_MOUNTINFO:-$STASIS_BUILD_DIR/test/bench/bench-mountinfo}
stasis_bench_require "$BENCH"
command -v unshare >/dev/null || { echo "SKIP: needs unshare (util-linux)"; exit 77; }

stasis_env_init
stasis_log "kernel $(uname -r), $(nproc) cores, libmount $(pkg-config --modversion mount 2>/dev/null || echo '?')"

stasis_log "this machine's mount table"
"$BENCH" -n "$ROUNDS"

stasis_log "$MOUNTS more mounts in a private mount namespace"
mkdir "$STASIS_TMP/many"
# shellcheck disable=SC2016  # expanded by the inner shell
unshare -m --propagation private bash -euc '
        dir=$1 mounts=$2 bench=$3 rounds=$4
        mount -t tmpfs -o size=1M,mode=0755 stasis-bench "$dir"
        mkdir "$dir/src"
        for (( i = 0; i < mounts; i++ )); do
                if (( i % 10 == 9 )); then
                        d=$(printf "%s/m %d\t\\\\x" "$dir" "$i")
                else
                        d=$dir/m$i
                fi
                mkdir "$d"
                if (( i % 2 )); then
                        mount --bind "$dir/src" "$d"
                else
                        mount -t tmpfs -o size=64k "tmpfs-$i" "$d"
                fi
        done
        exec "$bench" -n "$rounds"
' bench "$STASIS_TMP/many" "$MOUNTS" "$BENCH" "$ROUNDS"
