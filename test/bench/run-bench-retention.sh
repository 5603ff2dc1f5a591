#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# run-bench-retention.sh [ROUNDS] [SETS] - `stasis list` and the retention
# decision (`stasis cleanup --dry-run`) over SETS (default 10000) sets in the
# catalog, against the same commands over 1 set, in the same run: medians of
# ROUNDS (default 15) runs each, as ratios and in ms. The sets are recorded
# with the test-only `stasisd --test-populate-catalog=N:POLICY` (sets without
# snapshots, an hour apart, of one policy: KeepLast=10 Hourly=24 Daily=7
# Weekly=4 Monthly=12, so that most of them would go), so the figures leave
# out what a provider takes to delete. Targets: list <= 100 ms, cleanup
# decision <= 200 ms. Needs root and a build. Exits 0 whatever the figures.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
ROUNDS=${1:-15}
SETS=${2:-10000}
stasis_bench_require "$STASISD" "$STASIS"
stasis_env_init
stasis_start_bus
T=$STASIS_TMP
stasis_log "kernel $(uname -r), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

mkdir -p "$T/policies"
printf '[Set]\nPaths=/\n[Retention]\nKeepLast=10\nHourly=24\nDaily=7\nWeekly=4\nMonthly=12\n' > "$T/policies/bench.conf"

# median_ms CMD...: runs CMD ROUNDS times (output thrown away); prints the median in ms (3 decimals).
median_ms() {
        local i t0 ts=()
        for (( i = 0; i < ROUNDS; i++ )); do
                t0=$(date +%s%N)
                "$@" >/dev/null
                ts+=($(( $(date +%s%N) - t0 )))
        done
        printf '%s\n' "${ts[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.3f", a[int((NR + 1) / 2)] / 1e6 }'
}

# measure N: a catalog of N sets, stasisd on it; sets LIST and CLEANUP (ms).
measure() {
        export STASIS_STATE_DIR=$T/state-$1
        "$STASISD" --state-dir "$STASIS_STATE_DIR" --test-populate-catalog="$1:bench" >/dev/null
        STASISD_ARGS="--policies-dir=$T/policies" stasis_start_daemon "$T/stasisd-$1.log"
        [ "$(stasis_count_sets)" = "$1" ] || stasis_die "stasisd lists $(stasis_count_sets) sets, not $1"
        LIST=$(median_ms "$STASIS" list)
        CLEANUP=$(median_ms "$STASIS" cleanup --dry-run bench)
        WOULD=$("$STASIS" --json cleanup --dry-run bench | jq length)
        stasis_stop_daemon
}

measure 1
LIST1=$LIST CLEANUP1=$CLEANUP
measure "$SETS"
stasis_log "$SETS sets: the dry run would remove $WOULD"
printf '%-28s %12s %12s %8s %8s\n' "" "1 set" "$SETS sets" ratio target
printf '%-28s %9s ms %9s ms %8s %8s\n' "stasis list" "$LIST1" "$LIST" \
        "$(awk -v a="$LIST" -v b="$LIST1" 'BEGIN { printf "%.1f", a / b }')" "100 ms"
printf '%-28s %9s ms %9s ms %8s %8s\n' "stasis cleanup --dry-run" "$CLEANUP1" "$CLEANUP" \
        "$(awk -v a="$CLEANUP" -v b="$CLEANUP1" 'BEGIN { printf "%.1f", a / b }')" "200 ms"
