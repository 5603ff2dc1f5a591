#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-views-open-flood.sh - a user whom polkit lets open views
# (org.stasis1.mount-set) cannot make stasisd track views without bound:
# the connections of one user other than root hold at most 128 open views
# together (each at most 32), refused beyond with LimitExceeded; root still
# opens views; every record goes when the user's connections leave.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
[ -x "$POLKITD" ] || { echo "SKIP: no polkitd at $POLKITD (Debian package polkitd)"; exit 77; }
id polkitd >/dev/null 2>&1 || { echo "SKIP: no user polkitd"; exit 77; }
REQ=${STASIS_TEST_REQUESTOR:-$STASIS_BUILD_DIR/test/helpers/stasis-test-requestor}

stasis_env_init
trap 'rc=$?; set +e; stasis_stop_polkit; (exit $rc); stasis_cleanup' EXIT
T=$STASIS_TMP
stasis_bus_include /usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf
stasis_start_bus
A=$STASIS_BUS_ADDRESS
stasis_start_daemon
cat > "$T/50-stasis-views.rules" <<'RULES'
polkit.addRule(function(action, subject) {
        if (action.id == "org.stasis1.mount-set" && subject.user == "nobody")
                return polkit.Result.YES;
});
RULES
stasis_start_polkit "$T/50-stasis-views.rules"

stasis_make_fs btrfs pool
P=$STASIS_FS
btrfs -q subvolume create "$P/vol"
ids=()
for i in 1 2 3 4; do ids+=("$("$STASIS" --json create "$P/vol" | jq -r .id)"); done
total() { local n=0 i; for i in "${ids[@]}"; do n=$(( n + $("$STASIS" --json show "$i" | jq -r .open_views) )); done; echo $n; }
lines() { [ "$(grep -c '' "$1")" -ge "$2" ]; }

# nobody, 5 connections of 32 views each (8 of each set): the first 4 get them.
mkdir -m 1777 "$T/pub"
for c in 1 2 3 4 5; do
        mkfifo -m 666 "$T/pub/in$c"
        stasis_as_nobody "$REQ" --bus "$A" --count 8 --keep-views views "${ids[@]}" <"$T/pub/in$c" \
                >"$T/out$c" 2>&1 &
        stasis_track_pid $!
        eval "exec $(( c + 2 ))>'$T/pub/in$c'"
        wait_for 30 lines "$T/out$c" 32
done
for c in 1 2 3 4; do
        assert_eq "$(grep -c '^opened' "$T/out$c")" 32 "connection $c of nobody got its 32 views"
done
assert_eq "$(grep -c '^opened' "$T/out5")" 0 "nobody's fifth connection got none"
assert_contains "$(cat "$T/out5")" "error org.stasis1.Error.LimitExceeded"
assert_contains "$(cat "$T/out5")" "The connections of uid 65534 hold 128 open views already"
assert_eq "$(total)" 128 "stasisd tracks nobody's 128 views"
# Root is not held back by nobody's views.
"$REQ" --bus "$A" views "${ids[0]}" </dev/null >"$T/root" || stasis_die "root could not open a view: $(cat "$T/root")"
assert_eq "$(cat "$T/root")" "opened ${ids[0]}"
# nobody's connections leave: nothing is left.
for c in 1 2 3 4 5; do eval "exec $(( c + 2 ))>&-"; done
none() { [ "$(total)" = 0 ]; }
wait_for 10 none
for i in "${ids[@]}"; do "$STASIS" delete "$i" >/dev/null; done
echo "ok"
