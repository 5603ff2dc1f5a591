#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-security-bus.sh - what a local user can do to stasisd and to writers
# over the bus, acting as `nobody` against the real policy:
#  1. a forged NameOwnerChanged (a unicast signal from a user, not from the
#     bus) sent to stasisd claiming a writer left: the writer stays
#     registered and a set with its component is still application-
#     consistent; claiming an auto-release requestor left: its set stays;
#     sent to a libstasis writer claiming org.stasis1 changed owner: the
#     writer keeps working with the real stasisd;
#  2. ListWriters stays bounded: writers whose metadata adds up to more than
#     the bus's 32 MiB message limit cannot all register (LimitExceeded),
#     ListWriters answers and stasisd stays alive; one writer's metadata
#     comes from GetWriterMetadata;
#  3. floods: an unprivileged caller with too many calls in flight (or too
#     many bytes of them) gets org.stasis1.Error.Busy; root never does;
#     errors quote at most a short prefix of what the caller sent.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
[ -x "$STASIS_TEST_WRITER" ] || stasis_die "build the test helpers first ($STASIS_TEST_WRITER)"
stasis_setup
T=$STASIS_TMP
A=$STASIS_BUS_ADDRESS

stasis_make_fs btrfs pool
P=$STASIS_FS
btrfs -q subvolume create "$P/vol"
echo data > "$P/vol/f"

# unique_name_of PID: the unique bus name of the process PID's (first) connection.
unique_name_of() {
        busctl --address="$A" --json=short list | jq -r --argjson p "$1" \
                '[.[] | select(.pid == $p and (.name | startswith(":")))][0].name // ""'
}
# forge TARGET NAME OLD NEW: as nobody, a NameOwnerChanged sent to TARGET only.
forge() {
        stasis_as_nobody busctl --address="$A" emit --destination="$1" /org/freedesktop/DBus \
                org.freedesktop.DBus NameOwnerChanged sss "$2" "$3" "$4"
}
# A round trip to stasisd from a new connection: whatever was sent to it
# before has been handled when this returns.
sync_daemon() { "$STASIS" --json list >/dev/null; }

DAEMON=$(unique_name_of "$STASISD_PID")
[ -n "$DAEMON" ] || stasis_die "cannot find stasisd's unique name"

# ---- 1. Forged NameOwnerChanged ----

# a. To stasisd: "the writer left".
stasis_start_writer --bus "$A" --name sigw --component data="$P/vol" --log "$T/sigw.log"
WPID=$STASIS_WRITER_PID
WNAME=$(unique_name_of "$WPID")
[ -n "$WNAME" ] || stasis_die "cannot find the writer's unique name"
forge "$DAEMON" "$WNAME" "$WNAME" ""
sync_daemon
stasis_writer_listed sigw || stasis_die "a forged NameOwnerChanged made stasisd drop writer sigw"
id=$("$STASIS" --json create --component sigw:data | jq -r .id)
assert_eq "$("$STASIS" --json show "$id" | jq -r .consistency)" application \
        "set with sigw's component after a forged NameOwnerChanged"
"$STASIS" delete "$id" >/dev/null

# b. To the writer: "org.stasis1 changed owner" (to nobody, then to another
# name); the writer still takes part in sets made by the real stasisd.
forge "$WNAME" org.stasis1 "$DAEMON" ""
forge "$WNAME" org.stasis1 "$DAEMON" ":1.9999"
# The writer handles the signals before the next call from stasisd (one
# connection, in order); Identify is that call.
id=$("$STASIS" --json create --component sigw:data | jq -r .id)
assert_eq "$("$STASIS" --json show "$id" | jq -r .consistency)" application \
        "set with sigw's component after forged signals to the writer"
"$STASIS" delete "$id" >/dev/null
stasis_writer_listed sigw || stasis_die "writer sigw is no longer registered"
stasis_stop_writer "$WPID"

# c. To stasisd: "the requestor of an auto-release set left".
rm -f "$T/in" "$T/id"
mkfifo "$T/in"
"$TEST_REQUESTOR" "$P/vol" <"$T/in" >"$T/id" &
REQ_PID=$!
stasis_track_pid "$REQ_PID"
exec 3>"$T/in"
wait_for 10 test -s "$T/id"
rid=$(cat "$T/id")
RNAME=$(unique_name_of "$REQ_PID")
[ -n "$RNAME" ] || stasis_die "cannot find the requestor's unique name"
forge "$DAEMON" "$RNAME" "$RNAME" ""
sync_daemon
assert_eq "$("$STASIS" --json show "$rid" | jq -r .state)" created \
        "auto-release set after a forged NameOwnerChanged for its requestor"
# The real departure still releases it.
exec 3>&-
wait "$REQ_PID"
wait_until 10 '! "$STASIS" show "$rid" >/dev/null 2>&1'

echo "forged signals: ok"

# ---- 2. ListWriters and the bus's message limit ----

# 15 existing paths of about 3.8 KiB each make a writer's metadata of about
# 57 KiB, within the 64 KiB a writer may have.
long=$P/vol
for i in $(seq 15); do long=$long/$(printf 'd%.0s' $(seq 250)); done
paths=
for i in $(seq -w 15); do
        mkdir -p "$long/$i"
        paths=${paths:+$paths,}$long/$i
done
# 200 writers (11 MiB of metadata) register; 500 more would bring it to
# about 40 MiB, more than one bus message may hold.
stasis_start_writer --bus "$A" --name big --instance a --count 200 --component data="$paths"
BIG1=$STASIS_WRITER_PID
rm -f "$T/big2.ready"
"$STASIS_TEST_WRITER" --bus "$A" --name big --instance b --count 500 --component data="$paths" \
        --ready-file "$T/big2.ready" 2>"$T/big2.err" &
BIG2=$!
stasis_track_pid "$BIG2"
# Either it stops at the limit, or (without one) all of them register.
wait_until 120 '[ -e "$T/big2.ready" ] || ! kill -0 $BIG2 2>/dev/null'
if [ -e "$T/big2.ready" ]; then
        n=$(busctl --address="$A" --json=short call org.stasis1 /org/stasis1 org.stasis1.Manager \
                ListWriters 2>&1 | jq '.data[0] | length' 2>/dev/null) || n=error
        kill -0 "$STASISD_PID" 2>/dev/null || { STASISD_PID=; stasis_die "ListWriters of 700 writers ended stasisd"; }
        stasis_die "700 writers with 40 MiB of metadata registered (ListWriters: $n)"
fi
wait "$BIG2" || true
assert_contains "$(cat "$T/big2.err")" "more than the limit of 16777216" "the writer over the limit is told why"
n=$(busctl --address="$A" --json=short call org.stasis1 /org/stasis1 org.stasis1.Manager ListWriters | jq '.data[0] | length')
[ "$n" -ge 200 ] || stasis_die "ListWriters lists $n writers, expected at least 200"
kill -0 "$STASISD_PID" || stasis_die "stasisd is gone"
# One writer's metadata, and the CLI (as nobody) that reads them all.
meta=$(stasis_as_nobody busctl --address="$A" --json=short call org.stasis1 /org/stasis1 org.stasis1.Manager \
        GetWriterMetadata ss big a-7 | jq -r '.data[0]')
assert_eq "$(jq -r '.components[0].paths | length' <<<"$meta")" 15 "GetWriterMetadata of big@a-7"
assert_eq "$(stasis_as_nobody "$STASIS" --json writers | jq '[.[] | select(.metadata.components[0].name == "data")] | length')" \
        200 "writers with their metadata in stasis --json writers"
assert_exit 1 stasis_as_nobody busctl --address="$A" call org.stasis1 /org/stasis1 org.stasis1.Manager \
        GetWriterMetadata ss nosuch ""
assert_contains "$STASIS_ERR" "No writer nosuch is registered"
stasis_stop_writer "$BIG1"
echo "ListWriters: ok"

# ---- 3. Floods and echoes ----

FLOOD=$STASIS_BUILD_DIR/test/bench/bench-flood
[ -x "$FLOOD" ] || stasis_die "build bench-flood first ($FLOOD)"
"$STASIS" create --label flood "$P/vol" >/dev/null
# nobody keeps 32 calls out on each of 2 connections: beyond 8 in flight per
# connection, stasisd answers Busy; the others are answered.
out=$(stasis_as_nobody "$FLOOD" flood --call ListSets --connections 2 --depth 32 --seconds 2)
echo "nobody: $out"
assert_contains "$out" "org.stasis1.Error.Busy" "nobody's flood is refused beyond the limit"
[ "$(awk '{ print $2 }' <<<"$out")" -gt 0 ] || stasis_die "nobody's calls within the limit were not answered: $out"
err=$(stasis_as_nobody busctl --address="$A" call org.stasis1 /org/stasis1 org.stasis1.Manager GetSet s x 2>&1 || true)
assert_contains "$err" "No snapshot set with id 'x'" "nobody is still answered after the flood"
# root is never held back.
out=$("$FLOOD" flood --call ListSets --connections 2 --depth 32 --seconds 2)
echo "root: $out"
case $out in *refused*" 0 refused"*|*" 0 refused") ;; *) stasis_die "root's calls were refused: $out" ;; esac
# The Busy answer is the one documented.
out=$(stasis_as_nobody "$FLOOD" flood --call GetManagedObjects --connections 1 --depth 64 --seconds 1 --errors)
assert_contains "$out" "this connection already has 8 calls in flight" "the Busy message"
# Calls in flight of 1 MiB each: the fifth would bring them past 4 MiB.
out=$(stasis_as_nobody "$FLOOD" flood --call GetSet --arg-bytes 1048576 --connections 1 --depth 8 --seconds 1 --errors)
assert_contains "$out" "would take more than 4 MiB" "large calls in flight are refused"

# Errors quote at most a short prefix of what the caller sent.
big=$(head -c 100000 /dev/zero | tr '\0' x)
for call in "GetSet s $big" "GetWriterMetadata ss $big $big"; do
        # shellcheck disable=SC2086  # the call and its arguments
        err=$(stasis_as_nobody busctl --address="$A" call org.stasis1 /org/stasis1 org.stasis1.Manager $call 2>&1 || true)
        [ "${#err}" -lt 600 ] || stasis_die "an error echoes ${#err} bytes of ${call%% *}'s arguments: ${err:0:200}..."
        assert_contains "$err" "xxx…" "the error quotes a prefix"
done
for args in "s /$big" "s /nonexistent/$big" ; do
        # shellcheck disable=SC2086
        err=$(busctl --address="$A" call org.stasis1 /org/stasis1 org.stasis1.Manager CreateSet asa{sv} 1 ${args#s } 0 2>&1 || true)
        [ "${#err}" -lt 600 ] || stasis_die "CreateSet's error echoes ${#err} bytes: ${err:0:200}..."
done
err=$(busctl --address="$A" call org.stasis1 /org/stasis1 org.stasis1.Manager CreateSet asa{sv} 1 /tmp 1 \
        "$big" b true 2>&1 || true)
[ "${#err}" -lt 600 ] || stasis_die "CreateSet's error echoes ${#err} bytes of an option name"
err=$(busctl --address="$A" call org.stasis1 /org/stasis1 org.stasis1.Manager CreateSet asa{sv} 0 1 \
        components as 1 "$big" 2>&1 || true)
[ "${#err}" -lt 600 ] || stasis_die "CreateSet's error echoes ${#err} bytes of a component name"
err=$(stasis_as_nobody busctl --address="$A" call org.stasis1 /org/stasis1/set/1 org.freedesktop.DBus.Properties \
        Get ss org.stasis1.Set "$big" 2>&1 || true)
[ "${#err}" -lt 600 ] || stasis_die "a property error echoes ${#err} bytes of its name"
longpath=/org/stasis1/set
for i in $(seq 40); do longpath=$longpath/${big:0:200}; done
err=$(stasis_as_nobody busctl --address="$A" call org.stasis1 "$longpath" org.stasis1.Set Delete 2>&1 || true)
assert_contains "$err" "Unknown object '/org/stasis1/set/xxx"
[ "${#err}" -lt 600 ] || stasis_die "an error echoes ${#err} bytes of an object path"
echo "floods and echoes: ok"
