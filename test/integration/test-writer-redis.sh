#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-writer-redis.sh - stasis-writer-redis against a private redis-server (run as the
# redis user, its data on a btrfs loop volume, its socket in the work dir):
#  1. under write load (a loader that, in one script, INCRs a counter and writes
#     the key k:<counter>), in RDB mode: each set's snapshot, loaded by a second
#     redis-server, holds exactly the dataset the server had at Freeze: the key
#     count the writer read with writes paused (and stored with the set as
#     backup metadata, with the mode and the file), counter = keys - 1, and
#     k:1 to k:<counter>;
#     and the same with SaveAtFreeze=save;
#  2. the same in AOF mode (appendonly yes);
#  3. the writer dies while frozen: the server lifts the pause by itself;
#  4. the save fails while writes are paused: Freeze fails, the writer lifts the
#     pause (a write succeeds at once), the component is crash-consistent;
#  5. the server goes away, then comes back: PrepareSnapshot fails with a clear
#     error; the next set works again; the server killed between
#     PrepareSnapshot and Freeze: Freeze fails naming it;
#  6. bad credentials, a password file others can read, a server that is not
#     running: the writer refuses to start and says why.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
REDIS_WRITER=$STASIS_BUILD_DIR/src/writers/redis/stasis-writer-redis
command -v redis-server >/dev/null || { echo "SKIP: redis-server is not installed"; exit 77; }
if [ ! -x "$REDIS_WRITER" ]; then
        pkg-config --exists hiredis || { echo "SKIP: stasis-writer-redis is not built (libhiredis-dev missing)"; exit 77; }
        stasis_die "stasis-writer-redis is not built ($REDIS_WRITER)"
fi
id redis >/dev/null 2>&1 || { echo "SKIP: no user redis"; exit 77; }

stasis_setup_alone --freeze-window 30
T=$STASIS_TMP

stasis_make_fs btrfs rd
P=$STASIS_FS

# start_redis NAME DIR [OPTION...]: a redis-server as user redis, socket
# $T/NAME/sock, data in DIR; waits until it answers. Sets REDIS_PID.
start_redis() {
        local name=$1 dir=$2 i
        shift 2
        mkdir -p "$T/$name" "$dir"
        chown redis:redis "$T/$name" "$dir"
        setpriv --reuid=redis --regid=redis --init-groups -- redis-server --port 0 \
                --unixsocket "$T/$name/sock" --unixsocketperm 700 --dir "$dir" --save "" \
                --logfile "$T/$name/log" --daemonize no "$@" &
        REDIS_PID=$!
        stasis_track_pid "$REDIS_PID"
        for (( i = 0; i < 500; i++ )); do
                [ "$(rcli "$name" PING 2>/dev/null)" = PONG ] && return 0
                [ "$(rcli "$name" PING 2>&1)" = "NOAUTH Authentication required." ] && return 0
                kill -0 "$REDIS_PID" 2>/dev/null || break
                sleep 0.02
        done
        cat "$T/$name/log" >&2
        stasis_die "redis-server $name did not start"
}
stop_redis() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
rcli() { local name=$1; shift; redis-cli -s "$T/$name/sock" "$@"; }

# start_writer CONFIG: the writer, registered; WRITER_PID (test/lib.sh).
start_writer() { stasis_start_app_writer redis "$REDIS_WRITER" "$1"; }
wait_for_writer() { stasis_wait_app_writer redis; }
stop_writer() { stasis_stop_app_writer redis; }

# The load: each step, in one script (atomic), counter + 1 and the key
# k:<counter>. Its output is the counter value each step committed.
LOAD_SCRIPT="local n = redis.call('INCR', 'ctr'); redis.call('SET', 'k:' .. n, n); return n"
start_load() {
        redis-cli -s "$T/$1/sock" < <(yes "EVAL \"$LOAD_SCRIPT\" 0") >"$T/load-$1.out" 2>&1 &
        LOAD_PID=$!
        stasis_track_pid "$LOAD_PID"
}
# (redis-cli does not stop on SIGTERM while it reads its input.)
stop_load() { kill -9 "$LOAD_PID" 2>/dev/null; wait "$LOAD_PID" 2>/dev/null || true; }

# check_snapshot ID FILE...: copy FILE... (paths under the snapshot's redis
# directory) to a new directory, start a second server on it and check it
# holds what the writer logged at Freeze.
check_snapshot() {
        local id=$1 snap=$P/.stasis/$1-0/redis dir=$T/check-$1 keys ctr dbsize pid f main_pid=$REDIS_PID meta
        shift
        mkdir -p "$dir"
        for f in "$@"; do cp -a "$snap/$f" "$dir/"; done
        keys=$(sed -n "s/.*Set $id: writes paused for at most [0-9]* ms; dataset of \([0-9]*\) keys.*/\1/p" "$T/writer.log")
        [ -n "$keys" ] || stasis_die "set $id: the writer logged no paused dataset: $(tail -n 5 "$T/writer.log")"
        # The set's backup metadata says where the dataset is and how big.
        meta=$("$STASIS" --json show "$id" | jq -c '[.metadata[] | select(.writer == "redis" and .component == "data") | {(.name): .value}] | add')
        assert_eq "$(jq -r .keys <<<"$meta")" "$keys" "set $id: keys in the backup metadata"
        if [ "$1" = appendonlydir ]; then
                assert_eq "$(jq -r '.mode + " " + .appenddirname' <<<"$meta")" "aof appendonlydir" "set $id: backup metadata"
        else
                assert_eq "$(jq -r '.mode + " " + .dbfilename' <<<"$meta")" "rdb dump.rdb" "set $id: backup metadata"
        fi
        start_redis "check-$id" "$dir" "${REDIS_CHECK_ARGS[@]}"
        pid=$REDIS_PID
        ctr=$(rcli "check-$id" GET ctr)
        dbsize=$(rcli "check-$id" DBSIZE)
        assert_eq "$dbsize" "$keys" "set $id: keys in the snapshot against keys at Freeze"
        assert_eq "$ctr" "$((keys - 1))" "set $id: counter in the snapshot"
        assert_eq "$(rcli "check-$id" GET "k:$ctr")" "$ctr" "set $id: the last key written before the freeze"
        assert_eq "$(rcli "check-$id" EXISTS "k:$((ctr + 1))")" 0 "set $id: a key written after the freeze"
        assert_eq "$(rcli "check-$id" GET k:1)" 1 "set $id: the first key"
        stop_redis "$pid"
        REDIS_PID=$main_pid
        stasis_log "set $id: the snapshot holds $keys keys, counter $ctr, as at Freeze"
        echo "$ctr"
}

conf=$T/redis.conf
cat >"$conf" <<CONF
[Redis]
Socket=$T/main/sock
CONF

stasis_log "1. RDB mode under load"
start_redis main "$P/redis"
start_writer "$conf"
assert_contains "$(tail -n 1 "$T/writer.log")" "mode rdb"
start_load main
wait_until 10 '[ "$(rcli main GET ctr)" -gt 100 ] 2>/dev/null'
REDIS_CHECK_ARGS=()
prev=0
for round in 1 2 3; do
        out=$("$STASIS" --json create --component=redis 2>&1) || stasis_die "round $round: stasis create failed: $out"
        id=$(jq -r .id <<<"$out")
        assert_eq "$(jq -r .consistency <<<"$out")" application "set $id consistency"
        ctr=$(check_snapshot "$id" dump.rdb)
        [ "$ctr" -gt "$prev" ] || stasis_die "set $id: counter $ctr did not move on from $prev"
        prev=$ctr
done
grep -q "Set 1: background save done" "$T/writer.log" || stasis_die "no save at PrepareSnapshot"
stop_writer
# SaveAtFreeze=save: SAVE, in the server's main thread, under the pause.
cp "$conf" "$T/save.conf"
printf 'SaveAtFreeze=save\n' >>"$T/save.conf"
start_writer "$T/save.conf"
n=$(grep -c "DB saved on disk" "$T/main/log" || true)
out=$("$STASIS" --json create --component=redis 2>&1) || stasis_die "SAVE round: stasis create failed: $out"
id=$(jq -r .id <<<"$out")
assert_eq "$(jq -r .consistency <<<"$out")" application "set $id consistency"
[ "$(grep -c "DB saved on disk" "$T/main/log")" -gt "$n" ] || stasis_die "set $id: the server did not SAVE"
check_snapshot "$id" dump.rdb >/dev/null
stop_load
assert_contains "$(rcli main INFO persistence)" "rdb_last_bgsave_status:ok"
stop_writer
stop_redis "$REDIS_PID"

stasis_log "2. AOF mode under load"
start_redis main "$P/redis" --appendonly yes --appendfsync everysec
start_writer "$conf"
assert_contains "$(tail -n 1 "$T/writer.log")" "mode aof"
start_load main
wait_until 10 '[ "$(rcli main GET ctr)" -gt 100 ] 2>/dev/null'
REDIS_CHECK_ARGS=(--appendonly yes)
for round in 1 2; do
        out=$("$STASIS" --json create --component=redis 2>&1) || stasis_die "AOF round $round: stasis create failed: $out"
        id=$(jq -r .id <<<"$out")
        assert_eq "$(jq -r .consistency <<<"$out")" application "set $id consistency"
        grep -q "Set $id: AOF rewrite done" "$T/writer.log" || stasis_die "set $id: no AOF rewrite at PrepareSnapshot"
        check_snapshot "$id" appendonlydir >/dev/null
done
stop_load
stop_writer
stop_redis "$REDIS_PID"
REDIS_CHECK_ARGS=()

# The rest in RDB mode, with a writer that another, slower writer keeps
# frozen (Freeze goes front-end, back-end, system: the redis writer is
# back-end).
start_redis main "$P/redis"
mkdir -p "$P/other"

stasis_log "3. the writer dies while writes are paused: the server lifts the pause by itself"
cat >"$T/redis-short.conf" <<CONF
[Redis]
Socket=$T/main/sock
[Writer]
FreezeTimeoutSec=5
CONF
start_writer "$T/redis-short.conf"
stasis_start_writer --name slowsys --level system --component "data=$P/other" --fault Freeze:slow:8000
slow_pid=$STASIS_WRITER_PID
"$STASIS" create --component=redis >"$T/create3.out" 2>&1 &
create_pid=$!
wait_until 20 'grep -q "writes paused for at most 5000 ms" "$T/writer.log"'
assert_exit 124 timeout 1 redis-cli -s "$T/main/sock" SET probe paused
kill -9 "$WRITER_PID"
wait "$WRITER_PID" 2>/dev/null || true
# The pause (5 s) lapses by itself: the write goes through.
assert_eq "$(timeout 60 redis-cli -s "$T/main/sock" SET probe lapsed)" OK "a write after the writer died"
wait "$create_pid" || true
stasis_stop_writer "$slow_pid"

stasis_log "4. the save fails while writes are paused: the writer lifts the pause"
start_writer "$conf"
stasis_start_writer --name slowfront --level front-end --component "data=$P/other" --fault Freeze:slow:3000
slow_pid=$STASIS_WRITER_PID
n=$(grep -c "background save done" "$T/writer.log" || true)
"$STASIS" --json create --component=redis >"$T/create4.out" 2>&1 &
create_pid=$!
# Once PrepareSnapshot's save is done, make the data directory unwritable
# for the server; the slow front-end writer holds the Freeze for 3 s.
wait_until 20 '[ "$(grep -c "background save done" "$T/writer.log")" -gt "$n" ]'
chmod 0500 "$P/redis"
wait "$create_pid" || stasis_die "stasis create failed: $(cat "$T/create4.out")"
chmod 0700 "$P/redis"
id=$(jq -r .id <"$T/create4.out")
reason=$(jq -r '.components[] | select(.writer == "redis") | .reason' <"$T/create4.out")
assert_contains "$reason" "vetoed Freeze: Redis at $T/main/sock: the background save failed (rdb_last_bgsave_status is not ok"
grep -q "Set $id: Freeze failed" "$T/writer.log" || stasis_die "set $id: the writer did not log the failure"
# The pause was for the whole 30 s window: a write that succeeds within 10 s
# shows the writer lifted it.
assert_eq "$(timeout 10 redis-cli -s "$T/main/sock" SET probe unpaused)" OK "a write after the failed Freeze"
stasis_stop_writer "$slow_pid"

stasis_log "5. the server goes away, then comes back"
stop_redis "$REDIS_PID"
out=$("$STASIS" --json create --component=redis 2>&1) || stasis_die "stasis create failed: $out"
reason=$(jq -r '.components[] | select(.writer == "redis") | .reason' <<<"$out")
assert_contains "$reason" "vetoed PrepareSnapshot: cannot connect to Redis at $T/main/sock: "
start_redis main "$P/redis"
out=$("$STASIS" --json create --component=redis 2>&1) || stasis_die "stasis create failed: $out"
assert_eq "$(jq -r .consistency <<<"$out")" application "a set once the server is back"

stasis_log "5b. the server is killed between PrepareSnapshot and Freeze"
stasis_start_writer --name slowfront2 --level front-end --component "data=$P/other" --fault Freeze:slow:3000
slow_pid=$STASIS_WRITER_PID
n=$(grep -c "background save done" "$T/writer.log" || true)
"$STASIS" --json create --component=redis >"$T/create5.out" 2>&1 &
create_pid=$!
wait_until 20 '[ "$(grep -c "background save done" "$T/writer.log")" -gt "$n" ]'
kill -9 "$REDIS_PID"
wait "$REDIS_PID" 2>/dev/null || true
wait "$create_pid" || stasis_die "stasis create failed: $(cat "$T/create5.out")"
reason=$(jq -r '.components[] | select(.writer == "redis") | .reason' <"$T/create5.out")
assert_contains "$reason" "vetoed Freeze: "
assert_contains "$reason" "Redis at $T/main/sock"
start_redis main "$P/redis"
assert_eq "$(timeout 10 redis-cli -s "$T/main/sock" SET probe back)" OK "a write once the server is back"
out=$("$STASIS" --json create --component=redis 2>&1) || stasis_die "stasis create failed: $out"
assert_eq "$(jq -r .consistency <<<"$out")" application "a set once the server is back again"
stasis_stop_writer "$slow_pid"
stop_writer
stop_redis "$REDIS_PID"

stasis_log "6. the writer refuses to start, saying why"
# expect_refusal CONFIG TEXT: the writer exits 1 and its log says TEXT.
expect_refusal() {
        local rc=0
        "$REDIS_WRITER" --config "$1" --bus-address "$STASIS_BUS_ADDRESS" >"$T/refusal.log" 2>&1 || rc=$?
        assert_eq "$rc" 1 "exit status of the writer with $1"
        assert_contains "$(cat "$T/refusal.log")" "$2"
}
# A configuration file named on the command line must be there.
expect_refusal "$T/no-such.conf" "$T/no-such.conf: cannot open it: No such file or directory"
! grep -q "cannot connect" "$T/refusal.log" || stasis_die "the writer went on without its configuration file"
printf '[Redis]\nSocket=%s\n' "$T/nosuch/sock" >"$T/none.conf"
expect_refusal "$T/none.conf" "cannot connect to Redis at $T/nosuch/sock: No such file or directory"
start_redis auth "$P/redis" --requirepass right-one
printf 'wrong-one\n' >"$T/pw"
chmod 0600 "$T/pw"
printf '[Redis]\nSocket=%s\nPasswordFile=%s\n' "$T/auth/sock" "$T/pw" >"$T/auth.conf"
expect_refusal "$T/auth.conf" "Redis at $T/auth/sock refused the password from $T/pw: WRONGPASS"
chmod 0644 "$T/pw"
expect_refusal "$T/auth.conf" "The password file $T/pw is readable by every user (mode 0644); make it 0600."
printf 'right-one\n' >"$T/pw"
chmod 0600 "$T/pw"
printf '[Redis]\nSocket=%s\nMode=aof\n' "$T/auth/sock" >"$T/aof.conf"
printf 'PasswordFile=%s\n' "$T/pw" >>"$T/aof.conf"
expect_refusal "$T/aof.conf" "Mode=aof, but the server does not write an AOF (appendonly no)"
printf '[Redis]\nSocket=%s\nMode=fast\n' "$T/auth/sock" >"$T/bad.conf"
expect_refusal "$T/bad.conf" "$T/bad.conf:3: Mode=: 'fast' is not auto, rdb or aof."
start_writer "$T/auth.conf"
out=$("$STASIS" --json create --component=redis 2>&1) || stasis_die "stasis create failed: $out"
assert_eq "$(jq -r .consistency <<<"$out")" application "a set with the right password"
stop_writer
stop_redis "$REDIS_PID"
# The time writes stayed paused at each Freeze (the figures, for the record).
stasis_log "Freeze, pause to answer: $(sed -n 's/.*Set \([0-9]*\): writes paused.* keys \(.*\) in \([0-9]*\) ms\./set \1 \3 ms (\2)/p' "$T/writer.log" | paste -sd ';' -)"
stasis_log "all passed"
