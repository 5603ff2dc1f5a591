# SPDX-License-Identifier: LGPL-2.1-or-later
# lib-monitor.sh - the calls on the private bus as busctl monitor sees them, for the tests that
# count them. Source it after lib.sh; call stasis_bus_allow_monitor before stasis_start_bus, and
# stasis_monitor_start once the bus and stasisd run.

# stasis_monitor_start: every message of the bus into $M ($STASIS_TMP/monitor.json) from now on,
# by a busctl monitor the cleanup stops; the mark at its start.
stasis_monitor_start() {
        M=$STASIS_TMP/monitor.json
        busctl --address="$STASIS_BUS_ADDRESS" monitor --json=short >"$M" 2>"$STASIS_TMP/monitor.err" &
        stasis_track_pid $!
        MARK=0
        monitor_sync
}
# owner_of WRITER: the unique bus name of WRITER's connection.
owner_of() { "$STASIS" --json writers | jq -r --arg w "$1" '.[] | select(.writer == $w) | .owner'; }
# mark: what calls counts from.
mark() { MARK=$(wc -l <"$M"); }
# calls WRITER: the org.stasis1.Writer calls WRITER got on the bus since the last mark, in order.
calls() {
        local owner
        owner=$(owner_of "$1")
        tail -n +"$((MARK + 1))" "$M" | jq -r --arg d "$owner" \
                'select(.type == "method_call" and .destination == $d and .interface == "org.stasis1.Writer") | .member' |
                paste -sd ' '
}
# monitor_sync: until the monitor has seen a call made now (it is behind by a little; at first, it
# may not be monitoring yet).
pinged() {
        busctl --address="$STASIS_BUS_ADDRESS" call org.stasis1 /org/stasis1 org.freedesktop.DBus.Peer Ping >/dev/null
        tail -n +"$((MARK + 1))" "$M" | grep -q '"member":"Ping"'
}
monitor_sync() { wait_for 5 pinged; }
