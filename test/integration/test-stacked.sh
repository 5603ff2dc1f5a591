#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-stacked.sh - a stacked set with the real loopclone provider: an xfs
# volume X (a loop image in a pool that is not in the set) holds the image of
# an ext4 volume I; a set of both must not deadlock, must freeze I before X
# (I writes its journal into X), and both clones must hold what was written
# before the set, also I's image inside X's clone. Then stasisd is killed
# with SIGKILL in the middle of such a hold, with writers blocked on both
# frozen file systems: the worker must thaw, and their writes complete,
# within the hold deadline + 1 s.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

PROVIDER=${STASIS_PROVIDER_LOOPCLONE:-$STASIS_BUILD_DIR/src/providers/exec/stasis-provider-loopclone}
HOLD=5          # --hold-timeout in the SIGKILL part
SLOW=3          # how long the wrapper sleeps before a slow commit
[ -x "$PROVIDER" ] || stasis_die "no provider at $PROVIDER (build it first)"
for c in jq debugfs mkfs.xfs mkfs.ext4; do
        command -v "$c" >/dev/null || { echo "SKIP: needs $c"; exit 77; }
done

stasis_env_init
stasis_start_bus

# image_fs TYPE IMAGE SIZE NAME: a file system in IMAGE on a loop device,
# mounted at $STASIS_TMP/mnt/NAME; sets MNT and DEV.
image_fs() {
        truncate -s "$3" "$2"
        case $1 in
        ext4) mkfs.ext4 -q -F "$2" >/dev/null ;;
        xfs)  mkfs.xfs -q -f "$2" >/dev/null ;;
        esac
        DEV=$(losetup --find --show "$2") || stasis_die "losetup $2 failed"
        stasis_track_loop "$DEV"
        MNT=$STASIS_TMP/mnt/$4
        mkdir -p "$MNT"
        mount "$DEV" "$MNT" || stasis_die "mount $DEV failed"
        stasis_track_mount "$MNT"
}

# The pool (not in any set) holds X's image and the store of the clones: the
# provider refuses a store on a file system frozen in the same commit.
stasis_make_fs xfs pool 1G
POOL=$STASIS_FS
mkdir "$POOL/images"
export STASIS_LOOPCLONE_STORE=$POOL/store
image_fs xfs "$POOL/images/x.img" 300M x
X=$MNT
image_fs ext4 "$X/inner.img" 64M inner
I=$MNT

# The provider "loopclone": the real one, behind a wrapper that, in commit,
# notes the freeze journal (written in freeze order before the first
# FIFREEZE) and its own start, and sleeps $SLOW s first when asked to. Like
# any provider it reads its request before it acts: stasisd may start it
# before the freeze and send the request once frozen.
WRAP=$STASIS_TMP/wrap
mkdir -p "$STASIS_TMP/providers.d" "$WRAP"
cat > "$STASIS_TMP/providers.d/loopclone" <<EOF
#!/bin/bash
export STASIS_LOOPCLONE_STORE=$STASIS_LOOPCLONE_STORE
if [ "\${1:-}" = commit ]; then
        req=\$(cat)
        n=\$(ls "$WRAP" | grep -c '^journal\.' || true)
        cp "$STASIS_STATE_DIR/freeze.journal" "$WRAP/journal.\$n" 2>/dev/null || : > "$WRAP/journal.\$n"
        echo \$\$ > "$WRAP/commit.pid"
        date +%s%N > "$WRAP/commit.start"
        [ -e "$WRAP/slow" ] && sleep $SLOW
        exec "$PROVIDER" "\$@" <<<"\$req"
fi
exec "$PROVIDER" "\$@"
EOF
chmod 755 "$STASIS_TMP/providers.d/loopclone"
start() {
        STASISD_ARGS="--providers-dir=$STASIS_TMP/providers.d --log-level=debug --hold-timeout=${1:-10}" \
                stasis_start_daemon
}
start


# ---- 1. A set of X and I ----
# Written just before, not synced: the freezes must flush it (I's into its
# image in X before X is frozen).
echo "outer data" > "$X/file"
echo "inner data" > "$I/file"
out=$(timeout 30 "$STASIS" --json create "$X" "$I") || stasis_die "the stacked set failed or hung: $out"
assert_eq "$(jq -r .state <<<"$out")" created "stacked state"
assert_eq "$(jq -r .consistency <<<"$out")" crash-atomic "stacked consistency"
assert_eq "$(jq -r '[.volumes[].provider] | join(",")' <<<"$out")" loopclone,loopclone "providers"
ID=$(jq -r .id <<<"$out")
stasis_writable "$I" && stasis_writable "$X" || stasis_die "X or I still frozen after the set"

# The file systems a journal lists, in its order (its last line may say that
# the worker expedites RCU grace periods).
frozen_order() { grep -v '^rcu_expedited ' "$1" | cut -d' ' -f2 | tr '\n' ' '; }

# The freeze order: the journal the worker wrote before freezing, as the
# provider saw it during its commit.
assert_eq "$(frozen_order "$WRAP/journal.0")" "$I $X " "freeze order (I before X)"
grep -q "Set $ID: 2 volume(s), 2 file system(s) to hold; queued." "$STASIS_TMP/stasisd.log" ||
        stasis_die "stasisd's debug log does not show the set holding 2 file systems"
grep -q "Set $ID: held 2 file system(s) for" "$STASIS_TMP/stasisd.log" || stasis_die "the hold is not logged"
[ ! -e "$STASIS_STATE_DIR/freeze.journal" ] || stasis_die "freeze journal left after the set"

# The live file systems move on.
echo "outer new" > "$X/file"
echo "inner new" > "$I/file"

# vol_json MOUNT: the volume object of the set's volume at MOUNT, as stasisd
# gives it to the provider.
vol_json() {
        jq -c --arg m "$1" '.volumes[] | select(.mount_point == $m) |
                {path, mount_point, device, fstype, source, key: ("loopclone:" + .source), handle: .snapshot}' <<<"$out"
}
X_CLONE=$STASIS_LOOPCLONE_STORE/$(jq -r .handle <<<"$(vol_json "$X")").img
I_CLONE=$STASIS_LOOPCLONE_STORE/$(jq -r .handle <<<"$(vol_json "$I")").img
[ -f "$X_CLONE" ] && [ -f "$I_CLONE" ] || stasis_die "clones missing: $(ls -l "$STASIS_LOOPCLONE_STORE")"

# I's clone, read without mounting it.
assert_eq "$(debugfs -R "cat /file" "$I_CLONE" 2>/dev/null)" "inner data" "the file in I's clone"
# X's clone, mounted read-only by the provider's mount verb; the image of I
# inside it holds I's data too: I was flushed into X before X was frozen.
SNAP=$STASIS_TMP/snap-x
mkdir -p "$SNAP"
req=$(jq -nc --argjson v "$(vol_json "$X")" --arg t "$SNAP" '{version: 1, volume: $v, target: $t}')
resp=$(STASIS_PROVIDER_VERSION=1 "$PROVIDER" mount <<<"$req") || stasis_die "mount of X's clone failed: $resp"
stasis_track_mount "$SNAP"
assert_eq "$(cat "$SNAP/file")" "outer data" "the file in X's clone"
assert_eq "$(debugfs -R "cat /file" "$SNAP/inner.img" 2>/dev/null)" "inner data" "the file in I's image inside X's clone"
umount "$SNAP"
loop_gone() { [ -z "$(losetup -n -j "$X_CLONE")" ]; }
wait_for 5 loop_gone
"$STASIS" delete "$ID" >/dev/null
[ ! -e "$X_CLONE" ] && [ ! -e "$I_CLONE" ] || stasis_die "delete left the clones"
stasis_log "stacked set $ID: froze $(frozen_order "$WRAP/journal.0")in that order; both clones hold the data"

# ---- 2. stasisd killed (SIGKILL) during a stacked hold ----
stasis_stop_daemon
start "$HOLD"
touch "$WRAP/slow"
rm -f "$WRAP/commit.start" "$WRAP/commit.pid"
"$STASIS" create "$X" "$I" >/dev/null 2>"$STASIS_TMP/create.err" &
CLI=$!
stasis_track_pid "$CLI"
in_commit() { [ -s "$WRAP/commit.start" ]; }
wait_for 10 in_commit
COMMIT_START=$(cat "$WRAP/commit.start")
WRAPPER=$(cat "$WRAP/commit.pid")
assert_eq "$(frozen_order "$WRAP/journal.1")" "$I $X " "freeze order of the second set"

# Writers on both frozen file systems; they must be blocked (in the kernel,
# uninterruptibly, until the thaw).
in_d_state() { [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" = D ]; }
for m in "$I" "$X"; do
        name=$(basename "$m")
        sh -c "echo blocked > '$m/writer'; date +%s%N > '$STASIS_TMP/writer-$name.done'" </dev/null >/dev/null 2>&1 &
        stasis_track_pid "$!"
        wait_for 5 in_d_state "$!"
done
for name in inner x; do
        [ ! -e "$STASIS_TMP/writer-$name.done" ] || stasis_die "the writer on $name was not blocked: not frozen?"
done

T_KILL=$(date +%s%N)
kill -9 "$STASISD_PID"
wait "$STASISD_PID" 2>/dev/null || true
STASISD_PID=
# Bounded: every writer within the hold deadline + 1 s of the kill.
writers_done() { [ -e "$STASIS_TMP/writer-inner.done" ] && [ -e "$STASIS_TMP/writer-x.done" ]; }
for (( i = 0; i < (HOLD + 1) * 20; i++ )); do
        writers_done && break
        sleep 0.05
done
writers_done || stasis_die "the writers were still blocked $(( HOLD + 1 )) s after stasisd was killed"
for name in inner x; do
        t=$(cat "$STASIS_TMP/writer-$name.done")
        ms=$(( (t - T_KILL) / 1000000 ))
        (( ms <= (HOLD + 1) * 1000 )) || stasis_die "the writer on $name finished $ms ms after the kill"
        # And because of the kill: before the provider's commit could have ended.
        (( t < COMMIT_START + SLOW * 1000000000 )) ||
                stasis_die "the writer on $name finished only after the provider's $SLOW s commit would have ended: the kill did not end the hold"
        stasis_log "the writer on $name finished $ms ms after stasisd was killed"
done
assert_eq "$(cat "$I/writer")" blocked "the write to I"
assert_eq "$(cat "$X/writer")" blocked "the write to X"
stasis_writable "$I" && stasis_writable "$X" || stasis_die "X or I frozen after stasisd was killed"
[ ! -e "$STASIS_STATE_DIR/freeze.journal" ] || stasis_die "the worker left the freeze journal"
wrapper_gone() { ! kill -0 "$WRAPPER" 2>/dev/null; }
wait_for 5 wrapper_gone
rc=0; wait "$CLI" 2>/dev/null || rc=$?
[ "$rc" != 0 ] || stasis_die "create succeeded although stasisd was killed"

# A restarted stasisd removes the half-made set; nothing stays frozen.
rm -f "$WRAP/slow"
start
no_sets() { [ "$(stasis_count_sets)" = 0 ]; }
wait_for 10 no_sets
[ -z "$(ls -A "$STASIS_LOOPCLONE_STORE")" ] || stasis_die "clones left: $(ls -A "$STASIS_LOOPCLONE_STORE")"
stasis_writable "$I" && stasis_writable "$X" || stasis_die "X or I frozen after the restart"

# And a stacked set works again.
out=$(timeout 30 "$STASIS" --json create "$I" "$X") || stasis_die "the stacked set after the restart failed: $out"
assert_eq "$(jq -r .consistency <<<"$out")" crash-atomic "consistency after the restart"
assert_eq "$(frozen_order "$WRAP/journal.2")" "$I $X " "freeze order, volumes given inner first"
"$STASIS" delete "$(jq -r .id <<<"$out")" >/dev/null
echo "ok"
