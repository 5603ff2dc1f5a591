#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-request-id-kill.sh - stasisd killed (SIGKILL) at a random moment of a
# CreateSet with a request id, started again, and the create retried with the
# same id: exactly one set exists for each id, every time (100 rounds, the
# seed printed: STASIS_SEED=N repeats a run). A slow writer keeps stasisd in
# the call for a while, so that the kill falls before the set is recorded,
# while it is being made, or after it is made and before or after the answer.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
[ -x "$STASIS_TEST_WRITER" ] || stasis_die "build the test helpers first ($STASIS_TEST_WRITER)"

ROUNDS=${STASIS_ROUNDS:-100}
SEED=${STASIS_SEED:-$(( $(date +%s) % 32768 ))}
RANDOM=$SEED
echo "# seed $SEED (STASIS_SEED=$SEED repeats this run)"

stasis_env_init
T=$STASIS_TMP
stasis_start_bus
mkdir -p "$T/providers.d"
STASISD_ARGS="--providers-dir $T/providers.d"
stasis_start_daemon
stasis_make_fs btrfs pool
P=$STASIS_FS
btrfs -q subvolume create "$P/db"
chmod 755 "$T" "$T/mnt"

# PrepareSnapshot answers after 40 ms: a create takes some 50 ms to 100 ms.
stasis_start_writer --name slow --component data="$P/db" --fault PrepareSnapshot:slow:40
sets_settled() {        # no set half made or being deleted
        [ "$("$STASIS" --json list | jq '[.[] | select(.state != "created")] | length')" = 0 ]
}
killed_before=0 killed_after=0
for (( i = 1; i <= ROUNDS; i++ )); do
        id="job-$i"
        "$STASIS" --json create --request-id "$id" --component slow:data >"$T/first.json" 2>"$T/first.err" &
        cli=$!
        # 0 to 99 ms: before the call arrives, while it is made, after.
        sleep "0.$(printf '%03d' $(( RANDOM % 100 )))"
        kill -9 "$STASISD_PID"
        wait "$STASISD_PID" 2>/dev/null || true
        STASISD_PID=
        rc=0; wait "$cli" || rc=$?
        stasis_start_daemon
        # The writer is back (it registers again with the new stasisd).
        wait_until 10 "stasis_writer_listed slow"
        # Retried with the same id: the set of the first call, or a new one.
        "$STASIS" --json create --request-id "$id" --component slow:data >"$T/retry.json" 2>"$T/retry.err" ||
                { cat "$T/retry.err" >&2; stasis_die "round $i: the retry of $id failed"; }
        got=$(jq -r .id "$T/retry.json")
        if [ "$rc" = 0 ]; then
                killed_after=$(( killed_after + 1 ))
                assert_eq "$got" "$(jq -r .id "$T/first.json")" "round $i: the retry answers with the set the first call got"
        else
                killed_before=$(( killed_before + 1 ))
                case $rc in 5|11) ;; *) cat "$T/first.err" >&2; stasis_die "round $i: the first call exited $rc" ;; esac
        fi
        # Again: still that set.
        assert_eq "$("$STASIS" --json create --request-id "$id" --component slow:data | jq -r .id)" "$got" \
                "round $i: a second retry"
        assert_eq "$("$STASIS" --json show --request-id "$id" | jq -r .id)" "$got" "round $i: show --request-id"
        # What the killed stasisd left half made goes; one set per id stays.
        wait_until 30 sets_settled
        n=$(stasis_count_sets)
        [ "$n" = "$i" ] || { "$STASIS" list >&2; stasis_die "round $i ($id): $n sets for $i request ids"; }
done
half=$(grep -c "was left creating by a previous run" "$T/stasisd.log" || true)
stasis_log "$ROUNDS rounds: $killed_before first calls got no answer ($half of them left a set half made," \
        "removed at the next start), $killed_after got theirs before the kill"
# Every set is application-consistent, and each id names its own.
assert_eq "$("$STASIS" --json list | jq '[.[] | select(.consistency != "application")] | length')" 0 \
        "every set application-consistent"
echo "ok"
