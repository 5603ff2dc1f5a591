#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-request-id.sh - a requestor's own id for a create (RequestId):
#  1. the same id again answers with the same set, and makes no other;
#     stasis show --request-id finds it; an unknown id is NoSuchSet;
#  2. ids are checked: empty, longer than 128 bytes, control characters,
#     not a string; the errors name the request id;
#  3. a second create with the id while the first is still being made (a
#     slow writer) waits and gets the same set;
#  4. a failed create is remembered: the same id again gets the same error,
#     and makes nothing, even when it would now succeed;
#  5. the same id from another user (nobody, allowed by a polkit rule) is
#     another request: its own set.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
[ -x "$STASIS_TEST_WRITER" ] || stasis_die "build the test helpers first ($STASIS_TEST_WRITER)"

stasis_env_init
have_polkit=no
if [ -x "$POLKITD" ] && id polkitd >/dev/null 2>&1; then
        have_polkit=yes
        trap 'rc=$?; set +e; stasis_stop_polkit; (exit $rc); stasis_cleanup' EXIT
        stasis_bus_include /usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf
fi
T=$STASIS_TMP
stasis_start_bus
mkdir -p "$T/providers.d"
STASISD_ARGS="--providers-dir $T/providers.d"
stasis_start_daemon
stasis_make_fs btrfs pool
P=$STASIS_FS
btrfs -q subvolume create "$P/vol"
btrfs -q subvolume create "$P/db"
chmod 755 "$T" "$T/mnt"
bus() { busctl --address="$STASIS_BUS_ADDRESS" "$@"; }

# ---- 1. The same id: the same set ----

id1=$("$STASIS" --json create --request-id nightly-1 "$P/vol" | jq -r .id)
id2=$("$STASIS" --json create --request-id nightly-1 "$P/vol" | jq -r .id)
assert_eq "$id2" "$id1" "the same request id answers with the same set"
assert_eq "$(stasis_count_sets)" 1 "one set for one request id"
# Whatever else the retry asks, the id decides.
id3=$("$STASIS" --json create --request-id nightly-1 --label other "$P/db" | jq -r .id)
assert_eq "$id3" "$id1" "a retry with other paths still answers with the set of its id"
assert_eq "$("$STASIS" --json show --request-id nightly-1 | jq -r .id)" "$id1" "show --request-id"
grep -q "a CreateSet with its request id 'nightly-1' again" "$T/stasisd.log" ||
        stasis_die "stasisd did not log the repeated request"
# Another id: another set; no id: another set each time.
id4=$("$STASIS" --json create --request-id nightly-2 "$P/vol" | jq -r .id)
[ "$id4" != "$id1" ] || stasis_die "another request id got the same set"
"$STASIS" create "$P/vol" >/dev/null
"$STASIS" create "$P/vol" >/dev/null
assert_eq "$(stasis_count_sets)" 4 "sets without a request id are each new"
assert_exit 3 "$STASIS" show --request-id no-such-id
assert_contains "$STASIS_ERR" "No snapshot set with request id 'no-such-id'"
out=$(bus call org.stasis1 /org/stasis1 org.stasis1.Manager LookupRequestId s nightly-1)
assert_eq "$out" "so \"$id1\" \"/org/stasis1/set/$id1\"" "LookupRequestId"
# A deleted set gives its id up: the id makes a new set.
"$STASIS" delete "$id4" >/dev/null
assert_exit 3 "$STASIS" show --request-id nightly-2
id5=$("$STASIS" --json create --request-id nightly-2 "$P/vol" | jq -r .id)
[ "$id5" != "$id4" ] || stasis_die "the id of a deleted set answered with it"
# The usage of the option.
assert_exit 2 "$STASIS" show 1 --request-id nightly-1
assert_contains "$STASIS_ERR" "give either a set ID or --request-id=ID"
assert_exit 2 "$STASIS" list --request-id nightly-1
assert_contains "$STASIS_ERR" "--request-id only goes with create and show"

# ---- 2. Checked ids ----

create_with_id() {      # create_with_id ID: CreateSet of $P/vol with RequestId ID
        bus call org.stasis1 /org/stasis1 org.stasis1.Manager CreateSet 'asa{sv}' 1 "$P/vol" \
                2 persistent b true RequestId s "$1" 2>&1
}
out=$(create_with_id "") && stasis_die "an empty request id was taken"
assert_contains "$out" "Request id is empty"
long=$(head -c 129 /dev/zero | tr '\0' r)
out=$(create_with_id "$long") && stasis_die "a request id of 129 bytes was taken"
assert_contains "$out" "is 129 bytes long; at most 128"
ok=$(head -c 128 /dev/zero | tr '\0' r)
create_with_id "$ok" >/dev/null || stasis_die "a request id of 128 bytes was refused"
out=$(create_with_id $'tab\there') && stasis_die "a request id with a tab was taken"
assert_contains "$out" "Request id"
assert_contains "$out" "control character"
out=$(bus call org.stasis1 /org/stasis1 org.stasis1.Manager CreateSet 'asa{sv}' 1 "$P/vol" \
        1 RequestId u 7 2>&1) && stasis_die "a request id that is a number was taken"
assert_contains "$out" "Option 'RequestId' must be a string"
assert_exit 2 "$STASIS" create --request-id= "$P/vol"
assert_contains "$STASIS_ERR" "the request id is empty"
assert_exit 2 "$STASIS" create --request-id $'new\nline' "$P/vol"
assert_contains "$STASIS_ERR" "Request id"
out=$(bus call org.stasis1 /org/stasis1 org.stasis1.Manager LookupRequestId s "$long" 2>&1) &&
        stasis_die "LookupRequestId took a request id of 129 bytes"
assert_contains "$out" "at most 128"
n_before=$(stasis_count_sets)

# ---- 3. While the first is being made ----

stasis_start_writer --name slow --component data="$P/db" --fault PrepareSnapshot:slow:2000
SLOW_PID=$STASIS_WRITER_PID
"$STASIS" --json create --request-id slow-1 --component slow:data >"$T/first.json" &
first=$!
stasis_track_pid "$first"
wait_until 10 '[ "$(stasis_count_sets)" = $((n_before + 1)) ]'
"$STASIS" --json create --request-id slow-1 --component slow:data >"$T/second.json" &
second=$!
stasis_track_pid "$second"
wait "$first" || stasis_die "the first create failed"
wait "$second" || stasis_die "the second create failed"
assert_eq "$(jq -r .id "$T/second.json")" "$(jq -r .id "$T/first.json")" "the waiting create got the same set"
assert_eq "$(jq -r .consistency "$T/second.json")" application "the waiting create was answered once it was made"
assert_eq "$(stasis_count_sets)" $((n_before + 1)) "one set for the two creates"
stasis_stop_writer "$SLOW_PID"

# ---- 4. A failure is remembered ----

stasis_start_writer --name vetoer --component data="$P/db" --fault Freeze:veto:disk\ full
VETO_PID=$STASIS_WRITER_PID
assert_exit 9 "$STASIS" create --request-id veto-1 --require-writers --component vetoer:data
assert_contains "$STASIS_ERR" "disk full"
first_err=$STASIS_ERR
stasis_stop_writer "$VETO_PID"
stasis_start_writer --name vetoer --component data="$P/db"
GOOD_PID=$STASIS_WRITER_PID
assert_exit 9 "$STASIS" create --request-id veto-1 --require-writers --component vetoer:data
assert_eq "$STASIS_ERR" "$first_err" "the retry got the same error"
assert_exit 9 "$STASIS" show --request-id veto-1
assert_contains "$STASIS_ERR" "disk full"
assert_eq "$(stasis_count_sets)" $((n_before + 1)) "the failed request made no set, nor did its retry"
# A create waiting for one with its id that fails gets the same error.
stasis_start_writer --name vetoer2 --component data="$P/db" --fault PrepareSnapshot:slow:1500 \
        --fault Freeze:veto:disk\ full
VETO2_PID=$STASIS_WRITER_PID
"$STASIS" create --request-id veto-2 --require-writers --component vetoer2:data >/dev/null 2>"$T/first.err" &
first=$!
stasis_track_pid "$first"
wait_until 10 '[ "$(stasis_count_sets)" = $((n_before + 2)) ]'
rc=0; "$STASIS" create --request-id veto-2 --require-writers --component vetoer2:data >/dev/null 2>"$T/second.err" ||
        rc=$?
assert_eq "$rc" 9 "the waiting create's exit status"
rc=0; wait "$first" || rc=$?
assert_eq "$rc" 9 "the first create's exit status"
assert_eq "$(cat "$T/second.err")" "$(cat "$T/first.err")" "the waiting create got the first one's error"
assert_contains "$(cat "$T/second.err")" "disk full"
stasis_stop_writer "$VETO2_PID"
wait_until 10 '[ "$(stasis_count_sets)" = $((n_before + 1)) ]'
# An error before anything is made is remembered too.
assert_exit 3 "$STASIS" create --request-id nopath-1 "$P/nope"
mkdir "$P/nope"
assert_exit 3 "$STASIS" create --request-id nopath-1 "$P/nope"
assert_contains "$STASIS_ERR" "$P/nope: no such file or directory"
# ... and over a restart of stasisd.
stasis_stop_daemon
stasis_start_daemon
assert_exit 9 "$STASIS" create --request-id veto-1 --require-writers --component vetoer:data
assert_contains "$STASIS_ERR" "disk full"
assert_eq "$("$STASIS" --json show --request-id nightly-1 | jq -r .id)" "$id1" "the id is known after a restart"
stasis_stop_writer "$GOOD_PID"

# ---- 5. Another user's id of the same name ----

if [ "$have_polkit" = yes ]; then
        cat > "$T/50-stasis-test.rules" <<'RULES'
polkit.addRule(function(action, subject) {
        if (action.id == "org.stasis1.create-set" && subject.user == "nobody")
                return polkit.Result.YES;
});
RULES
        stasis_start_polkit "$T/50-stasis-test.rules"
        nid=$(stasis_as_nobody "$STASIS" --json create --request-id nightly-1 "$P/vol" | jq -r .id)
        [ "$nid" != "$id1" ] || stasis_die "nobody's request id answered with root's set"
        assert_eq "$("$STASIS" --json show "$nid" | jq -r .owner_uid)" 65534 "nobody's set"
        nid2=$(stasis_as_nobody "$STASIS" --json create --request-id nightly-1 "$P/vol" | jq -r .id)
        assert_eq "$nid2" "$nid" "nobody's retry answered with nobody's set"
        assert_eq "$(stasis_as_nobody "$STASIS" --json show --request-id nightly-1 | jq -r .id)" "$nid" \
                "nobody finds its own set"
        assert_eq "$("$STASIS" --json show --request-id nightly-1 | jq -r .id)" "$id1" "root still finds its own"
        # Nor do failures meet: root's veto-1 failed, nobody's never was.
        assert_exit 3 stasis_as_nobody "$STASIS" show --request-id veto-1
        stasis_stop_polkit
else
        stasis_log "no polkitd: part 5 (another user's id) not run"
fi
echo "ok"
