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
#     not one) still fails with stasisd's NoSuchSet (exit status 3).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

stasis_env_init
# Root may monitor the private bus (BecomeMonitor), to count the calls.
cat >"$STASIS_TMP/monitor.conf" <<'XML'
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
        "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
        <policy user="root">
                <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Monitoring"/>
        </policy>
</busconfig>
XML
stasis_bus_include "$STASIS_TMP/monitor.conf"
stasis_start_bus
stasis_start_daemon
T=$STASIS_TMP

stasis_make_fs btrfs pool
P=$STASIS_FS
btrfs -q subvolume create "$P/data"

M=$T/monitor.json
busctl --address="$STASIS_BUS_ADDRESS" monitor --json=short >"$M" 2>"$T/monitor.err" &
MON_PID=$!
calls_cleanup() {
        local rc=$?
        set +e
        kill "$MON_PID" 2>/dev/null
        wait "$MON_PID" 2>/dev/null
        (exit "$rc")
        stasis_cleanup
}
trap calls_cleanup EXIT

# Wait until the monitor has seen a call made now (at first, it may not be
# monitoring yet).
pinged() {
        busctl --address="$STASIS_BUS_ADDRESS" call org.stasis1 /org/stasis1 org.freedesktop.DBus.Peer Ping >/dev/null
        tail -n +"$((MARK + 1))" "$M" | grep -q '"member":"Ping"'
}
mark() { MARK=$(wc -l <"$M"); }
MARK=0
wait_for 5 pinged
# calls FIRST: the members of the calls to stasisd, since the mark, of the
# connection that called FIRST first.
calls() {
        wait_for 5 pinged
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
assert_eq "$(calls CreateSet)" "CreateSet GetAll BackupMetadata GetExclusiveSize" "calls of stasis create"
assert_contains "$(cat "$T/create.out")" "State: created"
assert_contains "$(cat "$T/create.out")" "Exclusive: unknown (quotas are not enabled"

# 2. show
mark
"$STASIS" show "$ID" >"$T/show.out"
assert_eq "$(calls GetAll)" "GetAll BackupMetadata GetExclusiveSize" "calls of stasis show"
diff -u "$T/create.out" "$T/show.out" || stasis_die "stasis show does not show what stasis create showed"
J=$("$STASIS" --json show "$ID")
assert_eq "$(jq -r '.id, .state, (.exclusive_bytes | tostring), (.metadata | length)' <<<"$J" | paste -sd ' ')" \
        "$ID created null 0" "stasis --json show"

# 3. sets that are not there
for bad in 4242 no_such; do
        assert_exit 3 "$STASIS" show "$bad"
        assert_eq "$STASIS_ERR" "stasis: No snapshot set with id '$bad'" "stasis show $bad"
done
echo "PASS: test-create-calls"
