#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-retention-config.sh - bad policy files: stasisd --check-config names
# the file and the line of each problem (unknown key, bad duration, a path
# that is not absolute, a component that is not one, a bad name, a policy
# that makes nothing) and exits 1; stasisd itself starts, says which files
# it left out, and runs the good policies. Only root (or polkit) may run a
# policy or clean up; anyone may ask what a cleanup would do.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
stasis_env_init
stasis_start_bus
T=$STASIS_TMP
stasis_make_fs btrfs vol 300M
V=$STASIS_FS
P=$T/policies
mkdir -p "$P"

cat > "$P/good.conf" <<CONF
[Set]
Paths=$V
[Retention]
KeepLast=2
MinAge=0
[Schedule]
OnCalendar=hourly
CONF
printf '[Set]\nPaths=%s\n[Retention]\nKeepLast=2\nKeepForever=yes\n' "$V" > "$P/unknown-key.conf"
printf '[Set]\nPaths=%s\n\n[Retention]\nMinAge=3 fortnights\n' "$V" > "$P/bad-duration.conf"
printf '# relative\n[Set]\nPaths=srv/data\n' > "$P/relative.conf"
printf '[Set]\nComponents=postgres:\n' > "$P/bad-component.conf"
printf '[Retention]\nKeepLast=3\n' > "$P/nothing.conf"
printf '[Set]\nPaths=%s\n' "$V" > "$P/-dash.conf"
printf '[Set]\nPaths=%s\n[Space]\nMinFreePercent=120\n' "$V" > "$P/too-free.conf"

# 1. --check-config: every problem, with file and line
assert_exit 1 "$STASISD" --check-config --policies-dir "$P"
err=$STASIS_ERR
assert_contains "$err" "$P/unknown-key.conf:5: unknown key 'KeepForever' in section [Retention]"
assert_contains "$err" "$P/bad-duration.conf:5: MinAge=: '3 fortnights' is not a duration"
assert_contains "$err" "$P/relative.conf:3: Paths=: 'srv/data' is not an absolute path"
assert_contains "$err" "$P/bad-component.conf:2: Components=: 'postgres:' is not a component"
assert_contains "$err" "$P/nothing.conf: the policy names no Paths= and no Components="
assert_contains "$err" "$P/-dash.conf: '-dash' cannot name a policy"
assert_contains "$err" "$P/too-free.conf:4: MinFreePercent=: 120 is more than 99"
case $err in *good.conf*) stasis_die "the good policy was reported: $err" ;; esac

# 2. only good ones: exit 0
mkdir -p "$T/good"
cp "$P/good.conf" "$T/good/"
out=$("$STASISD" --check-config --policies-dir "$T/good")
assert_contains "$out" "$T/good: 1 policy, no errors."

# 3. stasisd starts with the bad ones left out and runs the good one
STASISD_ARGS="--policies-dir=$P" stasis_start_daemon
log=$(cat "$T/stasisd.log")
assert_contains "$log" "unknown-key.conf:5: unknown key 'KeepForever'"
assert_contains "$log" "Some policies have errors (above) and are left out; the 1 good ones are used."
"$STASIS" run good >/dev/null
# ListPolicies: the good one alone, with its counts and schedule
out=$(busctl --address="$STASIS_BUS_ADDRESS" --json=short call org.stasis1 /org/stasis1 org.stasis1.Manager ListPolicies)
assert_eq "$(jq -c '.data[0] | map(.[0])' <<<"$out")" '["good"]' "the policies stasisd runs"
assert_eq "$(jq -c '.data[0][0] | [.[2], .[4], .[12]]' <<<"$out")" "[[\"$V\"],2,\"hourly\"]" "its paths, KeepLast= and OnCalendar="
assert_eq "$("$STASIS" --json list | jq -r '.[0].policy')" good "a set of the good policy"
assert_exit 2 "$STASIS" run unknown-key
assert_contains "$STASIS_ERR" "No policy 'unknown-key'"
# 4. who may: running and cleaning up need root (or polkit); a dry run, anyone
assert_exit 4 stasis_as_nobody "$STASIS" run good
assert_contains "$STASIS_ERR" "org.stasis1.run-policy"
assert_exit 4 stasis_as_nobody "$STASIS" cleanup
assert_contains "$STASIS_ERR" "org.stasis1.cleanup"
assert_exit 0 stasis_as_nobody "$STASIS" cleanup --dry-run
assert_exit 0 stasis_as_nobody "$STASIS" history
"$STASIS" delete "$("$STASIS" --json list | jq -r '.[0].id')" >/dev/null
stasis_stop_daemon
echo "ok"
