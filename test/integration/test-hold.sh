#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-hold.sh - the hold phase with an external provider that asks to be
# held frozen: file systems really are frozen during its commit and thawed
# after; bind mounts are frozen once; a stacked file system is frozen before
# the one holding its image; and nothing stays frozen when the provider
# hangs, fails or talks nonsense, when the worker is stopped, or when
# stasisd is killed in the middle of the hold. stasisd expedites RCU grace
# periods for its FIFREEZEs, and whoever ends a hold in the worker's place
# turns them off again.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
stasis_env_init
stasis_start_bus

# The kernel's switch for expedited RCU grace periods, for the whole
# system: off for this test, and put back as it was at the end.
RCU=/sys/kernel/rcu_expedited
RCU0=$(cat "$RCU")
echo 0 > "$RCU"
trap 'rc=$?; set +e; echo "$RCU0" > "$RCU"; (exit $rc); stasis_cleanup' EXIT

stasis_install_test_provider
mode() { echo "$1" > "$TEST_PROVIDER_DIR/mode"; : > "$TEST_PROVIDER_DIR/log"; }
mode ok
start() { STASISD_ARGS="--providers-dir=$STASIS_TMP/providers.d --hold-timeout=${1:-10}" stasis_start_daemon; }
start

# create_in_hold VOLUME...: with a slow provider, starts `stasis create` in
# the background and returns once the provider commits (file systems frozen);
# sets CLI (its pid) and WORKER (stasisd's commit worker).
in_commit() { grep -q '^commit' "$TEST_PROVIDER_DIR/log"; }
create_in_hold() {
        mode slow
        "$STASIS" create "$@" >/dev/null 2>"$STASIS_TMP/create.err" &
        CLI=$!
        stasis_track_pid "$CLI"
        wait_for 5 in_commit
        WORKER=$(pgrep -P "$STASISD_PID" "^commit-set" | head -n1)
}

stasis_make_fs ext4 e1 64M; E1=$STASIS_FS
stasis_make_fs ext4 e2 64M; E2=$STASIS_FS
stasis_make_fs xfs x1 300M; X=$STASIS_FS


# 1. Two ext4 volumes held together: frozen during the commit, one instant.
out=$("$STASIS" --json create "$E1" "$E2")
assert_eq "$(jq -r .state <<<"$out")" created "state"
assert_eq "$(jq -r .consistency <<<"$out")" crash-atomic "both held at once"
assert_eq "$(jq -r '.volumes[0].provider' <<<"$out")" testprov "provider"
assert_eq "$(jq -r '.volumes[0].snapshot' <<<"$out")" "stasis-1-0" "handle"
grep -q "commit 1 $E1 frozen=yes" "$TEST_PROVIDER_DIR/log" || stasis_die "E1 not frozen during commit: $(cat "$TEST_PROVIDER_DIR/log")"
grep -q "commit 1 $E2 frozen=yes" "$TEST_PROVIDER_DIR/log" || stasis_die "E2 not frozen during commit"
stasis_writable "$E1" || stasis_die "E1 still frozen after the set"
stasis_writable "$E2" || stasis_die "E2 still frozen after the set"
[ ! -e "$STASIS_STATE_DIR/freeze.journal" ] || stasis_die "journal left after the thaw"
grep -q "Set 1: held 2 file system(s) for" "$STASIS_TMP/stasisd.log" || stasis_die "hold time not logged"
"$STASIS" delete 1 >/dev/null
[ ! -e "$TEST_PROVIDER_DIR/snap-stasis-1-0" ] || stasis_die "delete did not reach the provider"

# 1b. A provider that asks not to be held: called on a live file system, with
# the commit time limit, and two such volumes are only per-volume consistent.
# (stasisd keeps a provider's probe answer per mount and path for a while:
# other paths on the same volumes get a fresh probe.)
mode nohold
mkdir -p "$E1/nohold" "$E2/nohold"
out=$("$STASIS" --json create "$E1/nohold" "$E2/nohold")
assert_eq "$(jq -r .state <<<"$out")" created "state without a hold"
assert_eq "$(jq -r .consistency <<<"$out")" per-volume "not held: per-volume"
assert_eq "$(jq -r .hold_usec <<<"$out")" 0 "no hold time"
grep -q "frozen=no" "$TEST_PROVIDER_DIR/log" || stasis_die "a hold-none volume was frozen"
"$STASIS" delete "$(jq -r .id <<<"$out")" >/dev/null

# 2. A bind mount of E1 and E1 itself: one file system, frozen once.
mkdir -p "$STASIS_TMP/bind"
mount --bind "$E1" "$STASIS_TMP/bind"
stasis_track_mount "$STASIS_TMP/bind"
mode ok
assert_exit 0 "$STASIS" create "$E1" "$STASIS_TMP/bind"
assert_eq "$(grep -c '^commit' "$TEST_PROVIDER_DIR/log")" 1 "one volume for a bind mount"

# 3. Stacked: an ext4 image on the xfs volume, mounted; both in one set. The
# ext4 must be frozen first (its journal is written into the image on xfs).
truncate -s 64M "$X/inner.img"
mkfs.ext4 -q -F "$X/inner.img"
INNER_DEV=$(losetup --find --show "$X/inner.img")
mkdir -p "$STASIS_TMP/mnt/inner"
mount "$INNER_DEV" "$STASIS_TMP/mnt/inner"
stasis_track_mount "$STASIS_TMP/mnt/inner"
stasis_track_loop "$INNER_DEV"
I=$STASIS_TMP/mnt/inner
echo data > "$I/file"
mode ok
out=$(timeout 30 "$STASIS" --json create "$X" "$I") || stasis_die "stacked set failed or hung"
assert_eq "$(jq -r .state <<<"$out")" created "stacked state"
grep -q "journal $I $X" "$TEST_PROVIDER_DIR/log" || stasis_die "freeze order is not inner first: $(grep journal "$TEST_PROVIDER_DIR/log")"
stasis_writable "$I" && stasis_writable "$X" || stasis_die "stacked file systems not thawed"

# 4. A provider that fails: the set fails with its reason; nothing frozen.
before=$(ls "$TEST_PROVIDER_DIR" | grep -c '^snap-' || true)
mode fail
assert_exit 1 "$STASIS" create "$E1"
assert_contains "$STASIS_ERR" "provider testprov commit failed (exit status 1): the array is on fire"
stasis_writable "$E1" || stasis_die "E1 frozen after a failed commit"
assert_eq "$(ls "$TEST_PROVIDER_DIR" | grep -c '^snap-' || true)" "$before" "snapshots after a failed commit"

# 4b. A file system someone else froze: the set fails, and that freeze is
# theirs to end: stasis does not thaw it.
mode ok
fsfreeze -f "$E2"
assert_exit 1 "$STASIS" create "$E1" "$E2"
assert_contains "$STASIS_ERR" "cannot freeze $E2: it is already frozen (by someone else?)"
if stasis_writable "$E2"; then stasis_die "stasis thawed a freeze that was not its own"; fi
stasis_writable "$E1" || stasis_die "E1 left frozen after the failed set"
fsfreeze -u "$E2"
stasis_writable "$E2" || stasis_die "E2 not writable after its owner thawed it"

# 5. Nonsense from a provider, named. (Fresh paths: probe answers are kept a while.)
mode garbage
mkdir -p "$E2/garbage"
assert_exit 6 "$STASIS" create "$E2/garbage"
assert_contains "$STASIS_ERR" "provider testprov probe exited 0 but did not print a JSON object"
mode version2
mkdir -p "$E2/version2"
assert_exit 6 "$STASIS" create "$E2/version2"
assert_contains "$STASIS_ERR" "provider testprov probe speaks protocol version 2"
mode badprobe
mkdir -p "$E2/badprobe"
assert_exit 6 "$STASIS" create "$E2/badprobe"
assert_contains "$STASIS_ERR" "provider testprov probe: \"priority\" must be a whole number from 1 to 1000"
mode nokey
mkdir -p "$E2/nokey"
assert_exit 6 "$STASIS" create "$E2/nokey"
assert_contains "$STASIS_ERR" "provider testprov probe: answer lacks \"key\" or \"source\""
mode baddetails
mkdir -p "$E2/baddetails"
assert_exit 6 "$STASIS" create "$E2/baddetails"
assert_contains "$STASIS_ERR" "provider testprov probe: detail \"lv\" is not text of at most 256 bytes"
# What a provider tells of a volume, shown by stasis volumes.
mode details
mkdir -p "$E2/details"
out=$("$STASIS" --json volumes "$E2/details")
assert_eq "$(jq -c '.[0].details' <<<"$out")" '{"box":"b1","room_free":"3221225472","n":"7"}' "details of the volume"
assert_contains "$("$STASIS" volumes "$E2/details")" "box=b1 room_free=3.0GiB n=7" "the DETAILS column"
mode badjson
mkdir -p "$E2/badjson"
assert_exit 6 "$STASIS" create "$E2/badjson"
assert_contains "$STASIS_ERR" "provider testprov probe exited 0 but did not print a JSON object"
mode noversion
mkdir -p "$E2/noversion"
assert_exit 6 "$STASIS" create "$E2/noversion"
assert_contains "$STASIS_ERR" "provider testprov probe answered without a \"version\""

# 5b. All or nothing across providers: the provider's snapshot is taken, then
# the btrfs snapshot fails (its name is taken): the provider's is removed.
stasis_make_fs btrfs b1; B=$STASIS_FS
btrfs -q subvolume create "$B/vol"
assert_eq "$("$STASIS" --json volumes "$B/vol" | jq -c '.[0].details')" '{}' "no details from btrfs"
mode ok
# Ids are never reused, so take every name the next sets could get (the
# btrfs volume is the set's second).
btrfs -q subvolume create "$B/.stasis"
chmod 700 "$B/.stasis"
for i in $(seq 1 20); do mkdir "$B/.stasis/$i-1"; done
assert_exit 1 "$STASIS" create "$E1" "$B/vol"
next=$(sed -n 's/.*Creating snapshot set \([0-9]*\) failed.*/\1/p' <<<"$STASIS_ERR")
[ -n "$next" ] || stasis_die "no set id in: $STASIS_ERR"
assert_contains "$STASIS_ERR" "cannot snapshot $B/vol to $(blkid -s UUID -o value "$STASIS_DEV"):/.stasis/$next-1"
grep -q "^commit $next $E1 frozen=yes" "$TEST_PROVIDER_DIR/log" || stasis_die "the provider was not asked first"
[ -z "$(ls "$TEST_PROVIDER_DIR" | grep "snap-stasis-$next-")" ] || stasis_die "the provider's snapshot was not rolled back"
for i in $(seq 1 20); do rmdir "$B/.stasis/$i-1"; done

# 6. A provider that hangs: killed at the hold deadline, everything thawed.
stasis_stop_daemon
start 1
mode hang
t0=$(date +%s%N)
assert_exit 8 "$STASIS" create "$E1" "$E2"
t1=$(date +%s%N)
assert_contains "$STASIS_ERR" "the hold window ended before provider testprov finished its commit"
stasis_writable "$E1" && stasis_writable "$E2" || stasis_die "frozen after a hanging provider"
[ $(( (t1 - t0) / 1000000 )) -lt 3000 ] || stasis_die "the hang was not cut at the 1 s hold limit"
pid=$(cat "$TEST_PROVIDER_DIR/commit.pid")
gone() { ! kill -0 "$pid" 2>/dev/null; }
wait_for 5 gone
assert_eq "$(stasis_count_sets)" 2 "the bind-mount and stacked sets are left"

# 7. The worker is stopped (SIGSTOP) in the hold: stasisd thaws at the deadline.
create_in_hold "$E1"
kill -STOP "$WORKER"
rc=0; wait "$CLI" || rc=$?
assert_eq "$rc" 8 "create exit code when the worker is stopped"
assert_contains "$(cat "$STASIS_TMP/create.err")" "did not end within 1 s"
stasis_writable "$E1" || stasis_die "E1 frozen after the worker was stopped"
grep -q "did not thaw within 1 s; killing it and thawing" "$STASIS_TMP/stasisd.log" || stasis_die "watchdog not logged"

# 7b. The worker is killed (by someone else) in the hold: stasisd thaws at once
# (and turns expedited grace periods off, as if the worker died with them on).
create_in_hold "$E2"
grep -qx "rcu_expedited 0" "$STASIS_STATE_DIR/freeze.journal" || stasis_die "the worker does not expedite its freeze"
echo 1 > "$RCU"
kill -9 "$WORKER"
t0=$(date +%s%N)
stasis_writable "$E2" || stasis_die "E2 frozen after its worker was killed"
t1=$(date +%s%N)
[ $(( (t1 - t0) / 1000000 )) -lt 1000 ] || stasis_die "thaw took $(( (t1 - t0) / 1000000 )) ms after the worker died"
rc=0; wait "$CLI" || rc=$?
assert_eq "$rc" 1 "create exit code when the worker is killed"
assert_contains "$(cat "$STASIS_TMP/create.err")" "crashed"
wait_for 5 test ! -e "$STASIS_STATE_DIR/freeze.journal"
assert_eq "$(cat "$RCU")" 0 "expedited RCU grace periods after the hold's worker was killed"

# 8. stasisd is killed during the hold: the worker thaws at once.
stasis_stop_daemon
start 10
create_in_hold "$E1" "$E2"
kill -9 "$STASISD_PID"; wait "$STASISD_PID" 2>/dev/null || true; STASISD_PID=
t0=$(date +%s%N)
stasis_writable "$E1" && stasis_writable "$E2" || stasis_die "frozen after stasisd was killed"
t1=$(date +%s%N)
[ $(( (t1 - t0) / 1000000 )) -lt 1000 ] || stasis_die "thaw took $(( (t1 - t0) / 1000000 )) ms after stasisd died"
wait "$CLI" 2>/dev/null || true

# 9. stasisd and its worker both killed during the hold: the file systems stay
# frozen until stasisd starts again and thaws them from its journal.
start 10
create_in_hold "$E2"
kill -9 "$WORKER" "$STASISD_PID"; wait "$STASISD_PID" 2>/dev/null || true; STASISD_PID=
if stasis_writable "$E2"; then stasis_die "E2 should still be frozen: nobody was left to thaw it"; fi
[ -s "$STASIS_STATE_DIR/freeze.journal" ] || stasis_die "no freeze journal"
echo 1 > "$RCU"
start 10
assert_eq "$(cat "$RCU")" 0 "expedited RCU grace periods after recovery from the journal"
grep -q "Turned expedited RCU grace periods off again" "$STASIS_TMP/stasisd.log" || stasis_die "RCU restore not logged"
stasis_writable "$E2" || stasis_die "the restarted stasisd did not thaw E2 from its journal"
grep -q "Thawed $E2, which a previous run left frozen" "$STASIS_TMP/stasisd.log" || stasis_die "journal thaw not logged"
[ ! -e "$STASIS_STATE_DIR/freeze.journal" ] || stasis_die "journal left after recovery"
wait "$CLI" 2>/dev/null || true

# 10. The same with a stacked pair: the journal is thawed outermost first
# (thawing the inner one first would block on the frozen outer one).
stasis_stop_daemon
start 10
create_in_hold "$X" "$I"
kill -9 "$WORKER" "$STASISD_PID"; wait "$STASISD_PID" 2>/dev/null || true; STASISD_PID=
if stasis_writable "$X"; then stasis_die "X should still be frozen"; fi
start 10
stasis_writable "$X" && stasis_writable "$I" || stasis_die "the stacked pair was not thawed from the journal"
wait "$CLI" 2>/dev/null || true

# 11. With --expedite-freeze=no the worker leaves the switch alone; with it, a
# switch already on is left on.
stasis_stop_daemon
STASISD_ARGS="--providers-dir=$STASIS_TMP/providers.d --expedite-freeze=no" stasis_start_daemon
create_in_hold "$E1"
if grep -q "rcu_expedited" "$STASIS_STATE_DIR/freeze.journal"; then stasis_die "expedited with --expedite-freeze=no"; fi
wait "$CLI"
stasis_stop_daemon
start 10
echo 1 > "$RCU"
mode ok
"$STASIS" create "$E1" >/dev/null
assert_eq "$(cat "$RCU")" 1 "a switch that was on before the freeze"
echo 0 > "$RCU"
"$STASIS" create "$E1" >/dev/null
assert_eq "$(cat "$RCU")" 0 "the switch after a freeze"
echo "ok"
