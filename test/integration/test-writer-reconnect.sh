#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-writer-reconnect.sh - libstasis writers survive a restart of the bus:
# dbus-daemon is restarted on the same socket and stasisd started again (it
# exits with status 1 when the bus goes away, and its unit restarts it on
# failure: Restart=on-failure); writers
# built on libstasis, in each way of running one (sd-event loop, fd and
# stasis_writer_process(), stasis_writer_run()), reconnect by themselves,
# register again with the same metadata, tell the application through their
# state handler, and take part in the next set, application-consistent;
# also when the bus stays away for a while and comes back before stasisd. A
# writer frozen when the bus dies thaws at once and comes back too.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
[ -x "$STASIS_TEST_WRITER" ] || stasis_die "build the test helpers first ($STASIS_TEST_WRITER)"

stasis_env_init
T=$STASIS_TMP
# The bus's address without its guid= part, as the system bus's is: a
# restarted dbus-daemon has another guid, and sd-bus refuses a server whose
# guid is not the one in the address.
start_bus() {
        stasis_start_bus
        STASIS_BUS_ADDRESS=unix:path=$T/bus/system_bus_socket
        export STASIS_BUS_ADDRESS
}
start_bus
mkdir -p "$T/providers.d"
STASISD_ARGS="--providers-dir $T/providers.d --identify-timeout 30 --prepare-timeout 60 --freeze-window 30"
stasis_start_daemon

stasis_make_fs btrfs pool
P=$STASIS_FS
for v in att pol run az; do btrfs -q subvolume create "$P/$v"; done

L=$T/writers.log
# Log lines: "<monotonic us> <writer> <Event|State> <set|-> <result>".
logged() { grep -q -- "$1" "$L"; }
listed_all() {
        local w
        for w in "$@"; do stasis_writer_listed "$w" || return 1; done
}
# consistency SET WRITER: that writer's component's consistency in the set.
consistency() {
        "$STASIS" --json show "$1" | jq -r --arg w "$2" '.components[] | select(.writer == $w) | .consistency'
}

# restart_bus [SIGNAL]: dbus-daemon goes away (SIGTERM, or the signal given);
# stasisd loses its connection and exits with status 1; then both come back,
# the bus on the same socket.
restart_bus() {
        local rc=0
        kill "-${1:-TERM}" "$DBUS_PID"
        wait "$DBUS_PID" 2>/dev/null || true
        DBUS_PID=
        wait "$STASISD_PID" 2>/dev/null || rc=$?
        STASISD_PID=
        assert_eq "$rc" 1 "stasisd's exit status when the bus goes away"
        start_bus
        stasis_start_daemon
}

# The status 1 that stasisd exits with when the bus goes away is one that
# its unit restarts.
grep -qx 'Restart=on-failure' "$STASIS_SRC/data/stasisd.service" || stasis_die "stasisd.service does not restart stasisd"

# ---- 1. A writer in each way of running one comes back by itself ----
stasis_start_writer --name rw-att --log-states --loop attach --component data="$P/att" --log "$L"
ATT=$STASIS_WRITER_PID
stasis_start_writer --name rw-pol --log-states --loop poll --component data="$P/pol" --log "$L"
POL=$STASIS_WRITER_PID
stasis_start_writer --name rw-run --log-states --loop run --component data="$P/run" --log "$L"
RUN=$STASIS_WRITER_PID
meta_before=$("$STASIS" --json writers | jq -c 'map({writer, metadata}) | sort_by(.writer)')

restart_bus
wait_until 10 'listed_all rw-att rw-pol rw-run'
assert_eq "$(stasis_writer_field rw-att pid)" "$ATT" "rw-att registered again, same process"
assert_eq "$(stasis_writer_field rw-pol pid)" "$POL" "rw-pol registered again, same process"
assert_eq "$(stasis_writer_field rw-run pid)" "$RUN" "rw-run registered again, same process"
assert_eq "$("$STASIS" --json writers | jq -c 'map({writer, metadata}) | sort_by(.writer)')" "$meta_before" \
        "the metadata registered again"
# The application is told: the connection was lost, then registered again.
for w in rw-att rw-pol rw-run; do
        logged "$w State - disconnected:the bus connection was lost" || stasis_die "$w: no disconnected state: $(grep "$w State" "$L")"
        [ "$(grep "$w State" "$L" | tail -n 1 | awk '{ print $5 }')" = registered ] ||
                stasis_die "$w: last state is not registered: $(grep "$w State" "$L")"
done

# They take part in the next set.
id=$("$STASIS" --json create --component rw-att --component rw-pol --component rw-run | jq -r .id)
for w in rw-att rw-pol rw-run; do
        assert_eq "$(consistency "$id" "$w")" application "$w's component in set $id"
        logged "$w Freeze $id ok" || stasis_die "$w did not freeze for set $id"
        logged "$w Thaw $id ok" || stasis_die "$w did not thaw for set $id"
done

# Twice more, the second time with SIGKILL (no goodbye from the bus).
restart_bus
wait_until 10 'listed_all rw-att rw-pol rw-run'
restart_bus KILL
wait_until 10 'listed_all rw-att rw-pol rw-run'
id=$("$STASIS" --json create --component rw-att --component rw-pol --component rw-run | jq -r .id)
for w in rw-att rw-pol rw-run; do
        assert_eq "$(consistency "$id" "$w")" application "$w's component in set $id, after three restarts"
done
# The bus stays away for a while (several attempts fail, each after a
# longer wait), then comes back without stasisd: the writers wait for it,
# and register once it takes its name.
kill "$DBUS_PID"
wait "$DBUS_PID" 2>/dev/null || true
DBUS_PID=
wait "$STASISD_PID" 2>/dev/null || true
STASISD_PID=
sleep 1.5
for p in "$ATT" "$POL" "$RUN"; do
        kill -0 "$p" 2>/dev/null || stasis_die "writer $p exited while the bus was away: $(tail -n 5 "$T/writer.err")"
done
: > "$L"
start_bus
wait_until 10 'logged "rw-att State - waiting:stasisd is not on the bus" && logged "rw-pol State - waiting:stasisd is not on the bus" && logged "rw-run State - waiting:stasisd is not on the bus"'
stasis_start_daemon
wait_until 10 'listed_all rw-att rw-pol rw-run'
id=$("$STASIS" --json create --component rw-att --component rw-pol --component rw-run | jq -r .id)
for w in rw-att rw-pol rw-run; do
        assert_eq "$(consistency "$id" "$w")" application "$w's component in set $id, after the bus was away"
done
stasis_stop_writer "$ATT"
stasis_stop_writer "$POL"
stasis_stop_writer "$RUN"

# ---- 2. A writer frozen when the bus dies thaws itself, then comes back ----
# az-f (front-end) freezes; az-h (back-end) then hangs at its first Freeze,
# so that az-f stays frozen.
A=$T/az.log
stasis_start_writer --name az-f --log-states --level front-end --component data="$P/az" --log "$A"
AZF=$STASIS_WRITER_PID
stasis_start_writer --name az-h --log-states --level back-end --component data="$P/az" --log "$A" \
        --fault Freeze:hang --fault-count 1 --loop poll
AZH=$STASIS_WRITER_PID
frozen_set() { awk '$2 == "az-f" && $3 == "Freeze" && $5 == "ok" { print $4 }' "$A" | tail -n 1; }
az_frozen() { [ -n "$(frozen_set)" ] && grep -q "az-h Freeze $(frozen_set) hang" "$A"; }
"$STASIS" create "$P/az" >/dev/null 2>&1 &
CLI=$!
stasis_track_pid "$CLI"
wait_for 10 az_frozen
id=$(frozen_set)
restart_bus KILL
grep -q "az-f Thaw $id auto-thaw:the bus connection was lost" "$A" ||
        grep -q "az-f Thaw $id auto-thaw:stasisd left the bus" "$A" || stasis_die "az-f did not thaw: $(cat "$A")"
grep -q "az-h Thaw $id auto-thaw:" "$A" || stasis_die "az-h (frozen, hanging) did not thaw: $(cat "$A")"
# The thaw comes before the application hears that the connection was lost.
assert_eq "$(awk '$2 == "az-f" && ($3 == "Thaw" || $5 ~ /^disconnected/) { printf "%s ", $3 }' "$A")" "Thaw State " \
        "az-f: the thaw, then the state change"
rc=0
wait "$CLI" || rc=$?
[ "$rc" != 0 ] || stasis_die "create succeeded although the bus went away"
stasis_writable "$P/az" || stasis_die "the volume is frozen"
wait_until 10 'listed_all az-f az-h'
id=$("$STASIS" --json create --component az-f --component az-h | jq -r .id)
assert_eq "$(consistency "$id" az-f)" application "az-f after it thawed itself and came back"
assert_eq "$(consistency "$id" az-h)" application "az-h after it thawed itself and came back"
stasis_stop_writer "$AZF"
stasis_stop_writer "$AZH"
echo ok
