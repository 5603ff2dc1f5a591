#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-writers.sh - writers against the real stasisd on a private bus and a
# btrfs loop volume, with stasis-test-writer as the applications:
#  1. the events each writer gets, in order; Freeze level by level (front-end,
#     back-end, system), Thaw the other way round, from the writers' logs;
#     BackupComplete after `stasis complete`; Set.WindowUSec;
#  2. components select volumes: exactly the volumes of the selected
#     component; writers not involved get Identify only; a component that is
#     not selectable comes along with its writer and cannot be selected
#     alone; unknown and malformed names; a component on a volume no
#     provider takes;
#  3. application consistency: the snapshot of a simulated application's file
#     ends with a whole transaction;
#  4. bad metadata is refused, with the error name and a message naming the
#     field, path or owner;
#  5. `stasis writers` (table and JSON); a writer that goes away leaves the
#     list at once;
#  6. libstasis thaws by itself when stasisd is killed, or stopped, while
#     the writer is frozen;
#  7. sets with components survive a restart of stasisd; writers register
#     again by themselves;
#  8. two sets made at once over one volume never overlap their freeze
#     windows;
#  9. 50 writers in one set.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
[ -x "$STASIS_TEST_WRITER" ] || stasis_die "build the test helpers first ($STASIS_TEST_WRITER)"

stasis_env_init
stasis_start_bus
T=$STASIS_TMP
mkdir -p "$T/providers.d"       # no external providers: ext4 has none
# Long limits: reaching one would fail the checks that things happen at once.
STASISD_ARGS="--providers-dir $T/providers.d --identify-timeout 30 --prepare-timeout 60 --freeze-window 30"
stasis_start_daemon
# stasisd may be stopped (SIGSTOP) below: never leave it so.
writers_cleanup() {
        local rc=$?
        set +e
        [ -n "$STASISD_PID" ] && kill -CONT "$STASISD_PID" 2>/dev/null
        (exit "$rc")
        stasis_cleanup
}
trap writers_cleanup EXIT

stasis_make_fs btrfs pool
P=$STASIS_FS
PDEV=$STASIS_DEV
for v in lvl db web app appj az conc many; do btrfs -q subvolume create "$P/$v"; done
stasis_make_fs ext4 e4 64M
E=$STASIS_FS
mkdir "$E/files"

bus() { busctl --address="$STASIS_BUS_ADDRESS" "$@"; }
n_sets() { "$STASIS" --json list | jq length; }
# Log lines: "<monotonic us> <writer>[@<instance>] <Event> <set|-> <result>".
# times LOG EVENT SET WRITER-REGEX: the timestamps of those events.
times() { awk -v e="$2" -v s="$3" -v w="^($4)\$" '$3 == e && $4 == s && $2 ~ w { print $1 }' "$1" | sort -n; }
first() { times "$@" | head -n 1; }
last() { times "$@" | tail -n 1; }
# events LOG WRITER: the events of one writer, in the order it got them.
events() { sort -n "$1" | awk -v w="$2" '$2 == w { printf "%s%s", sep, $3; sep = " " }'; }
# assert_before A B WHAT: timestamp A < timestamp B (both non-empty).
assert_before() {
        [ -n "$1" ] && [ -n "$2" ] || stasis_die "$3: missing events ('$1', '$2')"
        [ "$1" -lt "$2" ] || stasis_die "$3: $1 is not before $2 ($(( ($1 - $2) / 1000 )) ms later)"
}

# ---- 1. Order of events, per writer and by level ----
# Two writers per level, in one process each: instance 1 takes 50 ms to
# freeze and to thaw (it logs when it answers), instance 0 answers at once
# (it logs when the call comes). So "level A's last log line before level B's
# first" means level B was called only after all of level A had answered.
L=$T/lvl.log
pids=()
for level in front-end back-end system; do
        stasis_start_writer --name "${level%%-*}" --count 2 --level "$level" --component data="$P/lvl" \
                --log "$L" --fault Freeze:slow:50 --fault Thaw:slow:50 --fault-index 1
        pids+=("$STASIS_WRITER_PID")
done
: > "$L"
start=$(date +%s%N)
out=$("$STASIS" --json create "$P/lvl")
create_ms=$(stasis_elapsed_ms "$start")
id=$(jq -r .id <<<"$out")
assert_eq "$(jq -r .consistency <<<"$out")" application "level set consistency"
assert_eq "$(jq '.components | length' <<<"$out")" 6 "level set components"
assert_eq "$(jq -r '.completed' <<<"$out")" null "not completed yet"
"$STASIS" complete "$id" >/dev/null
for w in front@0 front@1 back@0 back@1 system@0 system@1; do
        wait_for 5 grep -q "$w BackupComplete $id ok" "$L"
        assert_eq "$(events "$L" "$w")" "Identify PrepareBackup PrepareSnapshot Freeze Thaw PostSnapshot BackupComplete" \
                "events of $w"
        assert_eq "$(awk -v w="$w" '$2 == w && $3 != "Identify" && ($4 != id || $5 != "ok")' id="$id" "$L")" "" \
                "$w: every event for set $id, answered ok"
done
assert_before "$(last "$L" PrepareSnapshot "$id" '.*')" "$(first "$L" Freeze "$id" '.*')" "Freeze after every PrepareSnapshot"
assert_before "$(last "$L" Freeze "$id" 'front@.')" "$(first "$L" Freeze "$id" 'back@.')" "front-end frozen before back-end"
assert_before "$(last "$L" Freeze "$id" 'back@.')" "$(first "$L" Freeze "$id" 'system@.')" "back-end frozen before system"
assert_before "$(last "$L" Freeze "$id" '.*')" "$(first "$L" Thaw "$id" '.*')" "Thaw after every Freeze"
assert_before "$(last "$L" Thaw "$id" 'system@.')" "$(first "$L" Thaw "$id" 'back@.')" "system thawed before back-end"
assert_before "$(last "$L" Thaw "$id" 'back@.')" "$(first "$L" Thaw "$id" 'front@.')" "back-end thawed before front-end"
assert_before "$(last "$L" Thaw "$id" '.*')" "$(first "$L" PostSnapshot "$id" '.*')" "PostSnapshot after every Thaw"
"$STASIS" --json show "$id" | jq -e '.completed != null and .completed_usec > 0' >/dev/null || stasis_die "completed not shown"
assert_exit 7 "$STASIS" complete "$id"         # reported already: Busy
assert_contains "$STASIS_ERR" "reported already"
# The window: from the set's turn to the last Thaw, three slow Freezes and
# three slow Thaws in it; shorter than the whole create.
window=$(bus get-property org.stasis1 "/org/stasis1/set/$id" org.stasis1.Set WindowUSec | awk '{ print $2 }')
[ "$window" -ge 300000 ] && [ "$window" -le $(( create_ms * 1000 )) ] ||
        stasis_die "WindowUSec $window: not within 300 ms .. the create's $create_ms ms"
for p in "${pids[@]}"; do stasis_stop_writer "$p"; done

# ---- 2. Components select volumes ----
V=$T/ev.log
stasis_start_writer --name db --instance main --component data="$P/db" --log "$V" --data "$P/db/tx"
DB=$STASIS_WRITER_PID
stasis_start_writer --name web --level front-end --component files="$P/web" --log "$V"
WEB=$STASIS_WRITER_PID
stasis_start_writer --name app --component main="$P/app" --component-unselectable journal="$P/appj" --log "$V"
APP=$STASIS_WRITER_PID
stasis_start_writer --name ext --component files="$E/files" --log "$V"
EXT=$STASIS_WRITER_PID

# Only the selected component's volume; web and app are not involved.
: > "$V"
out=$("$STASIS" --json create --component db@main:data)
id=$(jq -r .id <<<"$out")
assert_eq "$(jq -c '[.volumes[].path]' <<<"$out")" "[\"$P/db\"]" "volumes of db@main:data"
assert_eq "$(jq -r '.volumes[0].snapshot' <<<"$out")" "$(blkid -s UUID -o value "$PDEV"):/.stasis/$id-0" "snapshot of db@main:data"
assert_eq "$(jq -c '[.components[] | [.writer, .instance, .component, .consistency]]' <<<"$out")" \
        '[["db","main","data","application"]]' "components of db@main:data"
for w in web app ext; do
        assert_eq "$(events "$V" "$w")" Identify "$w, not involved, gets Identify only"
done
assert_eq "$(events "$V" db@main)" "Identify PrepareBackup PrepareSnapshot Freeze Thaw PostSnapshot" "db@main takes part"

# A path brings in the writers whose components are on its volume.
: > "$V"
out=$("$STASIS" --json create "$P/web/")
assert_eq "$(jq -c '[.components[] | .writer + ":" + .component]' <<<"$out")" '["web:files"]' "components of a path"
assert_eq "$(events "$V" db@main)" Identify "db@main not involved in a set of web"

# Selecting a writer takes its components; the one that is not selectable
# comes along, with its volume; it cannot be selected by itself.
out=$("$STASIS" --json create --component app:main)
assert_eq "$(jq -c '[.components[].component] | sort' <<<"$out")" '["journal","main"]' "app's components"
assert_eq "$(jq -c '[.volumes[].path] | sort' <<<"$out")" "[\"$P/app\",\"$P/appj\"]" "app's volumes"
out=$("$STASIS" --json create "$P/app")
assert_eq "$(jq -c '[.components[].component] | sort' <<<"$out")" '["journal","main"]' "app's components, by path"
assert_eq "$(jq -c '[.volumes[].path] | sort' <<<"$out")" "[\"$P/app\",\"$P/appj\"]" "app's volumes, by path"
out=$("$STASIS" --json create --component app)
assert_eq "$(jq -c '[.components[].component] | sort' <<<"$out")" '["journal","main"]' "the whole writer app"
assert_exit 3 "$STASIS" create --component app:journal
assert_contains "$STASIS_ERR" "not selectable" "selecting a component that is not selectable"
assert_contains "$STASIS_ERR" "journal"

# Unknown writer, instance, component: exit 3 (not found), naming it.
sets=$(n_sets)
assert_exit 3 "$STASIS" create --component nosuch
assert_contains "$STASIS_ERR" "nosuch"
assert_exit 3 "$STASIS" create --component db@other:data
assert_contains "$STASIS_ERR" "db@other"
assert_exit 3 "$STASIS" create --component db@main:nosuch
assert_contains "$STASIS_ERR" '"nosuch"'
assert_exit 3 "$STASIS" create "$P/web" --component nosuch:x
# Malformed: the CLI refuses the shape (exit 2, usage); stasisd refuses a
# bad name with InvalidArgument (exit 2 as well).
for bad in ':data' 'db@' 'db@:data' 'db:' '@main'; do
        assert_exit 2 "$STASIS" create --component "$bad"
        assert_contains "$STASIS_ERR" "$bad"
done
assert_exit 2 "$STASIS" create --component 'DB!'
assert_contains "$STASIS_ERR" "'DB!' is not WRITER[@INSTANCE][:COMPONENT]"
assert_exit 2 "$STASIS" complete 1 --failed db@main     # --failed needs a component
# A component on a volume no provider takes: NoProvider (exit 6), naming it.
assert_exit 6 "$STASIS" create --component ext:files
assert_contains "$STASIS_ERR" "ext:files"
assert_eq "$(n_sets)" "$sets" "failed creates left no set"
stasis_stop_writer "$EXT"
stasis_stop_writer "$APP"

# ---- 3. Application consistency ----
# db@main writes transactions to $P/db/tx, one step a millisecond; a snapshot
# taken while it is frozen ends with a whole one.
for round in 1 2 3; do
        sleep 0.05
        out=$("$STASIS" --json create --component db@main)
        id=$(jq -r .id <<<"$out")
        assert_eq "$(jq -r .consistency <<<"$out")" application "round $round: set consistency"
        assert_eq "$("$STASIS" --json show "$id" | jq -r '.components[] | select(.writer == "db") | .consistency')" \
                application "round $round: shown component"
        snap=$P/.stasis/$id-0/tx
        [ -s "$snap" ] || stasis_die "round $round: no data in the snapshot"
        tail -n 1 "$snap" | grep -Eq '^end [0-9]+$' || stasis_die "round $round: snapshot ends in a half transaction: $(tail -n 2 "$snap")"
        n=$(tail -n 1 "$snap" | cut -d' ' -f2)
        assert_eq "$(tail -n 2 "$snap" | head -n 1)" "begin $n" "round $round: the last transaction is whole"
done
lines=$(wc -l < "$snap")
wait_until 5 '[ "$(wc -l < "$P/db/tx")" -gt "$((lines + 10))" ]'      # thawed: it writes again
"$STASIS" complete "$id" --failed db@main:data >/dev/null
wait_for 5 grep -q "db@main BackupComplete $id ok" "$V"
assert_exit 3 "$STASIS" complete "$((id - 1))" --failed db@main:nosuch
assert_contains "$STASIS_ERR" "db@main:nosuch"

# ---- 4. Bad metadata ----
# dbus-send prints the error name; busctl only the message.
register() {
        dbus-send --bus="$STASIS_BUS_ADDRESS" --print-reply --dest=org.stasis1 /org/stasis1 \
                org.stasis1.Manager.RegisterWriter objpath:/x "string:$1" 2>&1 || true
}
meta() { printf '{"version":1,"writer":"x","components":[{"name":"a","paths":["%s"]}%s]}' "$1" "${2:-}"; }
out=$(register "$(meta "$P/db")$(printf '%*s' 70000 '')")
assert_contains "$out" "org.stasis1.Error.LimitExceeded" "oversized metadata"
assert_contains "$out" "more than the limit of 65536"
out=$(register '{"version":1,"writer":"x",')
assert_contains "$out" "org.stasis1.Error.InvalidArgument" "malformed JSON"
assert_contains "$out" "not valid JSON"
out=$(register "$(meta var/lib)")
assert_contains "$out" "org.stasis1.Error.InvalidArgument" "relative path"
assert_contains "$out" 'components[0].paths[0]: "var/lib" is not an absolute path'
out=$(register "$(meta "$P/nonexistent")")
assert_contains "$out" "org.stasis1.Error.NoSuchPath" "path that does not exist"
assert_contains "$out" "components[0].paths[0]: $P/nonexistent: No such file or directory"
out=$(register "$(meta "$P/db" ",{\"name\":\"a\",\"paths\":[\"$P/web\"]}")")
assert_contains "$out" "org.stasis1.Error.InvalidArgument" "duplicate component"
assert_contains "$out" 'components[1].name: "a" is already the name of components[0]'
out=$(register '{"version":1,"writer":"db","instance":"main","components":[{"name":"a","paths":["/"]}]}')
assert_contains "$out" "org.stasis1.Error.Busy" "second registration of db@main"
assert_contains "$out" "Writer db@main is registered already by $(stasis_writer_field db@main owner) (pid $DB)"
# busctl, the same way.
out=$(bus call org.stasis1 /org/stasis1 org.stasis1.Manager RegisterWriter os /x "$(meta relative)" 2>&1) &&
        stasis_die "busctl registration with a relative path succeeded"
assert_contains "$out" '"relative" is not an absolute path'
out=$(register "$(meta "$P/db")")
assert_contains "$out" "method return" "good metadata"           # dbus-send's connection is gone now
stasis_within 1000 stasis_writer_unlisted x
# A writer whose component path does not exist fails to start, with stasisd's message.
rc=0
"$STASIS_TEST_WRITER" --name nopath --component c="$P/nonexistent" 2>"$T/nopath.err" || rc=$?
[ "$rc" != 0 ] || stasis_die "a writer with a missing path started"
assert_contains "$(cat "$T/nopath.err")" "Writer metadata refused: components[0].paths[0]: $P/nonexistent: No such file or directory"
rc=0
"$STASIS_TEST_WRITER" --name db --instance main --component c="$P/db" 2>"$T/dup.err" || rc=$?
[ "$rc" != 0 ] || stasis_die "a second db@main started"
assert_contains "$(cat "$T/dup.err")" "Writer db@main is registered already"

# ---- 5. stasis writers ----
id=$("$STASIS" --json create --component db@main | jq -r .id)
js=$("$STASIS" --json writers)
assert_eq "$(jq -c '[.[] | .writer + "@" + .instance]' <<<"$js")" '["db@main","web@"]' "registered writers"
assert_eq "$(stasis_writer_field db@main pid)" "$DB" "db@main's pid"
assert_eq "$(stasis_writer_field web pid)" "$WEB" "web's pid"
assert_eq "$(stasis_writer_field db@main level)" back-end "db@main's level"
assert_eq "$(stasis_writer_field web level)" front-end "web's level"
assert_eq "$(stasis_writer_field db@main state)" waiting-for-backup-complete "db@main's state (last set not completed)"
assert_eq "$(stasis_writer_field db@main last_set)" "$id" "db@main's last set"
assert_eq "$(stasis_writer_field db@main last_error)" "" "db@main has not failed"
assert_eq "$(jq -r '.[] | select(.writer == "db") | .metadata.components[0].paths[0]' <<<"$js")" "$P/db" "metadata"
out=$("$STASIS" writers)
assert_contains "$out" "Writer: db@main"
assert_contains "$out" "Process: pid $DB, uid 0 (root)"
assert_contains "$out" "State: waiting-for-backup-complete"
assert_contains "$out" "Last set: $id"
assert_contains "$out" "$P/db"
# A writer that leaves, or dies, leaves the list at once.
stasis_stop_writer "$WEB"
stasis_within 1000 stasis_writer_unlisted web
kill -9 "$DB"
wait "$DB" 2>/dev/null || true
stasis_within 1000 stasis_writer_unlisted db@main
assert_eq "$("$STASIS" writers)" "No writers registered." "empty list"

# ---- 6. libstasis thaws by itself ----
# az-f (front-end) freezes; az-h (back-end) then hangs at Freeze, so that az-f
# stays frozen.
A=$T/az.log
start_az() {    # start_az [OPTION...] for az-f
        stasis_start_writer --name az-f --level front-end --component data="$P/az" --log "$A" "$@"
        AZF=$STASIS_WRITER_PID
        stasis_start_writer --name az-h --level back-end --component data="$P/az" --log "$A" --fault Freeze:hang
        AZH=$STASIS_WRITER_PID
}
frozen_set() { awk '$2 == "az-f" && $3 == "Freeze" && $5 == "ok" { print $4 }' "$A" | tail -n 1; }
az_frozen() { [ -n "$(frozen_set)" ] && grep -q "az-h Freeze $(frozen_set) hang" "$A"; }

# a) stasisd is killed: the writer thaws at once (stasisd left the bus).
start_az
: > "$A"
"$STASIS" create "$P/az" >/dev/null 2>&1 &
CLI=$!
stasis_track_pid "$CLI"
wait_for 10 az_frozen
id=$(frozen_set)
kill -9 "$STASISD_PID"
stasis_within 1000 grep -q "az-f Thaw $id auto-thaw:stasisd left the bus" "$A"
wait "$STASISD_PID" 2>/dev/null || true
STASISD_PID=
grep -q "az-h Thaw $id auto-thaw:stasisd left the bus" "$A" || stasis_die "az-h (frozen, hanging) did not thaw"
rc=0
wait "$CLI" || rc=$?
[ "$rc" != 0 ] || stasis_die "create succeeded although stasisd was killed"
# The next stasisd removes the half-made set; the writers come back by themselves.
stasis_start_daemon
# (No snapshot was taken yet, and none was ever taken of this subvolume: its
# snapshot area does not exist either.)
set_gone() { [ "$("$STASIS" --json list | jq --arg id "$1" 'map(select(.id == $id)) | length')" = 0 ]; }
for i in $(seq 50); do set_gone "$id" && break; sleep 0.1; done
set_gone "$id" || stasis_die "half-made set $id was not removed at start-up: $("$STASIS" --json show "$id" | jq -c '{state, error}'); stasisd: $(grep "Set $id" "$T/stasisd.log" | tail -n 3)"
wait_for 5 stasis_writer_listed az-f
wait_for 5 stasis_writer_listed az-h
assert_eq "$(stasis_writer_field az-f pid)" "$AZF" "az-f registered again, same process"
stasis_writable "$P/az" || stasis_die "the volume is frozen"
stasis_stop_writer "$AZF"
stasis_stop_writer "$AZH"

# b) stasisd is stopped: the writer thaws when its freeze window (its own
# freeze timeout, 1 s) has passed, not before.
start_az --freeze-timeout 1000
: > "$A"
"$STASIS" --json create "$P/az" >"$T/az.out" 2>&1 &
CLI=$!
stasis_track_pid "$CLI"
wait_for 10 az_frozen
id=$(frozen_set)
kill -STOP "$STASISD_PID"
wait_for 5 grep -q "az-f Thaw $id auto-thaw:the freeze window of .* ms passed without Thaw" "$A"
kill -CONT "$STASISD_PID"
frozen_ms=$(( ($(last "$A" Thaw "$id" az-f) - $(last "$A" Freeze "$id" az-f)) / 1000 ))
[ "$frozen_ms" -ge 900 ] && [ "$frozen_ms" -lt 2000 ] || stasis_die "az-f thawed by itself after $frozen_ms ms, not after its 1 s window"
# stasisd goes on: az-f answers its Thaw with Timeout; the set is made, its
# components only crash-consistent.
wait "$CLI" || stasis_die "create failed after SIGCONT: $(cat "$T/az.out")"
out=$(cat "$T/az.out")
assert_eq "$(jq -r '.components[] | select(.writer == "az-f") | .consistency' <<<"$out")" crash-consistent "az-f after its auto-thaw"
assert_eq "$(stasis_writer_field az-f state)" failed-at-thaw "az-f's state"
assert_contains "$(stasis_writer_field az-f last_error)" "thawed by itself"
stasis_writable "$P/az" || stasis_die "the volume is frozen"
stasis_stop_writer "$AZF"
stasis_stop_writer "$AZH"

# ---- 7. Restart: sets keep their components; writers register again ----
stasis_start_writer --name db --instance main --component data="$P/db" --log "$V"
DB=$STASIS_WRITER_PID
stasis_start_writer --name web --level front-end --component files="$P/web" --log "$V"
WEB=$STASIS_WRITER_PID
out=$("$STASIS" --json create --component db@main:data "$P/web" "$P/az")
id=$(jq -r .id <<<"$out")
"$STASIS" complete "$id" --failed web:files >/dev/null
before=$("$STASIS" --json list | jq -c 'map(select(.state == "created") | {id, state, consistency})')
shown=$("$STASIS" --json show "$id" | jq -c '{components, consistency, completed_usec}')
assert_eq "$(jq -c '[.components[] | .writer + ":" + .component + ":" + .consistency] | sort' <<<"$shown")" \
        '["db:data:application","web:files:application"]' "components before the restart"
stasis_stop_daemon
stasis_start_daemon
assert_eq "$("$STASIS" --json list | jq -c 'map(select(.state == "created") | {id, state, consistency})')" "$before" "sets after the restart"
assert_eq "$("$STASIS" --json show "$id" | jq -c '{components, consistency, completed_usec}')" "$shown" \
        "components, consistency and completion after the restart"
assert_eq "$("$STASIS" --json show 2 | jq -c '[.components[] | .writer + ":" + .consistency]')" \
        '["db:application"]' "an older set's components after the restart"
wait_for 5 stasis_writer_listed db@main
wait_for 5 stasis_writer_listed web
assert_eq "$(stasis_writer_field db@main state)" stable "db@main after registering again"
out=$("$STASIS" --json create --component db@main)
assert_eq "$(jq -r .consistency <<<"$out")" application "a set after the restart"
stasis_stop_writer "$DB"
stasis_stop_writer "$WEB"

# ---- 8. Two sets at once never overlap their freeze windows ----
C=$T/conc.log
stasis_start_writer --name conc-f --level front-end --component data="$P/conc" --log "$C" \
        --fault Freeze:slow:20 --fault Thaw:slow:20
CF=$STASIS_WRITER_PID
stasis_start_writer --name conc-b --level back-end --component data="$P/conc" --log "$C" \
        --fault Freeze:slow:20 --fault Thaw:slow:20
CB=$STASIS_WRITER_PID
: > "$C"
for round in 1 2 3 4 5; do
        "$STASIS" --json create "$P/conc" >"$T/conc-a.out" 2>&1 &
        a=$!
        "$STASIS" --json create "$P/conc" >"$T/conc-b.out" 2>&1 &
        b=$!
        wait "$a" || stasis_die "round $round: the first create failed: $(cat "$T/conc-a.out")"
        wait "$b" || stasis_die "round $round: the second create failed: $(cat "$T/conc-b.out")"
        for f in "$T/conc-a.out" "$T/conc-b.out"; do
                assert_eq "$(jq -r .consistency "$f")" application "round $round: consistency"
        done
done
# Per set: [first Freeze, last Thaw]; sorted by start, each must end before
# the next starts.
ids=$(awk '$3 == "Freeze" { print $4 }' "$C" | sort -un)
assert_eq "$(wc -w <<<"$ids")" 10 "ten sets frozen"
windows=
for i in $ids; do
        assert_eq "$(times "$C" Freeze "$i" 'conc-.' | wc -l) $(times "$C" Thaw "$i" 'conc-.' | wc -l)" "2 2" \
                "set $i: Freeze and Thaw of both writers"
        windows+="$(first "$C" Freeze "$i" 'conc-.') $(last "$C" Thaw "$i" 'conc-.') $i"$'\n'
done
prev_end=0
prev_id=
while read -r s e i; do
        [ "$s" -gt "$prev_end" ] ||
                stasis_die "the freeze window of set $i began $(( (prev_end - s) / 1000 )) ms before set $prev_id's ended"
        prev_end=$e
        prev_id=$i
done < <(sort -n <<<"${windows%$'\n'}")
stasis_stop_writer "$CF"
stasis_stop_writer "$CB"

# ---- 9. Fifty writers ----
M=$T/many.log
stasis_start_writer --name many --count 50 --component data="$P/many" --log "$M"
MANY=$STASIS_WRITER_PID
assert_eq "$("$STASIS" --json writers | jq 'map(select(.writer == "many")) | length')" 50 "fifty writers listed"
out=$("$STASIS" --json create "$P/many")
id=$(jq -r .id <<<"$out")
assert_eq "$(jq -r .consistency <<<"$out")" application "fifty writers: consistency"
assert_eq "$(jq '[.components[] | select(.consistency == "application")] | length' <<<"$out")" 50 "fifty components"
assert_eq "$(jq -r '[.components[].instance] | unique | length' <<<"$out")" 50 "fifty instances"
assert_eq "$(awk -v id="$id" '$3 == "Freeze" && $4 == id && $5 == "ok" { print $2 }' "$M" | sort -u | wc -l)" 50 "fifty froze"
assert_eq "$(awk -v id="$id" '$3 == "Thaw" && $4 == id && $5 == "ok" { print $2 }' "$M" | sort -u | wc -l)" 50 "fifty thawed"
stasis_stop_writer "$MANY"
wait_until 5 '[ "$("$STASIS" --json writers | jq length)" = 0 ]'
stasis_writable "$P" || stasis_die "the pool is frozen"
