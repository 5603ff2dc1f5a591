#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-security-writers.sh - what a writer registered by a user other than
# root (stasisd.conf RegisterWriterUsers=nobody) can make root do with its
# component paths. As nobody:
#  1. a component on a directory nobody does not own (the mount point of
#     root's file system) is refused at registration, naming the path and
#     its owner;
#  2. a component on nobody's own directory, swapped for a symbolic link to
#     root's file system after registration: root's set of nobody's volume
#     fails, naming the component, and root's file system is neither frozen
#     nor snapshotted (it would otherwise join the set with the component);
#  3. the same writer on its own directory takes part as usual.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
[ -x "$STASIS_TEST_WRITER" ] || stasis_die "build the test helpers first ($STASIS_TEST_WRITER)"
stasis_env_init
T=$STASIS_TMP
stasis_start_bus
mkdir -p "$T/providers.d"
printf '[Authorization]\nRegisterWriterUsers=nobody\n' > "$T/stasisd.conf"
STASISD_ARGS="--providers-dir $T/providers.d --config $T/stasisd.conf"
stasis_start_daemon

chmod 755 "$T/mnt" 2>/dev/null || mkdir -m 755 "$T/mnt"
stasis_make_fs btrfs pool
A=$STASIS_FS
btrfs -q subvolume create "$A/vol"
mkdir "$A/vol/db"
chown nobody:nogroup "$A/vol/db"
# Root's file system, nothing of it nobody's.
stasis_make_fs btrfs victim
B=$STASIS_FS
btrfs -q subvolume create "$B/data"
echo root-only > "$B/data/secret"
chmod 700 "$B/data"

as_nobody="--reuid=nobody --regid=nogroup --clear-groups"
# register META: RegisterWriter as nobody, on a connection that then closes.
register() {
        stasis_as_nobody busctl --address="$STASIS_BUS_ADDRESS" call org.stasis1 /org/stasis1 \
                org.stasis1.Manager RegisterWriter os /w "$1" 2>&1
}
meta() { echo '{"version":1,"writer":"pg","components":[{"name":"data","paths":['"$1"']}]}'; }
# Nothing of B was snapshotted: no store, no set with a volume on B.
untouched_b() {
        [ ! -e "$B/.stasis" ] || stasis_die "a snapshot of root's file system was taken: $(ls -A "$B/.stasis")"
        assert_eq "$("$STASIS" --json list | jq "[.[].id] | length")" "$1" "sets"
        local id
        for id in $("$STASIS" --json list | jq -r '.[].id'); do
                "$STASIS" --json show "$id" | jq -e --arg b "$B" '[.volumes[].mount_point] | index($b) == null' \
                        >/dev/null || stasis_die "set $id has a volume on root's file system $B"
        done
}

# ---- 1. A path nobody does not own, at registration ----
out=$(register "$(meta "\"$A/vol/db\",\"$B\"")") && stasis_die "nobody registered a component on $B"
assert_contains "$out" "components[0].paths[1]: $B is not owned by the writer's user (uid 65534)"
out=$(register "$(meta "\"$A/vol\"")") &&
        stasis_die "nobody registered a component on root's directory $A/vol"
assert_contains "$out" "is not owned by the writer's user (uid 65534)"
case $out in *"uid 0"*) stasis_die "the writer learns the owner of a path: $out" ;; esac
assert_eq "$("$STASIS" --json writers | jq length)" 0 "writers registered"

# ---- 2. Swapped for a symbolic link after registration ----
stasis_as_nobody mkdir "$A/vol/db/wal"
stasis_start_writer_as "$as_nobody" --name pg --component-unselectable wal="$A/vol/db/wal" \
        --component data="$A/vol/db"
wpid=$STASIS_WRITER_PID
stasis_as_nobody sh -c "rmdir '$A/vol/db/wal' && ln -s '$B' '$A/vol/db/wal'"
assert_exit 2 "$STASIS" create "$A/vol"
assert_contains "$STASIS_ERR" "Component pg:wal: $A/vol/db/wal is owned by uid 0, not by the writer's user (uid 65534)"
untouched_b 0
# Through the selection of the component too.
assert_exit 2 "$STASIS" create --component pg:data "$A/vol"
assert_contains "$STASIS_ERR" "is owned by uid 0, not by the writer's user (uid 65534)"
untouched_b 0

# ---- 3. Its own directory again: it takes part ----
stasis_as_nobody sh -c "rm '$A/vol/db/wal' && mkdir '$A/vol/db/wal'"
out=$("$STASIS" --json create "$A/vol") || stasis_die "a set with nobody's writer on its own directory failed: $out"
assert_eq "$(jq -r .consistency <<<"$out")" application "a set with nobody's writer"
assert_eq "$(jq '.volumes | length' <<<"$out")" 1 "volumes of the set"
untouched_b 1
"$STASIS" delete "$(jq -r .id <<<"$out")" >/dev/null
stasis_stop_writer "$wpid"
echo "PASS"
