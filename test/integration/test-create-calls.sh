#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-create-calls.sh - the calls `stasis create` and `stasis show` make,
# counted on a private bus with busctl monitor, against the real stasisd and
# a btrfs loop volume:
#  1. `stasis create` calls CreateSet, then reads the set's properties, its
#     backup metadata and its exclusive size straight from the set's object,
#     without asking the manager for the object's path (GetSet) first;
#  2. `stasis show ID` makes the same three reads, and shows what create showed;
#  3. `stasis show` of a set that is not there (a number, and an id that is
#     not one) still fails with stasisd's NoSuchSet (exit status 3);
#  4. `stasis create` writes its CreateSet right behind the bus' Hello, before
#     it reads any answer (strace of its sendmsg and recvmsg);
#  5. a bus that closes the connection before it answers Hello: `stasis
#     create` says it cannot connect to the bus (exit status 5), as when the
#     connection was refused;
#  6. `stasis list` sends ListSets and ListExpiries together, before it reads
#     any answer, and shows a set's expiry.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-monitor.sh"
command -v strace >/dev/null || stasis_die "strace is needed (scripts/install-deps.sh installs it)"

stasis_env_init
stasis_bus_allow_monitor
stasis_start_bus
stasis_start_daemon
T=$STASIS_TMP

stasis_make_fs btrfs pool
P=$STASIS_FS
btrfs -q subvolume create "$P/data"

stasis_monitor_start
# calls_from FIRST: the members of the calls to stasisd, since the mark, of
# the connection that called FIRST first.
calls_from() {
        monitor_sync
        tail -n +"$((MARK + 1))" "$M" | jq -rs --arg first "$1" '
                (map(select(.type == "method_call" and .member == $first)) | first | .sender) as $s |
                .[] | select(.type == "method_call" and .sender == $s and .destination == "org.stasis1") |
                .member' | paste -sd ' '
}

# 1. create
mark
"$STASIS" create "$P/data" >"$T/create.out"
ID=$(awk '$1 == "Set:" { print $2 }' "$T/create.out")
[ -n "$ID" ] || stasis_die "no set id in: $(cat "$T/create.out")"
assert_eq "$(calls_from CreateSet)" "CreateSet GetAll BackupMetadata GetExclusiveSize" "calls of stasis create"
assert_contains "$(cat "$T/create.out")" "State: created"
assert_contains "$(cat "$T/create.out")" "Exclusive: unknown (quotas are not enabled"

# 2. show
mark
"$STASIS" show "$ID" >"$T/show.out"
assert_eq "$(calls_from GetAll)" "GetAll BackupMetadata GetExclusiveSize" "calls of stasis show"
diff -u "$T/create.out" "$T/show.out" || stasis_die "stasis show does not show what stasis create showed"
J=$("$STASIS" --json show "$ID")
assert_eq "$(jq -r '.id, .state, (.exclusive_bytes | tostring), (.metadata | length)' <<<"$J" | paste -sd ' ')" \
        "$ID created null 0" "stasis --json show"

# 3. sets that are not there
for bad in 4242 no_such; do
        assert_exit 3 "$STASIS" show "$bad"
        assert_eq "$STASIS_ERR" "stasis: No snapshot set with id '$bad'" "stasis show $bad"
done

# 4. CreateSet behind Hello. In strace's record, the first sendmsg that holds
# CreateSet comes before the first recvmsg that reads a message (answers
# begin with 'l' and type 2, "l\2"; the bus' answer to the authentication,
# read before the Hello is sent, is text).
# (LeakSanitizer cannot run under ptrace: off for this one run.)
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
        strace -o "$T/cli.strace" -e trace=sendmsg,recvmsg -s 256 "$STASIS" create "$P/data" >/dev/null
first() { grep -n "$1" "$T/cli.strace" | head -n 1 | cut -d: -f1; }
sent=$(first '^sendmsg.*CreateSet')
read_at=$(first '^recvmsg.*iov_base="l\\2')
[ -n "$sent" ] && [ -n "$read_at" ] || stasis_die "no CreateSet sent or no answer read: $(cat "$T/cli.strace")"
[ "$sent" -lt "$read_at" ] || stasis_die "CreateSet (line $sent) was sent after an answer was read (line $read_at)"

# 5. A "bus" that reads the authentication and closes the connection.
S=$T/closing.sock
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
print("ready", flush=True)
c, _ = s.accept(); c.recv(4096); c.close()
' "$S" >"$T/closing.out" &
CLOSE_PID=$!
wait_for 5 grep -q ready "$T/closing.out"
assert_exit 5 env STASIS_BUS_ADDRESS="unix:path=$S" "$STASIS" create "$P/data"
assert_contains "$STASIS_ERR" "stasis: cannot connect to the bus unix:path=$S: "
wait "$CLOSE_PID"

# 6. list: both calls, together, behind Hello.
"$STASIS" create --expire-after=1h "$P/data" >/dev/null
mark
"$STASIS" list >"$T/list.out"
assert_eq "$(calls_from ListSets)" "ListSets ListExpiries" "calls of stasis list"
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
        strace -o "$T/list.strace" -e trace=sendmsg,recvmsg -s 256 "$STASIS" list >/dev/null
sent=$(grep -n '^sendmsg.*ListExpiries' "$T/list.strace" | head -n 1 | cut -d: -f1)
read_at=$(grep -n '^recvmsg.*iov_base="l\\2' "$T/list.strace" | head -n 1 | cut -d: -f1)
[ -n "$sent" ] && [ -n "$read_at" ] || stasis_die "no ListExpiries sent or no answer read: $(cat "$T/list.strace")"
[ "$sent" -lt "$read_at" ] || stasis_die "ListExpiries (line $sent) was sent after an answer was read (line $read_at)"
EXPIRING=$("$STASIS" --json list | jq -r '[.[] | select(.expires != null)] | length')
assert_eq "$EXPIRING" 1 "sets listed with an expiry"
echo "PASS: test-create-calls"
