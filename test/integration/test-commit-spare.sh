#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-commit-spare.sh - the commit worker started ahead (stasisd-spare.c):
# a btrfs set's snapshot is taken by the spare that waited for it, and the
# next one is started; a set with an external provider, or one made while no
# spare waits, forks its worker as before; a spare that dies while it waits,
# or that is stopped once given its job, costs no set more than its own
# deadline; three spares lost in a row stop the spares; the spare dies with
# stasisd; STASIS_COMMIT_SPARE=0 starts none.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

stasis_env_init
stasis_start_bus
T=$STASIS_TMP
stasis_install_test_provider
echo ok > "$TEST_PROVIDER_DIR/mode"
STASISD_ARGS="--providers-dir=$T/providers.d --commit-timeout=3"
stasis_start_daemon

stasis_make_fs btrfs pool
P=$STASIS_FS
btrfs -q subvolume create "$P/data"
echo hello > "$P/data/f"
stasis_make_fs ext4 e1 64M
E1=$STASIS_FS

spare() { pgrep -P "$STASISD_PID" -x commit-spare || true; }
has_spare() { [ -n "$(spare)" ]; }
worker() { pgrep -P "$STASISD_PID" "^commit-set" | head -n 1; }
worker_started() { [ -n "$(worker)" ]; }
logged() { grep -q "$1" "$T/stasisd.log"; }
n_sets() { "$STASIS" --json list | jq length; }

# 1. stasisd starts with a spare; the first btrfs set's worker is that
# process. The file system is frozen so that the worker waits in its
# snapshot ioctl, where it can be seen.
wait_for 5 has_spare
S1=$(spare)
fsfreeze -f "$P"
"$STASIS" create "$P/data" >"$T/c1.out" 2>&1 &
C=$!
wait_for 10 worker_started
assert_eq "$(worker)" "$S1" "the worker of the first set"
# ...and while it works, the next spare is started.
wait_for 5 has_spare
S2=$(spare)
[ "$S2" != "$S1" ] || stasis_die "no new spare while the first worked"
fsfreeze -u "$P"
wait "$C" || { cat "$T/c1.out"; stasis_die "create with the spare failed"; }
assert_eq "$("$STASIS" --json show 1 | jq -r .state)" created "set 1"
assert_eq "$(cat "$P/.stasis/1-0/f")" hello "the snapshot the spare took"
wait_for 5 sh -c "! kill -0 $S1 2>/dev/null"
# The next set goes to S2.
fsfreeze -f "$P"
"$STASIS" create "$P/data" >/dev/null &
C=$!
wait_for 10 worker_started
assert_eq "$(worker)" "$S2" "the worker of the second set"
fsfreeze -u "$P"
wait "$C"
wait_for 5 has_spare

# 2. A set whose provider is external (it holds ext4 frozen) forks its
# worker: the spare waits on.
S3=$(spare)
"$STASIS" create "$E1" >/dev/null
grep -q '^commit' "$TEST_PROVIDER_DIR/log" || stasis_die "the external provider did not commit"
assert_eq "$(spare)" "$S3" "the spare after an external provider's set"

# 3. The spare dies while it waits: the next set forks its worker, and a
# new spare follows.
kill -9 "$S3"
wait_for 5 logged "A commit worker started ahead (pid $S3) was killed by signal 9 while it waited"
[ -z "$(spare)" ] || stasis_die "a spare without a set having been made"
before=$(n_sets)
"$STASIS" create "$P/data" >/dev/null
assert_eq "$(n_sets)" $((before + 1)) "sets after the spare died"
wait_for 5 has_spare

# 4. The spare is stopped when it is given its job: the set fails at its
# deadline (3 s), with nothing left behind, and the next set is made.
S4=$(spare)
kill -STOP "$S4"
before=$(ls "$P/.stasis" | wc -l)
assert_exit 8 "$STASIS" create "$P/data"     # Timeout
assert_contains "$STASIS_ERR" "did not finish within 3 s" "the error of a stopped spare"
logged "Worker commit-set-.* (pid $S4) missed its deadline" || stasis_die "the deadline was not logged"
kill -CONT "$S4" 2>/dev/null || true
wait_for 5 sh -c "! kill -0 $S4 2>/dev/null"
assert_eq "$(ls "$P/.stasis" | wc -l)" "$before" "snapshots after the stopped spare's set"
assert_eq "$("$STASIS" --json list | jq '[.[] | select(.state != "created")] | length')" 0 "failed sets kept"
"$STASIS" create "$P/data" >/dev/null
wait_for 5 has_spare

# 5. Three spares lost in a row: stasisd stops starting them, and forks.
for i in 1 2 3; do
        wait_for 5 has_spare
        S=$(spare)
        kill -9 "$S"
        wait_for 5 logged "(pid $S) was killed by signal 9 while it waited"
        "$STASIS" create "$P/data" >/dev/null
done
logged "3 times in a row: stasisd forks each commit worker when it is needed" ||
        stasis_die "giving up on spares was not logged"
sleep 0.2
[ -z "$(spare)" ] || stasis_die "a spare was started after stasisd gave up on them"
"$STASIS" create "$P/data" >/dev/null
sleep 0.2
[ -z "$(spare)" ] || stasis_die "a spare was started after stasisd gave up on them"

# 6. The spare dies with stasisd, killed or stopped.
stasis_stop_daemon
stasis_start_daemon
wait_for 5 has_spare
S=$(spare)
stasis_stop_daemon
wait_for 5 sh -c "! kill -0 $S 2>/dev/null"
stasis_start_daemon
wait_for 5 has_spare
S=$(spare)
kill -9 "$STASISD_PID"
wait "$STASISD_PID" 2>/dev/null || true
STASISD_PID=
wait_for 5 sh -c "! kill -0 $S 2>/dev/null"

# 7. STASIS_COMMIT_SPARE=0: none, and sets are made as before.
STASIS_COMMIT_SPARE=0 stasis_start_daemon
"$STASIS" create "$P/data" >/dev/null
sleep 0.2
[ -z "$(spare)" ] || stasis_die "a spare with STASIS_COMMIT_SPARE=0"
stasis_stop_daemon
echo "test-commit-spare: ok"
