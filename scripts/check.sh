#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# check.sh - build stasis and run every test (unit, integration), once in a
# normal build and once under AddressSanitizer + UndefinedBehaviorSanitizer.
# Run as root on Debian 12: it installs what it needs. With CI set, a skipped
# test is a failure: CI has every dependency.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

scripts/install-deps.sh

total_pass=0 total_fail=0 total_skip=0

run_suite() {
        local dir=$1; shift
        if [ -d "$dir" ]; then
                meson setup --reconfigure "$dir" "$@" >/dev/null
        else
                meson setup "$dir" "$@" >/dev/null
        fi
        ninja -C "$dir"
        local rc=0
        meson test -C "$dir" --print-errorlogs --num-processes 1 || rc=$?
        local log=$dir/meson-logs/testlog.json
        local pass fail skip
        pass=$(jq -s '[.[] | select(.result == "OK" or .result == "EXPECTEDFAIL")] | length' "$log")
        fail=$(jq -s '[.[] | select(.result != "OK" and .result != "EXPECTEDFAIL" and .result != "SKIP")] | length' "$log")
        skip=$(jq -s '[.[] | select(.result == "SKIP")] | length' "$log")
        jq -r -s '.[] | select(.result == "SKIP") | "skipped: \(.name)"' "$log"
        echo "$dir: $pass passed, $fail failed, $skip skipped"
        total_pass=$((total_pass + pass)) total_fail=$((total_fail + fail)) total_skip=$((total_skip + skip))
        [ "$rc" = 0 ] || [ "$fail" -gt 0 ] || total_fail=$((total_fail + 1))
}

run_suite build
run_suite build-sanitize -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug

# Coverage-guided fuzzing of every parser for a short while (clang's libFuzzer).
fuzz() {
        local dir=build-fuzz t corpus out rc
        if [ ! -d "$dir" ]; then
                CC=clang meson setup "$dir" -Db_sanitize=address,undefined -Db_lundef=false \
                        -Dc_args=-fsanitize=fuzzer-no-link >/dev/null
        fi
        for t in test/fuzz/corpus/*; do
                t=${t##*/}
                ninja -C "$dir" "test/fuzz/fuzz-$t-libfuzzer" >/dev/null
                corpus=$(mktemp -d)
                cp "test/fuzz/corpus/$t/"* "$corpus/"
                out=$(mktemp)
                rc=0
                "$dir/test/fuzz/fuzz-$t-libfuzzer" -max_total_time="${STASIS_FUZZ_SECONDS:-20}" \
                        -artifact_prefix="$dir/fuzz-$t-" "$corpus" >"$out" 2>&1 || rc=$?
                if [ "$rc" = 0 ]; then
                        echo "fuzz-$t: $(grep -o 'Done [0-9]* runs.*' "$out")"
                        total_pass=$((total_pass + 1))
                else
                        tail -n 40 "$out"
                        echo "fuzz-$t: FAILED (crash input saved under $dir/fuzz-$t-*)"
                        total_fail=$((total_fail + 1))
                fi
                rm -rf "$corpus" "$out"
        done
}
fuzz

if [ -n "${CI:-}" ] && [ "$total_skip" -gt 0 ]; then
        echo "CI has every dependency, so no test may skip; $total_skip did." >&2
        total_fail=$((total_fail + total_skip))
fi
echo
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" = 0 ]
