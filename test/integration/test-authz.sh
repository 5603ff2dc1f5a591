#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-authz.sh - who may do what, beyond root, with the real polkitd on the
# private bus and the real bus policy, acting as the user nobody:
#  1. polkit not running: only root may create, delete, complete, resolve or
#     register; the refusal says why;
#  2. polkit running, no rule: nobody is refused every action, the message
#     naming the polkit action; root is not asked about;
#  3. a rule granting org.stasis1.create-set to nobody: nobody creates a set
#     (owned by uid 65534) and still may not delete it; many calls waiting
#     for polkit at once; stasisd answers others while polkit thinks (polkitd
#     stopped), and exits cleanly with a check under way;
#  4. polkit stopped again: only root;
#  5. stasisd.conf RegisterWriterUsers=nobody: nobody's writer registers,
#     takes part in an application-consistent set, unregisters; a user not
#     listed is refused;
#  6. RegisterWriterGroups= by name and by number: a process with the group
#     may register, one without it may not;
#  7. --check-config and start-up: errors with file and line, a config file
#     not owned by root or writable by others is refused.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
[ -x "$STASIS_TEST_WRITER" ] || stasis_die "build the test helpers first ($STASIS_TEST_WRITER)"
[ -x "$POLKITD" ] || { echo "SKIP: no polkitd at $POLKITD (Debian package polkitd)"; exit 77; }
id polkitd >/dev/null 2>&1 || { echo "SKIP: no user polkitd"; exit 77; }

stasis_env_init
# polkitd goes first, quietly.
trap 'rc=$?; set +e; stasis_stop_polkit; (exit $rc); stasis_cleanup' EXIT
T=$STASIS_TMP
stasis_bus_include /usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf
stasis_start_bus
mkdir -p "$T/providers.d"
STASISD_ARGS="--providers-dir $T/providers.d --config $T/stasisd.conf --log-level debug"
: > "$T/stasisd.conf"
# No AddressSanitizer quarantine in a sanitizer build, so that stasisd's RSS
# tells what it keeps (part 2b); other builds ignore the variable.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0" \
        stasis_start_daemon

stasis_make_fs btrfs pool
P=$STASIS_FS
btrfs -q subvolume create "$P/vol"
mkdir "$P/vol/db"

bus() { busctl --address="$STASIS_BUS_ADDRESS" "$@"; }
nobody_call() {
        stasis_as_nobody busctl --address="$STASIS_BUS_ADDRESS" --allow-interactive-authorization=no \
                call org.stasis1 "$@" 2>&1
}
META='{"version":1,"writer":"w","components":[{"name":"data","paths":["'$P/vol/db'"]}]}'
# refused WHAT ACTION REASON: nobody tries every privileged method; each is
# refused with AccessDenied, naming the action and the reason.
refused_all() {
        local reason=$1 out
        assert_exit 4 stasis_as_nobody "$STASIS" create "$P/vol"
        assert_contains "$STASIS_ERR" "Permission denied: only root may create snapshot sets (caller uid 65534): $reason org.stasis1.create-set"
        out=$(nobody_call /org/stasis1 org.stasis1.Manager DeleteSet s 1) && stasis_die "nobody deleted set 1"
        assert_contains "$out" "only root may delete snapshot sets (caller uid 65534): $reason org.stasis1.delete-set"
        out=$(nobody_call /org/stasis1/set/1 org.stasis1.Set Delete) && stasis_die "nobody deleted set 1 (Set.Delete)"
        assert_contains "$out" "$reason org.stasis1.delete-set"
        out=$(nobody_call /org/stasis1/set/1 org.stasis1.Set Complete as 0) && stasis_die "nobody completed set 1"
        assert_contains "$out" "only root may report backups (caller uid 65534): $reason org.stasis1.complete-set"
        out=$(nobody_call /org/stasis1 org.stasis1.Manager ResolvePaths as 1 /root) && stasis_die "nobody resolved /root"
        assert_contains "$out" "$reason org.stasis1.resolve-paths"
        out=$(nobody_call /org/stasis1 org.stasis1.Manager DescribePaths as 1 /root) && stasis_die "nobody described /root"
        assert_contains "$out" "$reason org.stasis1.resolve-paths"
        out=$(nobody_call /org/stasis1 org.stasis1.Manager RegisterWriter os /w "$META") && stasis_die "nobody registered"
        assert_contains "$out" "only root may register writers (caller uid 65534, not named by RegisterWriterUsers= or RegisterWriterGroups=): $reason org.stasis1.register-writer"
        for call in "RescanOrphans" "DeleteOrphan s x:/.stasis/1-0" "AdoptOrphans s 1"; do
                # shellcheck disable=SC2086  # the method and its arguments
                out=$(nobody_call /org/stasis1 org.stasis1.Manager $call) && stasis_die "nobody called ${call%% *}"
                assert_contains "$out" "only root may manage orphan snapshots (caller uid 65534): $reason org.stasis1.manage-orphans"
        done
}

# 1. No polkit on the bus.
assert_eq "$("$STASIS" --json create "$P/vol" | jq -r .id)" 1 "root creates set 1"
"$STASIS" show 1 >/dev/null
refused_all "polkit is not running, so it cannot authorize action"
assert_eq "$(stasis_count_sets)" 1 "still one set"

# 2. polkit with stasis's actions and no rule: the defaults ask for an
# administrator's password, which a call without interactive authorization
# cannot give.
stasis_start_polkit
refused_all "the call does not allow interactive authorization, which polkit needs for action"
# Allowed to ask, polkit has no agent to ask the password with.
out=$(stasis_as_nobody busctl --address="$STASIS_BUS_ADDRESS" --allow-interactive-authorization=yes call org.stasis1 \
      /org/stasis1 org.stasis1.Manager DeleteSet s 1 2>&1) && stasis_die "nobody deleted set 1"
assert_contains "$out" "(caller uid 65534): polkit could not authenticate the caller (no authentication agent?) for action org.stasis1.delete-set"
# Root is never asked about: it still may, even with polkit saying no to all.
"$STASIS" complete 1 >/dev/null
assert_eq "$(stasis_count_sets)" 1 "nobody changed nothing"
grep -q "polkit authorizes" "$T/stasisd.log" && stasis_die "stasisd logged an authorization"
# Connections that leave while polkit thinks about their call leave nothing
# behind in stasisd: 1000 such calls (each connection's record of its calls
# is about 3 KiB) do not make it grow by as much as 1 MiB.
# (Under AddressSanitizer freed memory waits in a quarantine, which would
# count as growth: stasisd here runs without one, see the start of the test.)
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$STASISD_PID/status"; }
asked() { grep -c "Asking polkit whether uid 65534 (:1\.[0-9]*) may org.stasis1.delete-set\." "$T/stasisd.log" || true; }
gone_calls() {
        local i n pids=()
        n=$(asked)
        kill -STOP "$STASIS_POLKIT_PID"
        for (( i = 0; i < 100; i++ )); do
                # exec: the pid is busctl's, not a subshell's.
                (exec setpriv --reuid=nobody --regid=nogroup --clear-groups -- busctl \
                        --address="$STASIS_BUS_ADDRESS" --allow-interactive-authorization=no call org.stasis1 \
                        /org/stasis1 org.stasis1.Manager DeleteSet s 1 >/dev/null 2>&1) &
                pids+=($!)
        done
        wait_until 30 "[ \"\$(asked)\" -ge $(( n + 100 )) ]"
        kill "${pids[@]}" 2>/dev/null
        wait "${pids[@]}" 2>/dev/null || true
        kill -CONT "$STASIS_POLKIT_PID"
        # After polkit's answers to those (it answers in turn).
        nobody_call /org/stasis1 org.stasis1.Manager DeleteSet s 1 >/dev/null && stasis_die "nobody deleted set 1"
        return 0
}
gone_calls
before=$(rss)
for (( round = 0; round < 10; round++ )); do gone_calls; done
after=$(rss)
stasis_log "stasisd's RSS: $before KiB before 1000 calls of connections that left, $after KiB after"
[ $(( after - before )) -lt 1024 ] ||
        stasis_die "stasisd grew by $(( after - before )) KiB for 1000 calls of connections that left the bus"

# 3. A rule that grants org.stasis1.create-set to nobody (polkitd reads rules
# at start).
cat > "$T/50-stasis-test.rules" <<'RULES'
polkit.addRule(function(action, subject) {
        if (action.id == "org.stasis1.create-set" && subject.user == "nobody")
                return polkit.Result.YES;
});
RULES
# And one that grants org.stasis1.resolve-paths to nobody.
sed 's/create-set/resolve-paths/' "$T/50-stasis-test.rules" > "$T/60-stasis-resolve.rules"
stasis_stop_polkit
stasis_start_polkit "$T/50-stasis-test.rules" "$T/60-stasis-resolve.rules"

# stasisd does not wait for polkit: with polkitd stopped (SIGSTOP) while
# nobody's ResolvePaths waits for its answer, root's calls and nobody's
# read-only ones are answered; once polkitd goes on, so is nobody's call.
# (stasisd waiting for polkit would answer root only when its call to polkit
# timed out, and nobody's call would have failed by then.)
asking() { grep -c "Asking polkit whether uid 65534 (:1\.[0-9]*) may org.stasis1.resolve-paths\." "$T/stasisd.log" || true; }
# slow_resolve: stop polkitd, and make nobody's ResolvePaths (pid $slow) wait for it.
slow_resolve() {
        local n
        n=$(asking)
        kill -STOP "$STASIS_POLKIT_PID"
        stasis_as_nobody busctl --address="$STASIS_BUS_ADDRESS" --allow-interactive-authorization=no call \
                org.stasis1 /org/stasis1 org.stasis1.Manager ResolvePaths as 1 "$P/vol" >"$T/slow.out" 2>&1 &
        slow=$!
        stasis_track_pid "$slow"
        wait_until 10 '[ "$(asking)" -gt "$n" ]'
}
slow_resolve
"$STASIS" list >/dev/null
"$STASIS" volumes "$P/vol" >/dev/null
stasis_as_nobody "$STASIS" writers >/dev/null
kill -0 "$slow" 2>/dev/null || stasis_die "nobody's ResolvePaths ended before polkit answered: $(cat "$T/slow.out")"
kill -CONT "$STASIS_POLKIT_PID"
wait "$slow" || { tail -n 40 "$T/stasisd.log" >&2; stasis_die "nobody's ResolvePaths failed once polkit allowed it: $(cat "$T/slow.out")"; }
assert_contains "$(cat "$T/slow.out")" "$P/vol"
# stasisd stopped while a call waits for polkit: it exits cleanly (with
# nothing leaked, under the sanitizers) and the caller is not left hanging.
slow_resolve
stasis_stop_daemon || stasis_die "stasisd did not exit cleanly with a polkit check under way"
wait "$slow" && stasis_die "nobody's ResolvePaths succeeded without stasisd"
kill -CONT "$STASIS_POLKIT_PID"
stasis_start_daemon
out=$(stasis_as_nobody "$STASIS" --json create --label "by nobody" "$P/vol") || stasis_die "nobody could not create a set: $out"
id=$(jq -r .id <<<"$out")
assert_eq "$(jq -r .owner_uid <<<"$out")" 65534 "owner_uid of nobody's set"
assert_eq "$(bus get-property org.stasis1 "/org/stasis1/set/$id" org.stasis1.Set Owner)" "u 65534" "the set's owner"
assert_eq "$(bus get-property org.stasis1 "/org/stasis1/set/$id" org.stasis1.Set State)" 's "created"' "nobody's set"
assert_eq "$(jq -r '.volumes | length' <<<"$out")" 1 "volumes of nobody's set"
grep -q "polkit authorizes uid 65534 (pid [0-9]*, :1\.[0-9]*) for org.stasis1.create-set" "$T/stasisd.log" ||
        stasis_die "stasisd did not log polkit's authorization"
# Only that action: deleting stays refused, also for nobody's own set.
assert_exit 4 stasis_as_nobody "$STASIS" delete "$id"
assert_contains "$STASIS_ERR" "which polkit needs for action org.stasis1.delete-set"
out=$(nobody_call /org/stasis1 org.stasis1.Manager RegisterWriter os /w "$META") && stasis_die "nobody registered"
assert_contains "$out" "org.stasis1.register-writer"
# Many calls waiting for polkit at once, and answered in any order: each gets its own answer.
pids=()
for i in 1 2 3 4 5 6; do
        stasis_as_nobody "$STASIS" create --label "batch" "$P/vol" >/dev/null 2>"$T/batch.$i" & pids+=($!)
        stasis_as_nobody "$STASIS" delete 1 >/dev/null 2>"$T/batchd.$i" & pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || true; done
assert_eq "$("$STASIS" --json list | jq '[.[] | select(.label == "batch")] | length')" 6 "six sets made by nobody at once"
for i in 1 2 3 4 5 6; do assert_contains "$(cat "$T/batchd.$i")" "org.stasis1.delete-set"; done
"$STASIS" show 1 >/dev/null || stasis_die "set 1 was deleted"
for s in $("$STASIS" --json list | jq -r '.[] | select(.label == "batch" or .label == "by nobody") | .id'); do
        "$STASIS" delete "$s"
done

# 4. polkit gone again: only root, and nobody's grant is gone with it.
stasis_stop_polkit
assert_exit 4 stasis_as_nobody "$STASIS" create "$P/vol"
assert_contains "$STASIS_ERR" "polkit is not running, so it cannot authorize action org.stasis1.create-set"

# 5. RegisterWriterUsers=nobody: nobody's writer takes part in a set.
nobody_writer="--reuid=nobody --regid=nogroup --clear-groups"
printf '[Authorization]\nRegisterWriterUsers=daemon nobody\n' > "$T/stasisd.conf"
stasis_stop_daemon
stasis_start_daemon
chown nobody "$P/vol/db"
stasis_start_writer_as "$nobody_writer" --name pg --component data="$P/vol/db" --data "$P/vol/db/tx"
wpid=$STASIS_WRITER_PID
assert_eq "$(stasis_writer_field pg uid)" 65534 "the writer's uid"
out=$("$STASIS" create --component pg "$P/vol") || stasis_die "a set with nobody's writer failed: $out"
sid=$("$STASIS" --json list | jq -r 'map(.id | tonumber) | max')
assert_eq "$("$STASIS" --json show "$sid" | jq -r '.consistency')" application "a set with nobody's writer"
assert_eq "$("$STASIS" --json show "$sid" | jq -r '.components[0].consistency')" application "nobody's component"
"$STASIS" delete "$sid"
# It unregisters as nobody on SIGTERM and exits 0.
stasis_stop_writer "$wpid"
wait_until 5 'stasis_writer_unlisted pg'
# Another user is refused. daemon names a directory of its own (a writer
# other than root may name only those: test-security-writers.sh).
mkdir "$P/vol/daemon-db"
chown daemon "$P/vol/daemon-db"
out=$(setpriv --reuid=daemon --regid=daemon --clear-groups busctl --address="$STASIS_BUS_ADDRESS" call org.stasis1 \
      /org/stasis1 org.stasis1.Manager RegisterWriter os /w "${META//vol\/db/vol\/daemon-db}" 2>&1) ||
        stasis_die "daemon could not register: $out"
out=$(setpriv --reuid=bin --regid=bin --clear-groups busctl --address="$STASIS_BUS_ADDRESS" call org.stasis1 \
      /org/stasis1 org.stasis1.Manager RegisterWriter os /w "$META" 2>&1) && stasis_die "bin registered a writer"
assert_contains "$out" "only root may register writers (caller uid $(id -u bin), not named by RegisterWriterUsers= or RegisterWriterGroups=): polkit is not running"
# Listed users get nothing else.
assert_exit 4 stasis_as_nobody "$STASIS" create "$P/vol"

# 6. RegisterWriterGroups=, by name and by number.
grp=users gid=$(getent group users | cut -d: -f3)
for spec in "$grp" "$gid"; do
        printf '[Authorization]\nRegisterWriterGroups=%s\n' "$spec" > "$T/stasisd.conf"
        stasis_stop_daemon
        stasis_start_daemon
        stasis_start_writer_as "--reuid=nobody --regid=nogroup --groups=$gid" --name grpw --component data="$P/vol/db"
        wpid=$STASIS_WRITER_PID
        assert_eq "$(stasis_writer_field grpw uid)" 65534 "the group member's writer ($spec)"
        out=$("$STASIS" create --component grpw "$P/vol") || stasis_die "a set with the group's writer failed: $out"
        sid=$("$STASIS" --json list | jq -r 'map(.id | tonumber) | max')
        assert_eq "$("$STASIS" --json show "$sid" | jq -r '.consistency')" application "a set with the group's writer"
        "$STASIS" delete "$sid"
        stasis_stop_writer "$wpid"
        # Without the group: refused, at once, with the reason.
        out=$(stasis_as_nobody "$STASIS_TEST_WRITER" --name grpw2 --component data="$P/vol/db" 2>&1) &&
                stasis_die "a writer without the group registered"
        assert_contains "$out" "stasisd refused the registration: Permission denied: only root may register writers (caller uid 65534, not named by RegisterWriterUsers= or RegisterWriterGroups=)"
done
# The group as the primary group only (the bus reports it with the others).
out=$(setpriv --reuid=nobody --regid="$gid" --clear-groups busctl --address="$STASIS_BUS_ADDRESS" call org.stasis1 \
      /org/stasis1 org.stasis1.Manager RegisterWriter os /w "$META" 2>&1) || stasis_die "the primary group did not count: $out"

# 7. The configuration file: errors with file and line; ownership.
cat > "$T/bad.conf" <<'CONF'
# a comment
RegisterWriterUsers=early
[Authorization]
RegisterWriterUser=typo
RegisterWriterUsers=ok bad:name
[Elsewhere]
Key=value
just words
CONF
assert_exit 1 "$STASISD" --check-config --config "$T/bad.conf"
assert_contains "$STASIS_ERR" "$T/bad.conf:2: 'RegisterWriterUsers' is not in a section"
assert_contains "$STASIS_ERR" "$T/bad.conf:4: unknown key 'RegisterWriterUser' in section [Authorization]"
assert_contains "$STASIS_ERR" "$T/bad.conf:5: RegisterWriterUsers=: 'bad:name' is not a valid user name"
assert_contains "$STASIS_ERR" "$T/bad.conf:6: unknown section [Elsewhere]"
assert_contains "$STASIS_ERR" "$T/bad.conf:8: 'just words' is not KEY=VALUE, a [SECTION] or a comment"
assert_exit 1 "$STASISD" --state-dir "$T/state2" --config "$T/bad.conf"
assert_contains "$STASIS_ERR" "$T/bad.conf:4: unknown key"
printf '[Authorization]\nRegisterWriterUsers=no-such-user-here root\n' > "$T/warn.conf"
assert_exit 0 "$STASISD" --check-config --config "$T/warn.conf"
assert_contains "$STASIS_ERR" "$T/warn.conf:2: RegisterWriterUsers=: no user 'no-such-user-here'; ignoring it"
assert_exit 1 "$STASISD" --check-config --config "$T/missing.conf"
assert_contains "$STASIS_ERR" "$T/missing.conf: cannot open it: No such file or directory"
chmod 664 "$T/warn.conf"
assert_exit 1 "$STASISD" --check-config --config "$T/warn.conf"
assert_contains "$STASIS_ERR" "$T/warn.conf is writable by its group; refusing to use it"
chmod 644 "$T/warn.conf"
chown nobody "$T/warn.conf"
assert_exit 1 "$STASISD" --check-config --config "$T/warn.conf"
assert_contains "$STASIS_ERR" "$T/warn.conf is owned by uid 65534, not root; refusing to use it"
chown root "$T/warn.conf"
# ... and so must every directory above it.
mkdir "$T/nb"
cp "$T/warn.conf" "$T/nb/warn.conf"
chown nobody "$T/nb"
assert_exit 1 "$STASISD" --check-config --config "$T/nb/warn.conf"
assert_contains "$STASIS_ERR" "$T/nb is owned by uid 65534, not root; refusing to use it"
echo "PASS"
