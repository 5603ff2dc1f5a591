#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-writers-missing.sh - writers that do not come back after a restart:
# dbus-daemon and stasisd are restarted with two registered test writers,
# one of which is stopped for good meanwhile:
#  1. the other registers again and is listed as before; the stopped one is
#     listed "missing", with its last metadata; once the grace period
#     (WriterGraceSec=2 in the test's stasisd.conf) is over stasisd logs it;
#  2. a set of its component (by name, or by a path of it) records it
#     crash-consistent, saying why; with require-writers the set fails
#     naming the writer; the writer that came back is application-consistent;
#  3. it stays missing over another restart of stasisd;
#  4. forget-writer: nobody may not; root may; then it is no longer listed,
#     sets no longer name it, and another restart does not bring it back;
#     a registered writer cannot be forgotten, an unknown one is not found;
#  5. a missing writer that comes back is no longer missing.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
[ -x "$STASIS_TEST_WRITER" ] || stasis_die "build the test helpers first ($STASIS_TEST_WRITER)"

stasis_env_init
T=$STASIS_TMP
# The bus's address without its guid (a restarted dbus-daemon has another).
start_bus() {
        stasis_start_bus
        STASIS_BUS_ADDRESS=unix:path=$T/bus/system_bus_socket
        export STASIS_BUS_ADDRESS
}
start_bus
mkdir -p "$T/providers.d"
printf '[Writers]\nWriterGraceSec=2\n' > "$T/stasisd.conf"
STASISD_ARGS="--providers-dir $T/providers.d --config $T/stasisd.conf"
stasis_start_daemon
stasis_make_fs btrfs pool
P=$STASIS_FS
btrfs -q subvolume create "$P/keep"
btrfs -q subvolume create "$P/lost"
mkdir -p "$P/lost/data"
chmod 755 "$T" "$T/mnt"

restart_bus() {
        local rc=0
        kill "$DBUS_PID"
        wait "$DBUS_PID" 2>/dev/null || true
        DBUS_PID=
        wait "$STASISD_PID" 2>/dev/null || rc=$?
        STASISD_PID=
        assert_eq "$rc" 1 "stasisd's exit status when the bus goes away"
        start_bus
        stasis_start_daemon
}
state() { stasis_writer_field "$1" state; }
# component SET WRITER FIELD: FIELD of that writer's component data in the set.
component() {
        "$STASIS" --json show "$1" | jq -r --arg w "$2" --arg f "$3" \
                '.components[] | select(.writer == $w and .component == "data") | .[$f]'
}
REASON="writer lost is missing: registered before stasisd restarted and not back"

stasis_start_writer --name keeper --component data="$P/keep"
KEEPER=$STASIS_WRITER_PID
stasis_start_writer --name lost --component data="$P/lost/data" --component logs="$P/lost"
LOST=$STASIS_WRITER_PID
meta_lost=$("$STASIS" --json writers | jq -c '.[] | select(.writer == "lost") | .metadata')
[ -n "$meta_lost" ] && [ "$meta_lost" != null ] || stasis_die "no metadata for lost"

# ---- 1. The bus and stasisd restart; lost is stopped for good meanwhile ----

kill "$DBUS_PID"
wait "$DBUS_PID" 2>/dev/null || true
DBUS_PID=
wait "$STASISD_PID" 2>/dev/null || true
STASISD_PID=
kill -9 "$LOST"
wait "$LOST" 2>/dev/null || true
start_bus
stasis_start_daemon
wait_until 10 '[ "$(state keeper)" = stable ]'
assert_eq "$(stasis_writer_field keeper pid)" "$KEEPER" "keeper registered again, same process"
assert_eq "$(state lost)" missing "lost is listed missing"
assert_eq "$("$STASIS" --json writers | jq -c '.[] | select(.writer == "lost") | .metadata')" "$meta_lost" \
        "lost is listed with its last metadata"
"$STASIS" writers | grep -q "State: missing" || stasis_die "stasis writers does not show lost missing"
"$STASIS" writers | grep -q "Process: none (last registered by uid 0 (root))" ||
        stasis_die "stasis writers does not say lost has no process"
grep -q "2 writer(s) registered before stasisd restarted; waiting 2 s" "$T/stasisd.log" ||
        stasis_die "stasisd did not say it waits for the writers"
grep -q "Writer keeper is back" "$T/stasisd.log" || stasis_die "stasisd did not log keeper's return"
wait_until 10 'grep -q "Writer lost (uid 0) registered before stasisd restarted and has not come back within 2 s" "$T/stasisd.log"'
grep -q "Writer keeper (uid 0) registered before" "$T/stasisd.log" && stasis_die "keeper was logged missing"
assert_eq "$(state lost)" missing "lost is still missing after the grace period"

# ---- 2. Sets that would involve lost's components ----

id=$("$STASIS" --json create --component lost:data --component keeper | jq -r .id)
assert_eq "$(component "$id" lost consistency)" crash-consistent "lost:data in set $id"
assert_eq "$(component "$id" lost reason)" "$REASON" "why lost:data is not application-consistent"
assert_eq "$(component "$id" keeper consistency)" application "keeper:data in set $id"
"$STASIS" show "$id" | grep -q "lost is missing" || stasis_die "stasis show does not say why"
# By a path of its: the whole writer's components on that volume.
id2=$("$STASIS" --json create "$P/lost" | jq -r .id)
assert_eq "$("$STASIS" --json show "$id2" | jq -r '[.components[] | select(.writer == "lost")] | length')" 2 \
        "both of lost's components join the set of its volume"
assert_eq "$("$STASIS" --json show "$id2" | jq -r '.components[] | select(.writer == "lost") | .reason' | sort -u)" \
        "$REASON" "each says why"
[ "$("$STASIS" --json show "$id2" | jq -r .consistency)" != application ] || stasis_die "set $id2 claims application"
# A set of keeper's only does not name lost.
id3=$("$STASIS" --json create --component keeper | jq -r .id)
assert_eq "$("$STASIS" --json show "$id3" | jq -r '[.components[] | select(.writer == "lost")] | length')" 0 \
        "lost is not in a set of keeper's"
# With require-writers: the set fails, naming the missing writer.
assert_exit 9 "$STASIS" create --require-writers --component lost:data
assert_contains "$STASIS_ERR" "$REASON"
n_sets=$(stasis_count_sets)

# ---- 3. Another restart: still missing ----

stasis_stop_daemon
stasis_start_daemon
wait_until 10 '[ "$(state keeper)" = stable ]'
assert_eq "$(state lost)" missing "lost is still missing after another restart"

# ---- 4. forget-writer ----

assert_exit 4 stasis_as_nobody "$STASIS" forget-writer lost
assert_contains "$STASIS_ERR" "Permission denied: only root may forget missing writers"
assert_eq "$(state lost)" missing "nobody forgot nothing"
out=$(stasis_as_nobody busctl --address="$STASIS_BUS_ADDRESS" call org.stasis1 /org/stasis1 org.stasis1.Manager \
        ForgetWriter ss lost "" 2>&1) && stasis_die "nobody forgot lost over the bus"
assert_contains "$out" "org.stasis1.forget-writer"
assert_exit 2 "$STASIS" forget-writer keeper
assert_contains "$STASIS_ERR" "Writer keeper is registered, not missing"
assert_exit 3 "$STASIS" forget-writer nosuch@x
assert_contains "$STASIS_ERR" "No writer nosuch@x is missing"
"$STASIS" forget-writer lost | grep -q "Writer lost forgotten." || stasis_die "forget-writer said nothing"
[ -z "$(state lost)" ] || stasis_die "lost is still listed"
grep -q "Writer lost forgotten" "$T/stasisd.log" || stasis_die "stasisd did not log the forgetting"
id4=$("$STASIS" --json create "$P/lost" | jq -r .id)
assert_eq "$("$STASIS" --json show "$id4" | jq -r '.components | length')" 0 "a forgotten writer is in no set"
stasis_stop_daemon
stasis_start_daemon
wait_until 10 '[ "$(state keeper)" = stable ]'
[ -z "$(state lost)" ] || stasis_die "lost came back as missing after a restart"

# ---- 5. A missing writer that comes back ----

restart_bus
wait_until 10 '[ "$(state keeper)" = stable ]'
kill "$DBUS_PID"; wait "$DBUS_PID" 2>/dev/null || true; DBUS_PID=
wait "$STASISD_PID" 2>/dev/null || true; STASISD_PID=
kill -9 "$KEEPER"; wait "$KEEPER" 2>/dev/null || true
start_bus
stasis_start_daemon
assert_eq "$(state keeper)" missing "keeper is missing"
stasis_start_writer --name keeper --component data="$P/keep"
assert_eq "$(state keeper)" stable "keeper is back"
id5=$("$STASIS" --json create --component keeper | jq -r .id)
assert_eq "$(component "$id5" keeper consistency)" application "keeper back in the next set"
wait_until 10 'grep -q "Writer keeper is back" "$T/stasisd.log"'
echo "ok"
