#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-writer-mariadb.sh - stasis-writer-mariadb against a private mariadbd (run as the mysql
# user, its data and binary log on a btrfs loop volume, its socket in the work dir):
#  1. under write load (a client committing transactions n = 1, 2, ...: three
#     rows (n, 1..3) and the counter c.v = n in each), with BACKUP STAGE: each
#     set's snapshot, started as a separate server, recovers to a state where
#     the counter and the rows agree, the counter is the number of loader
#     transactions in the GTID the writer read with commits blocked (no
#     committed transaction missing, none extra), the server's own
#     gtid_binlog_pos is that GTID, and the binary-log file the writer named
#     ends at the position it read;
#  2. the same with Method=ftwrl (FLUSH TABLES WITH READ LOCK, MySQL's way);
#  3. the writer dies while commits are blocked: its session closes and the
#     server releases the lock (a commit goes through; no session waits);
#  4. the server goes away between PrepareSnapshot and Freeze: Freeze fails
#     saying so; the server back, the next set works;
#  5. bad credentials, a server that is not running: the writer refuses to
#     start and says why; a user with a password and the privileges the
#     writer needs (RELOAD, BINLOG MONITOR) works; one without RELOAD fails
#     PrepareSnapshot, saying so;
#  6. stasisd gives up on PrepareSnapshot while BACKUP STAGE START still
#     waits (another backup runs): the Abort ends the backup once it has
#     begun, and the next set is not refused.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
MARIADB_WRITER=$STASIS_BUILD_DIR/src/writers/mariadb/stasis-writer-mariadb
command -v mariadbd >/dev/null || PATH=$PATH:/usr/sbin
command -v mariadbd >/dev/null || { echo "SKIP: mariadb-server is not installed"; exit 77; }
id mysql >/dev/null 2>&1 || { echo "SKIP: no user mysql"; exit 77; }
if [ ! -x "$MARIADB_WRITER" ]; then
        pkg-config --exists libmariadb || { echo "SKIP: stasis-writer-mariadb is not built (libmariadb-dev missing)"; exit 77; }
        stasis_die "stasis-writer-mariadb is not built ($MARIADB_WRITER)"
fi

stasis_setup_alone --freeze-window 30
T=$STASIS_TMP

stasis_make_fs btrfs md 1G
P=$STASIS_FS

MYSQLD_OPTS=(--skip-networking --innodb-buffer-pool-size=32M --innodb-log-file-size=16M
             --log-bin=binlog --server-id=1 --skip-name-resolve)

# start_server NAME DIR: a mariadbd as user mysql on DIR, socket $T/NAME/sock;
# waits until it answers. Sets SERVER_PID.
start_server() {
        local name=$1 dir=$2 i
        mkdir -p "$T/$name"
        chown mysql:mysql "$T/$name"
        setpriv --reuid=mysql --regid=mysql --init-groups -- mariadbd --no-defaults --datadir="$dir" \
                --socket="$T/$name/sock" --pid-file="$T/$name/pid" --log-error="$T/$name/err" \
                "${MYSQLD_OPTS[@]}" 2>>"$T/$name/stderr" &
        SERVER_PID=$!
        stasis_track_pid "$SERVER_PID"
        for (( i = 0; i < 1200; i++ )); do
                mariadb-admin --no-defaults -S "$T/$name/sock" -u root ping >/dev/null 2>&1 && return 0
                kill -0 "$SERVER_PID" 2>/dev/null || break
                sleep 0.05
        done
        tail -n 30 "$T/$name/err" >&2
        stasis_die "mariadbd $name did not start"
}
stop_server() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
sql() { local name=$1; shift; mariadb --no-defaults -S "$T/$name/sock" -u root -N -B "$@"; }

start_writer() { stasis_start_app_writer mariadb "$MARIADB_WRITER" "$1"; }
stop_writer() { stasis_stop_app_writer mariadb; }

# The load: transaction n inserts (n, 1), (n, 2), (n, 3) and sets c.v = n.
# BASE_SEQ: the GTID sequence number the loader's transactions start from
# (every other commit, a probe's, moves it on).
start_load() {
        local seq v
        seq=$(sql main -e 'SELECT @@gtid_binlog_pos'); seq=${seq##*-}
        v=$(sql main db -e 'SELECT v FROM c')
        BASE_SEQ=$((seq - v))
        mariadb --no-defaults -S "$T/main/sock" -u root db < <(seq $((v + 1)) 100000000 | awk '{ printf "BEGIN; INSERT INTO t VALUES (%d,1),(%d,2),(%d,3); UPDATE c SET v = %d; COMMIT;\n", $1, $1, $1, $1 }') \
                >"$T/load.out" 2>&1 &
        LOAD_PID=$!
        stasis_track_pid "$LOAD_PID"
}
# Once its session is gone, the server has committed or rolled back what
# the loader had under way.
stop_load() {
        kill -9 "$LOAD_PID" 2>/dev/null || true
        wait "$LOAD_PID" 2>/dev/null || true
        wait_until 30 '[ "$(sql main -e "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = \"db\" AND ID <> CONNECTION_ID()")" = 0 ]'
        ! grep -q ERROR "$T/load.out" || stasis_die "the loader failed: $(cat "$T/load.out")"
}

# check_snapshot ID: start a server on a copy of the set's snapshot and
# compare it with what the writer read at Freeze.
check_snapshot() {
        local id=$1 dir=$T/check-$1 line file pos gtid seq v rows meta
        line=$(grep "Set $id: commits blocked" "$T/writer.log") || stasis_die "set $id: the writer logged no blocked commits: $(tail -n 5 "$T/writer.log")"
        # The position stored with the set is the one read with commits blocked.
        meta=$("$STASIS" --json show "$id" | jq -c '[.metadata[] | select(.writer == "mariadb" and .component == "data") | {(.name): .value}] | add')
        file=$(jq -r .binlog_file <<<"$meta")
        pos=$(jq -r .binlog_position <<<"$meta")
        gtid=$(jq -r .gtid_binlog_pos <<<"$meta")
        assert_contains "$line" "binary log $file position $pos, GTID $gtid." "set $id: the stored position ($meta) against the writer's log"
        # The binary log in the snapshot ends where the writer read it.
        assert_eq "$(stat -c %s "$P/.stasis/$id-0/mysql/$file")" "$pos" "set $id: size of $file in the snapshot"
        cp -a "$P/.stasis/$id-0/mysql" "$dir"
        start_server "check-$id" "$dir"
        assert_eq "$(sql "check-$id" -e 'SELECT @@gtid_binlog_pos')" "$gtid" "set $id: the snapshot's GTID position"
        v=$(sql "check-$id" db -e 'SELECT v FROM c')
        rows=$(sql "check-$id" db -e 'SELECT COUNT(*) FROM t')
        assert_eq "$rows" "$((3 * v))" "set $id: rows against the counter"
        assert_eq "$(sql "check-$id" db -e 'SELECT COALESCE(MAX(n), 0) FROM t')" "$v" "set $id: last transaction"
        seq=${gtid##*-}
        assert_eq "$v" "$((seq - BASE_SEQ))" "set $id: loader transactions in the snapshot against the GTID at Freeze"
        stop_server "$SERVER_PID"
        SERVER_PID=$MAIN_PID
        rm -rf "$dir"
        stasis_log "set $id: the snapshot holds transaction $v, GTID $gtid, $file at $pos, as at Freeze"
}

stasis_log "setting up the server"
mkdir -p "$P/mysql"
chown mysql:mysql "$P/mysql"
setpriv --reuid=mysql --regid=mysql --init-groups -- mariadb-install-db --no-defaults --datadir="$P/mysql" \
        --skip-test-db --auth-root-authentication-method=socket --innodb-log-file-size=16M >"$T/install.log" 2>&1 ||
        { tail -n 20 "$T/install.log" >&2; stasis_die "mariadb-install-db failed"; }
start_server main "$P/mysql"
MAIN_PID=$SERVER_PID
sql main -e "CREATE DATABASE db; CREATE TABLE db.t (n INT NOT NULL, k INT NOT NULL, PRIMARY KEY (n, k)) ENGINE=InnoDB;
             CREATE TABLE db.c (v INT NOT NULL) ENGINE=InnoDB; INSERT INTO db.c VALUES (0);
             CREATE TABLE db.probe (p INT NOT NULL) ENGINE=InnoDB;"

conf=$T/mariadb.conf
printf '[MariaDB]\nSocket=%s\n' "$T/main/sock" >"$conf"

stasis_log "1. BACKUP STAGE under load"
start_writer "$conf"
grep -q "method backup-stage" "$T/writer.log" || stasis_die "not BACKUP STAGE: $(cat "$T/writer.log")"
start_load
wait_until 20 '[ "$(sql main db -e "SELECT v FROM c")" -gt 50 ]'
prev=0
for round in 1 2 3; do
        out=$("$STASIS" --json create --component=mariadb 2>&1) || stasis_die "round $round: stasis create failed: $out"
        id=$(jq -r .id <<<"$out")
        assert_eq "$(jq -r .consistency <<<"$out")" application "set $id consistency"
        check_snapshot "$id"
done
stop_load
stop_writer

# no_lock_held WHAT: a commit goes through at once (within 10 s, a third of
# the freeze window a lock would be held for) and no session waits for a
# backup or table lock.
probe=0
no_lock_held() {
        probe=$((probe + 1))
        timeout 10 mariadb --no-defaults -S "$T/main/sock" -u root db -e "INSERT INTO probe VALUES ($probe)" ||
                stasis_die "$1: a commit did not go through"
        ! sql main -e 'SHOW PROCESSLIST' | grep -Ei 'waiting for (backup|global read) lock' ||
                stasis_die "$1: a session still waits for a lock"
}
no_lock_held "after the sets under load"

stasis_log "2. FLUSH TABLES WITH READ LOCK under load"
printf '[MariaDB]\nSocket=%s\nMethod=ftwrl\n' "$T/main/sock" >"$T/ftwrl.conf"
start_writer "$T/ftwrl.conf"
start_load
for round in 1 2; do
        out=$("$STASIS" --json create --component=mariadb 2>&1) || stasis_die "ftwrl round $round: stasis create failed: $out"
        id=$(jq -r .id <<<"$out")
        assert_eq "$(jq -r .consistency <<<"$out")" application "set $id consistency"
        grep -q "Set $id: tables flushed" "$T/writer.log" || stasis_die "set $id: no FLUSH TABLES at PrepareSnapshot"
        check_snapshot "$id"
done
stop_load
stop_writer
no_lock_held "after the sets with FTWRL"
mkdir -p "$P/other"

stasis_log "3. the writer dies while commits are blocked: the server releases the lock"
start_writer "$conf"
stasis_start_writer --name slowsys --level system --component "data=$P/other" --fault Freeze:slow:8000
slow_pid=$STASIS_WRITER_PID
n=$(grep -c "commits blocked" "$T/writer.log" || true)
"$STASIS" create --component=mariadb >"$T/create3.out" 2>&1 &
create_pid=$!
wait_until 20 '[ "$(grep -c "commits blocked" "$T/writer.log")" -gt "$n" ]'
assert_exit 124 timeout 2 mariadb --no-defaults -S "$T/main/sock" -u root db -e "INSERT INTO probe VALUES (0)"
kill -9 "$WRITER_PID"
wait "$WRITER_PID" 2>/dev/null || true
no_lock_held "after the writer died"
wait "$create_pid" || true
stasis_stop_writer "$slow_pid"

stasis_log "4. the server goes away between PrepareSnapshot and Freeze"
start_writer "$conf"
stasis_start_writer --name slowfront --level front-end --component "data=$P/other" --fault Freeze:slow:3000
slow_pid=$STASIS_WRITER_PID
n=$(grep -c "backup started" "$T/writer.log" || true)
"$STASIS" --json create --component=mariadb >"$T/create4.out" 2>&1 &
create_pid=$!
wait_until 20 '[ "$(grep -c "backup started" "$T/writer.log")" -gt "$n" ]'
kill -9 "$MAIN_PID"
wait "$MAIN_PID" 2>/dev/null || true
wait "$create_pid" || stasis_die "stasis create failed: $(cat "$T/create4.out")"
reason=$(jq -r '.components[] | select(.writer == "mariadb") | .reason' <"$T/create4.out")
assert_contains "$reason" "vetoed Freeze: MariaDB at $T/main/sock: BACKUP STAGE BLOCK_DDL: "
start_server main "$P/mysql"
MAIN_PID=$SERVER_PID
no_lock_held "after the server came back"
out=$("$STASIS" --json create --component=mariadb 2>&1) || stasis_die "stasis create failed: $out"
assert_eq "$(jq -r .consistency <<<"$out")" application "a set once the server is back"
no_lock_held "after a set once the server is back"
stasis_stop_writer "$slow_pid"
stop_writer

stasis_log "5. credentials and privileges"
# expect_refusal CONFIG TEXT: the writer exits 1 and its log says TEXT.
expect_refusal() {
        local rc=0
        "$MARIADB_WRITER" --config "$1" --bus-address "$STASIS_BUS_ADDRESS" >"$T/refusal.log" 2>&1 || rc=$?
        assert_eq "$rc" 1 "exit status of the writer with $1"
        assert_contains "$(cat "$T/refusal.log")" "$2"
}
# A configuration file named on the command line must be there.
expect_refusal "$T/no-such.conf" "$T/no-such.conf: cannot open it: No such file or directory"
! grep -q "cannot connect" "$T/refusal.log" || stasis_die "the writer went on without its configuration file"
printf '[MariaDB]\nSocket=%s\n' "$T/nosuch/sock" >"$T/none.conf"
expect_refusal "$T/none.conf" "cannot connect to MariaDB at $T/nosuch/sock as root: Can't connect to local server through socket '$T/nosuch/sock'"
sql main -e "CREATE USER stasis@localhost IDENTIFIED BY 'right-one'; GRANT RELOAD, BINLOG MONITOR ON *.* TO stasis@localhost;
             CREATE USER weak@localhost IDENTIFIED BY 'right-one';"
printf 'wrong-one\n' >"$T/pw"
chmod 0600 "$T/pw"
printf '[MariaDB]\nSocket=%s\nUser=stasis\nPasswordFile=%s\n' "$T/main/sock" "$T/pw" >"$T/user.conf"
expect_refusal "$T/user.conf" "cannot connect to MariaDB at $T/main/sock as stasis with the password from $T/pw: Access denied for user 'stasis'@'localhost' (using password: YES)"
printf 'right-one\n' >"$T/pw"
start_writer "$T/user.conf"
out=$("$STASIS" --json create --component=mariadb 2>&1) || stasis_die "stasis create failed: $out"
assert_eq "$(jq -r .consistency <<<"$out")" application "a set as user stasis"
stop_writer
printf '[MariaDB]\nSocket=%s\nUser=weak\nPasswordFile=%s\n' "$T/main/sock" "$T/pw" >"$T/weak.conf"
start_writer "$T/weak.conf"
out=$("$STASIS" --json create --component=mariadb 2>&1) || stasis_die "stasis create failed: $out"
reason=$(jq -r '.components[] | select(.writer == "mariadb") | .reason' <<<"$out")
assert_contains "$reason" "vetoed PrepareSnapshot: MariaDB at $T/main/sock answered BACKUP STAGE START: Access denied; you need (at least one of) the RELOAD privilege(s) for this operation (retryable)"
no_lock_held "after a user without RELOAD"
stop_writer
stasis_log "6. stasisd gives up on PrepareSnapshot while BACKUP STAGE START waits: Abort ends the backup"
stasis_stop_daemon
STASISD_ARGS="--providers-dir $T/providers.d --freeze-window 30 --prepare-timeout 2"
stasis_start_daemon
start_writer "$conf"
# Another backup (as mariabackup would run) makes the writer's START wait.
mariadb --no-defaults -S "$T/main/sock" -u root -e "BACKUP STAGE START; SELECT SLEEP(5); BACKUP STAGE END" >/dev/null &
other_pid=$!
wait_until 10 '[ "$(sql main -e "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE \"SELECT SLEEP(5)%\"")" = 1 ]'
out=$("$STASIS" --json create --component=mariadb 2>&1) || stasis_die "stasis create failed: $out"
id=$(jq -r .id <<<"$out")
reason=$(jq -r '.components[] | select(.writer == "mariadb") | .reason' <<<"$out")
assert_contains "$reason" "did not answer PrepareSnapshot within 2 s (retryable)"
wait "$other_pid"
wait_until 20 'grep -q "Set $id: commits resumed (Abort)" "$T/writer.log"'
no_lock_held "after the late PrepareSnapshot was aborted"
out=$("$STASIS" --json create --component=mariadb 2>&1) || stasis_die "stasis create failed: $out"
assert_eq "$(jq -r .consistency <<<"$out")" application "the next set, after the late PrepareSnapshot"
stop_writer
stasis_log "Freeze, commits blocked in: $(sed -n 's/.*Set \([0-9]*\): commits blocked in \([0-9]*\) ms.*/set \1 \2 ms/p' "$T/writer.log" | paste -sd ';' -)"
stop_server "$MAIN_PID"
stasis_log "all passed"
