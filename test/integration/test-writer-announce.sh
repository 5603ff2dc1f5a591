#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-writer-announce.sh - writers that announce their metadata and the
# events they handle (Manager.UpdateWriterMetadata, which libstasis calls),
# against the real stasisd on a private bus and a btrfs loop volume:
#  1. a set no writer is on: only a writer with an Identify handler gets
#     Identify; the others are not called at all;
#  2. a set they all take part in: each writer gets only the events it has a
#     handler for (Freeze and Thaw together), in the documented order, and
#     its components are application-consistent; BackupComplete only to the
#     writer that handles it;
#  3. a writer that changes its metadata after it registered (a component
#     added) is known with the new metadata by the next set, still without
#     Identify;
#  4. a change stasisd refuses (a path that does not exist) leaves it with
#     the old metadata, and the writer is identified again at every set;
#  5. UpdateWriterMetadata for a writer the caller did not register fails
#     with NoSuchWriter, for root and for nobody;
#  6. a writer on plain sd-bus that never calls UpdateWriterMetadata is
#     identified for every set and gets every event, as before;
#  7. UpdateWriterMetadata's answers: the generation, and the errors for an
#     unknown event, Freeze without Thaw, metadata naming another writer and
#     a path that does not exist (which change nothing).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-monitor.sh"
[ -x "$STASIS_TEST_WRITER" ] || stasis_die "build the test helpers first ($STASIS_TEST_WRITER)"

stasis_env_init
# The calls are counted on the bus: the libstasis writers here take Freeze
# and Thaw on the bus too, not over their channel (test-writer-channel.sh).
export STASIS_WRITER_CHANNEL=0
stasis_bus_allow_monitor
stasis_start_bus
T=$STASIS_TMP
mkdir -p "$T/providers.d"
STASISD_ARGS="--providers-dir $T/providers.d --identify-timeout 30 --prepare-timeout 60 --freeze-window 30"
stasis_start_daemon

stasis_make_fs btrfs pool
P=$STASIS_FS
for v in data idle extra; do btrfs -q subvolume create "$P/$v"; done

L=$T/w.log
# events LOG WRITER: the events of one writer's handlers, in the order they ran.
events() { sort -n "$1" | awk -v w="$2" '$2 == w { printf "%s%s", sep, $3; sep = " " }'; }

# Every message on the bus, as busctl monitor sees it: the calls a writer
# gets, handler or not (libstasis answers those without one itself).
stasis_monitor_start

stasis_start_writer --name lean --component data="$P/data" --log "$L" --handlers Freeze,Thaw \
        --usr1-component extra="$P/extra"
LEAN_PID=$STASIS_WRITER_PID
stasis_start_writer --name prep --component data="$P/data" --log "$L" --handlers PrepareSnapshot,PostSnapshot
stasis_start_writer --name full --component data="$P/data" --log "$L"
stasis_start_writer --name gone --component data="$P/data" --log "$L" --handlers Freeze,Thaw \
        --usr1-component gone=/nonexistent-stasis-path
GONE_PID=$STASIS_WRITER_PID

# ---- 1. A set no writer is on ----
: > "$L"
mark
"$STASIS" create "$P/idle" >/dev/null
monitor_sync
assert_eq "$(calls lean)" "" "lean, no Identify handler, set of another volume"
assert_eq "$(calls gone)" "" "gone, no Identify handler, set of another volume"
assert_eq "$(calls prep)" "" "prep, no Identify handler, set of another volume"
assert_eq "$(calls full)" "Identify" "full, with an Identify handler, set of another volume"
assert_eq "$(events "$L" full)" "Identify" "full's handler, set of another volume"

# ---- 2. A set all three take part in ----
: > "$L"
mark
out=$("$STASIS" --json create "$P/data")
id=$(jq -r .id <<<"$out")
assert_eq "$(jq -r .consistency <<<"$out")" application "set of data: consistency"
assert_eq "$(jq -c '[.components[] | [.writer, .consistency]] | sort' <<<"$out")" \
        '[["full","application"],["gone","application"],["lean","application"],["prep","application"]]' \
        "set of data: components"
assert_eq "$(events "$L" lean)" "Freeze Thaw" "lean's events"
assert_eq "$(events "$L" prep)" "PrepareSnapshot PostSnapshot" "prep's events"
assert_eq "$(events "$L" full)" "Identify PrepareBackup PrepareSnapshot Freeze Thaw PostSnapshot" "full's events"
assert_eq "$(awk -v id="$id" '$3 != "Identify" && ($4 != id || $5 != "ok")' "$L")" "" "every event for set $id, answered"
"$STASIS" complete "$id" >/dev/null
wait_for 5 grep -q "full BackupComplete $id ok" "$L"
monitor_sync
assert_eq "$(calls lean)" "Freeze Thaw" "lean's calls"
assert_eq "$(calls prep)" "PrepareSnapshot PostSnapshot" "prep's calls"
assert_eq "$(calls full)" "Identify PrepareBackup PrepareSnapshot Freeze Thaw PostSnapshot BackupComplete" \
        "full's calls"

# ---- 3. A metadata change, announced ----
: > "$L"
mark
kill -USR1 "$LEAN_PID"
wait_for 5 grep -q "lean MetadataChanged - ok" "$L"
lean_components() { "$STASIS" --json writers | jq -r '.[] | select(.writer == "lean") | .metadata.components | length'; }
lean_has_two() { [ "$(lean_components)" = 2 ]; }
wait_for 5 lean_has_two
out=$("$STASIS" --json create --component lean:extra)
assert_eq "$(jq -c '[.volumes[].path]' <<<"$out")" "[\"$P/extra\"]" "volumes of lean:extra"
assert_eq "$(jq -c '[.components[] | [.writer, .component, .consistency]]' <<<"$out")" \
        '[["lean","extra","application"]]' "components of lean:extra"
assert_eq "$(events "$L" lean)" "MetadataChanged Freeze Thaw" "lean, after its change"
monitor_sync
assert_eq "$(calls lean)" "Freeze Thaw" "lean's calls after its change: no Identify"

# ---- 4. A change stasisd refuses: identified again ----
GONE=$(owner_of gone)
# updates: the UpdateWriterMetadata calls gone made since the mark.
updates() {
        tail -n +"$((MARK + 1))" "$M" | jq -r --arg s "$GONE" \
                'select(.type == "method_call" and .sender == $s and .member == "UpdateWriterMetadata") | .member' | wc -l
}
mark
kill -USR1 "$GONE_PID"
wait_for 5 grep -q "gone MetadataChanged - ok" "$L"
# The update, refused, then the same events with Identify (and no metadata).
two_updates() { [ "$(updates)" = 2 ]; }
wait_for 5 two_updates
monitor_sync
assert_eq "$("$STASIS" --json writers | jq -r '.[] | select(.writer == "gone") | .metadata.components | length')" 1 \
        "gone's refused component is not taken"
mark
"$STASIS" create "$P/idle" >/dev/null
monitor_sync
assert_eq "$(calls gone)" "Identify" "gone, after a refused update: identified again"
assert_eq "$(calls lean)" "" "lean still not identified"

# ---- 5. Only the writer's own connection may update it ----
bus() { busctl --address="$STASIS_BUS_ADDRESS" "$@"; }
assert_exit 1 bus call org.stasis1 /org/stasis1 org.stasis1.Manager UpdateWriterMetadata osas \
        /org/stasis1/writer "" 0
assert_contains "$STASIS_ERR" "no writer registered at /org/stasis1/writer" "root, another's writer"
assert_exit 1 stasis_as_nobody busctl --address="$STASIS_BUS_ADDRESS" call org.stasis1 /org/stasis1 \
        org.stasis1.Manager UpdateWriterMetadata osas /org/stasis1/writer "" 1 Identify
assert_contains "$STASIS_ERR" "no writer registered at /org/stasis1/writer" "nobody, another's writer"

# ---- 6. A writer that never announces: everything, as before ----
PLAIN=$STASIS_BUILD_DIR/test/helpers/test-plain-writer
"$PLAIN" "$STASIS_BUS_ADDRESS" plain "$P/data" >"$T/plain.out" 2>>"$T/plain.err" &
PLAIN_PID=$!
stasis_track_pid "$PLAIN_PID"
plain_registered() { grep -q "plain registered" "$T/plain.out"; }
wait_for 5 plain_registered
mark
"$STASIS" create "$P/idle" >/dev/null
monitor_sync
assert_eq "$(calls plain)" "Identify" "plain, set of another volume"
mark
id=$("$STASIS" --json create "$P/data" | jq -r .id)
"$STASIS" complete "$id" >/dev/null
plain_completed() { grep -q "plain BackupComplete" "$T/plain.out"; }
wait_for 5 plain_completed
monitor_sync
assert_eq "$(calls plain)" "Identify PrepareBackup PrepareSnapshot Freeze Thaw PostSnapshot BackupComplete" \
        "plain, set of its volume"
kill "$PLAIN_PID"
wait "$PLAIN_PID" || true
PLAIN_PID=

# ---- 7. UpdateWriterMetadata's answers ----
meta() { printf '{"version":1,"writer":"%s","components":[%s]}' "$1" "$2"; }
comp() { printf '{"name":"%s","paths":["%s"]}' "$1" "$2"; }
# update NAME EVENTS METADATA: registers NAME (component data on $P/data)
# and calls UpdateWriterMetadata once; its answer in $UPDATE. The writer
# stays (PLAIN_PID) until update_end.
update() {
        local out=$T/update-$1.out
        "$PLAIN" "$STASIS_BUS_ADDRESS" "$1" "$P/data" "$2" "$3" >"$out" 2>>"$T/plain.err" &
        PLAIN_PID=$!
        stasis_track_pid "$PLAIN_PID"
        upd_done() { grep -q "registered" "$out"; }
        wait_for 5 upd_done
        UPDATE=$(grep '^update: ' "$out")
}
update_end() {
        kill "$PLAIN_PID"
        wait "$PLAIN_PID" || true
        PLAIN_PID=
}
update u1 Freze ""
update_end
assert_eq "$UPDATE" "update: org.stasis1.Error.InvalidArgument: Unknown writer event 'Freze'" "an unknown event"
update u2 Freeze ""
update_end
assert_eq "$UPDATE" "update: org.stasis1.Error.InvalidArgument: A writer that takes Freeze must take Thaw, and the \
other way round" "Freeze without Thaw"
update u3 Freeze,Thaw "$(meta other "$(comp data "$P/data")")"
update_end
assert_eq "$UPDATE" \
        "update: org.stasis1.Error.InvalidArgument: Writer metadata refused: its metadata now names writer other" \
        "metadata naming another writer"
update u4 Freeze,Thaw "$(meta u4 "$(comp data /nonexistent-stasis-path)")"
update_end
assert_contains "$UPDATE" \
        "update: org.stasis1.Error.NoSuchPath: Writer metadata refused: components[0].paths[0]: /nonexistent-stasis-path" \
        "a path that does not exist"
update u5 Freeze,Thaw ""
update_end
assert_eq "$UPDATE" "update: ok 1" "the events alone: generation 1, as registered"
# A new component: generation 2; and stasisd uses it without Identify.
mark
update u6 Freeze,Thaw "$(meta u6 "$(comp data "$P/data"),$(comp extra "$P/extra")")"
assert_eq "$UPDATE" "update: ok 2" "new metadata: generation 2"
u6_components() { "$STASIS" --json writers | jq -r '.[] | select(.writer == "u6") | .metadata.components | length'; }
assert_eq "$(u6_components)" 2 "u6's new metadata"
"$STASIS" create "$P/idle" >/dev/null
monitor_sync
assert_eq "$(calls u6)" "" "u6 announced itself without Identify"
update_end

stasis_log "writer announce: OK"
