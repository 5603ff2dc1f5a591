#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-set-life.sh - the ends of a set's making that the other tests do not
# reach: a set whose only writer failed Freeze (so nobody is left to thaw)
# and whose commit then fails. The thaw ends at once, the set goes within
# it, and stasisd must not touch the set afterwards: it answers the failure,
# leaves nothing frozen or recorded, and goes on making sets.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
stasis_env_init
stasis_start_bus

stasis_install_test_provider
mode() { echo "$1" > "$TEST_PROVIDER_DIR/mode"; : > "$TEST_PROVIDER_DIR/log"; }
mode fail
STASISD_ARGS="--providers-dir=$STASIS_TMP/providers.d" stasis_start_daemon
T=$STASIS_TMP

stasis_make_fs ext4 e1 64M
E1=$STASIS_FS

# A writer of the volume that fails Freeze; the set does not require it.
stasis_start_writer --name app --component data="$E1" --log "$T/app.log" --fault Freeze:fail
APP=$STASIS_WRITER_PID

# 1. Freeze fails (the set goes on without the writer), then the commit fails.
for i in 1 2; do
        assert_exit 1 "$STASIS" create "$E1"
        assert_contains "$STASIS_ERR" "the array is on fire" "the provider's failure, set $i"
        kill -0 "$STASISD_PID" 2>/dev/null || stasis_die "stasisd died after set $i failed"
done
grep -q "^commit .* frozen=yes" "$TEST_PROVIDER_DIR/log" || stasis_die "the commit did not run in a hold"
assert_eq "$(stasis_count_sets)" 0 "no set is left of the failed ones"
stasis_writable "$E1" || stasis_die "$E1 stayed frozen"
grep -q "Abort" "$T/app.log" || stasis_die "the writer was not told: $(cat "$T/app.log")"

# 2. stasisd goes on: the next set is made (without the writer, crash-consistent for it).
mode ok
out=$("$STASIS" --json create "$E1")
assert_eq "$(jq -r .state <<<"$out")" created "a set after the failed ones"
id=$(jq -r .id <<<"$out")
"$STASIS" delete "$id"

stasis_stop_writer "$APP"
stasis_stop_daemon
echo "ok"
