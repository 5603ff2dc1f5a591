#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-libstasis-requestor.sh - the requestor API of libstasis, through
# stasis-test-requestor (the public header only), against the real stasisd
# on a private bus: a set read back whole (alone, and with its backup metadata
# and exclusive size asked together), completed and deleted; concurrent
# asynchronous creates in each of the three ways to run the loop; sets made
# without "persistent" released when the requestor exits or is killed;
# signals, and forged ones ignored; every error name a requestor can provoke,
# with its code and errno.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
REQ=${STASIS_TEST_REQUESTOR:-$STASIS_BUILD_DIR/test/helpers/stasis-test-requestor}
[ -x "$REQ" ] || stasis_die "build the test helpers first ($REQ)"
[ -x "$STASIS_TEST_WRITER" ] || stasis_die "build the test helpers first ($STASIS_TEST_WRITER)"
stasis_setup
T=$STASIS_TMP

stasis_make_fs btrfs pool
P=$STASIS_FS
UUID=$(blkid -s UUID -o value "$STASIS_DEV")
btrfs -q subvolume create "$P/a"
btrfs -q subvolume create "$P/b"
echo alpha > "$P/a/f"
echo beta > "$P/b/f"

# The snapshots are in the file system's store, .stasis in its top-level
# subvolume, which is mounted at $P: the handle UUID:/.stasis/ID-INDEX is
# the path $P/.stasis/ID-INDEX here.
# req ARGS...: run the requestor; its output in $OUT, its status in $RC.
req() {
        RC=0
        OUT=$("$REQ" "$@" 2>"$T/req.err") || RC=$?
        [ "$RC" -le 1 ] || { cat "$T/req.err" >&2; stasis_die "stasis-test-requestor $* exited $RC: $OUT"; }
}
# expect_error NAME CODE ERRNO ARGS...: the call fails with that error name,
# StasisError code and errno (the helper has checked that they agree).
expect_error() {
        local name=$1 code=$2 errno=$3
        shift 3
        req "$@"
        assert_eq "$RC" 1 "stasis-test-requestor $* fails"
        assert_contains "$OUT" "error $name $code $errno: " "stasis-test-requestor $*"
}
field() { sed -n "s/^$1=//p" <<<"$OUT" | head -n 1; }

# 1. One set, the whole way: create (persistent, labelled), read, complete, delete.
req --loop sync --persistent --label "nightly" create "$P/a" "$P/b"
assert_eq "$RC" 0 "create: $OUT"
id=$(sed -n 's/^created //p' <<<"$OUT")
req show "$id"
assert_eq "$(field state)" created "state"
assert_eq "$(field label)" nightly "label"
assert_eq "$(field persistent)" 1 "persistent"
assert_eq "$(field path)" "/org/stasis1/set/$id" "object path"
assert_eq "$(field consistency)" per-volume "consistency of two btrfs subvolumes"
assert_eq "$(field completed)" 0 "not completed yet"
assert_eq "$(grep -c '^volume=' <<<"$OUT")" 2 "two volumes"
assert_contains "$OUT" "volume=$P/a $P " "volume a"
assert_contains "$OUT" " $P/a $UUID:/.stasis/$id-0 ok" "snapshot of a: the handle"
assert_contains "$OUT" " $P/b $UUID:/.stasis/$id-1 ok" "snapshot of b: the handle"
handle=$(sed -n "s|^volume=$P/b .* \([^ ]*\) ok\$|\1|p" <<<"$OUT")
echo changed > "$P/b/f"
assert_eq "$(cat "$P/${handle#*:/}/f")" beta "the snapshot of b holds b as it was"
echo beta > "$P/b/f"
[ "$(field created)" -gt 0 ] || stasis_die "created time is 0"
# The set, its metadata and its exclusive size asked together: the same set,
# without the caller's loop (the calls sent at once) and in it (one by one).
shown=$OUT
for loop in wait event; do
        req --loop "$loop" details "$id"
        assert_eq "$RC" 0 "details --loop $loop: $OUT"
        assert_eq "$(grep -v '^metadata=\|^exclusive=' <<<"$OUT")" "$shown" "details --loop $loop: the set"
        assert_eq "$(field metadata)" 0 "details --loop $loop: no backup metadata"
        assert_contains "$(field exclusive)" "unknown: quotas are not enabled on $P" "details --loop $loop: exclusive size"
done
req complete "$id"
assert_eq "$RC" 0 "complete: $OUT"
req show "$id"
[ "$(field completed)" -gt 0 ] || stasis_die "completed time is still 0"
req list
assert_contains "$OUT" "$id created persistent nightly" "list"
req delete "$id"
assert_eq "$RC" 0 "delete: $OUT"
[ -d "$P/.stasis" ] || stasis_die "no snapshot store in the top-level subvolume"
[ ! -e "$P/.stasis/$id-0" ] && [ ! -e "$P/.stasis/$id-1" ] || stasis_die "the snapshots stay after delete"

# 2. Concurrent asynchronous creates, in each way to run the loop; without
# persistent, each set is released when the requestor exits.
for loop in wait poll event; do
        req --loop "$loop" --count 6 --persistent create "$P/a"
        assert_eq "$RC" 0 "$loop: $OUT"
        assert_eq "$(grep -c '^created ' <<<"$OUT")" 6 "$loop: six sets"
        assert_eq "$(sed -n 's/^created //p' <<<"$OUT" | sort -u | wc -l)" 6 "$loop: six ids"
        for id in $(sed -n 's/^created //p' <<<"$OUT"); do
                [ -d "$P/.stasis/$id-0" ] || stasis_die "$loop: set $id has no snapshot"
                req delete "$id"
                assert_eq "$RC" 0 "$loop: delete $id: $OUT"
        done
        req --loop "$loop" --count 4 create "$P/a" "$P/b"
        assert_eq "$(grep -c '^created ' <<<"$OUT")" 4 "$loop: four auto-release sets"
        wait_until 10 '[ "$(stasis_count_sets)" = 0 ]'
done
[ -z "$(ls "$P/.stasis")" ] || stasis_die "snapshots left: $(ls "$P/.stasis")"

# 3. Auto-release while the requestor holds its connection, then exits; and
# when it is killed.
# start_hold PATH: a requestor holding a set of PATH (pid $HOLD, set $id)
# until its stdin, fd 3 here, is closed.
start_hold() {
        rm -f "$T/in"; mkfifo "$T/in"
        rm -f "$T/hold.out"     # the redirection below truncates it only once the child runs
        "$REQ" hold "$1" <"$T/in" >"$T/hold.out" 2>"$T/req.err" &
        HOLD=$!
        stasis_track_pid "$HOLD"
        exec 3>"$T/in"
        wait_until 10 '[ -s "$T/hold.out" ]'
        id=$(sed -n 's/^created //p' "$T/hold.out")
}
start_hold "$P/a"
req show "$id"
assert_eq "$(field persistent)" 0 "a set without persistent"
assert_eq "$(cat "$P/.stasis/$id-0/f")" alpha "the set stays while the requestor runs"
exec 3>&-
wait "$HOLD"
wait_until 10 '[ ! -e "$P/.stasis/$id-0" ]'
expect_error org.stasis1.Error.NoSuchSet 2 6 show "$id"

start_hold "$P/b"
kill -9 "$HOLD"
wait "$HOLD" 2>/dev/null || true
exec 3>&-
wait_until 10 '[ ! -e "$P/.stasis/$id-0" ]'
assert_eq "$(stasis_count_sets)" 0 "killed requestor's set released"

# 4. Signals: the set is added, changes and is removed; a signal forged by
# another connection is not reported.
rm -f "$T/in"; mkfifo "$T/in"
"$REQ" watch "$P/a" <"$T/in" >"$T/watch.out" 2>"$T/req.err" &
WATCH=$!
stasis_track_pid "$WATCH"
exec 3>"$T/in"
wait_until 10 'grep -q watching "$T/watch.out"'
busctl --address="$STASIS_BUS_ADDRESS" emit /org/stasis1 org.freedesktop.DBus.ObjectManager InterfacesAdded \
        'oa{sa{sv}}' /org/stasis1/set/4242 1 org.stasis1.Set 1 State s created
busctl --address="$STASIS_BUS_ADDRESS" emit /org/stasis1/set/4243 org.freedesktop.DBus.Properties \
        PropertiesChanged 'sa{sv}as' org.stasis1.Set 1 State s deleting 0
echo go >&3
exec 3>&-
rc=0
wait "$WATCH" || rc=$?
assert_eq "$rc" 0 "watch: $(cat "$T/watch.out" "$T/req.err")"
id=$(sed -n 's/^created //p' "$T/watch.out")
grep -q "^added $id creating$" "$T/watch.out" || stasis_die "no InterfacesAdded for $id: $(cat "$T/watch.out")"
grep -q "^changed $id created$" "$T/watch.out" || stasis_die "no change to created: $(cat "$T/watch.out")"
grep -q "^changed $id deleting$" "$T/watch.out" || stasis_die "no change to deleting: $(cat "$T/watch.out")"
grep -q "^removed $id -$" "$T/watch.out" || stasis_die "no InterfacesRemoved: $(cat "$T/watch.out")"
! grep -q 424 "$T/watch.out" || stasis_die "a forged signal was reported: $(cat "$T/watch.out")"

# The same in the library's own loop driven by poll(), with synchronous
# create and delete: the signals read during those calls still wake poll().
printf 'go\n' | "$REQ" --loop poll --sync-calls watch "$P/b" >"$T/watch.out" 2>"$T/req.err" ||
        stasis_die "watch --loop poll --sync-calls: $(cat "$T/watch.out" "$T/req.err")"
id=$(sed -n 's/^created //p' "$T/watch.out")
grep -q "^added $id creating$" "$T/watch.out" || stasis_die "poll: no InterfacesAdded for $id: $(cat "$T/watch.out")"
grep -q "^removed $id -$" "$T/watch.out" || stasis_die "poll: no InterfacesRemoved: $(cat "$T/watch.out")"

# 5. Error names, codes (StasisError) and errnos.
expect_error org.stasis1.Error.NoSuchSet 2 6 show 999
expect_error org.stasis1.Error.NoSuchSet 2 6 delete 999
expect_error org.stasis1.Error.NoSuchSet 2 6 complete 999
expect_error - 1 22 show "1/../2"
expect_error org.stasis1.Error.NoSuchSet 2 6 details 999
expect_error org.stasis1.Error.NoSuchSet 2 6 details no_such
expect_error org.stasis1.Error.NoSuchSet 2 6 --loop event details 999
expect_error - 1 22 details "1/../2"
expect_error org.stasis1.Error.NoSuchPath 3 2 create "$P/nope"
touch "$P/a/file"
expect_error org.stasis1.Error.NotADirectory 4 20 create "$P/a/file"
mkdir -p "$T/tmpfs"
mount -t tmpfs stasis-test "$T/tmpfs"
stasis_track_mount "$T/tmpfs"
expect_error org.stasis1.Error.NoProvider 5 95 create "$T/tmpfs"
expect_error org.stasis1.Error.InvalidArgument 6 22 create relative/path
expect_error org.stasis1.Error.InvalidArgument 6 22 --label "$(printf 'a\033[31m')" create "$P/a"
mapfile -t many < <(for i in $(seq 257); do echo "$P/a"; done)
expect_error org.stasis1.Error.LimitExceeded 7 7 create "${many[@]}"
expect_error org.stasis1.Error.NoSuchComponent 12 6 --component nope:x create "$P/a"
# Busy: a second Complete; a delete while the set is being made.
req --persistent create "$P/a"
id=$(sed -n 's/^created //p' <<<"$OUT")
req complete "$id"
assert_eq "$RC" 0 "complete: $OUT"
expect_error org.stasis1.Error.Busy 8 16 complete "$id"
req delete "$id"
fsfreeze -f "$P"
"$REQ" --persistent create "$P/b" >"$T/frozen.out" 2>&1 &
FROZEN=$!
stasis_track_pid "$FROZEN"
wait_until 10 '"$STASIS" --json list | jq -e "any(.[]; .state == \"creating\")" >/dev/null'
id=$("$STASIS" --json list | jq -r '.[] | select(.state == "creating") | .id')
expect_error org.stasis1.Error.Busy 8 16 delete "$id"
fsfreeze -u "$P"
wait "$FROZEN"
req delete "$id"
assert_eq "$RC" 0 "delete after the freeze: $OUT"
# AccessDenied: as nobody (reading is open to all).
stasis_as_nobody "$REQ" --persistent create "$P/a" >"$T/nobody.out" 2>&1 || true
assert_contains "$(cat "$T/nobody.out")" "error org.stasis1.Error.AccessDenied 11 13: Permission denied" "nobody: create"
stasis_as_nobody "$REQ" list >"$T/nobody.out" 2>&1 || stasis_die "nobody cannot list: $(cat "$T/nobody.out")"
# Writers: a veto fails a set that requires its writers; a retryable veto
# says so.
stasis_start_writer --name vetoer --component data="$P/a" --fault PrepareSnapshot:veto:not-now
expect_error org.stasis1.Error.WriterFailed 14 125 --require-writers create "$P/a"
assert_contains "$OUT" "not-now"
stasis_stop_writer "$STASIS_WRITER_PID"
wait_until 5 'stasis_writer_unlisted vetoer'
stasis_start_writer --name vetoer --component data="$P/a" --fault PrepareSnapshot:veto-retryable:lagging
expect_error org.stasis1.Error.WriterRetryable 15 11 --require-writers create "$P/a"
assert_contains "$OUT" "lagging"
# Without require-writers the set is made, and the component is crash-consistent.
req --persistent create "$P/a"
id=$(sed -n 's/^created //p' <<<"$OUT")
req show "$id"
assert_contains "$OUT" "component=vetoer  data crash-consistent " "the vetoing writer's component"
expect_error org.stasis1.Error.NoSuchComponent 12 6 complete "$id" vetoer:nope
req complete "$id" vetoer:data
assert_eq "$RC" 0 "complete with a failed component: $OUT"
req delete "$id"
stasis_stop_writer "$STASIS_WRITER_PID"
# Timeout: the btrfs snapshot waits on a frozen file system past a 1 s
# commit limit; once thawed nothing is left.
# ProviderFailed: an external provider (test/helpers/test-provider) fails
# its commit on an ext4 volume.
stasis_stop_daemon
export TEST_PROVIDER_DIR=$T/provider
mkdir -p "$TEST_PROVIDER_DIR"
stasis_install_provider testprov "$STASIS_SRC/test/helpers/test-provider" TEST_PROVIDER_DIR="$TEST_PROVIDER_DIR"
STASISD_ARGS="--commit-timeout=1 --providers-dir=$T/providers.d" stasis_start_daemon
fsfreeze -f "$P"
expect_error org.stasis1.Error.Timeout 10 110 create "$P/a"
fsfreeze -u "$P"
wait_until 15 '[ "$(stasis_count_sets)" = 0 ]'
stasis_make_fs ext4 plain 64M
echo fail > "$TEST_PROVIDER_DIR/mode"
expect_error org.stasis1.Error.ProviderFailed 9 5 create "$STASIS_FS"
assert_contains "$OUT" "provider testprov commit failed"
stasis_writable "$STASIS_FS" || stasis_die "ext4 left frozen after the failed commit"
assert_eq "$(stasis_count_sets)" 0 "no set after a failed commit"
# stasisd gone: a standard D-Bus error, code STASIS_ERR_OTHER.
stasis_stop_daemon
req list
assert_eq "$RC" 1 "list without stasisd"
assert_contains "$OUT" "error org.freedesktop.DBus.Error.ServiceUnknown 1 " "list without stasisd"
echo "ok"
