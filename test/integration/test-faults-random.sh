#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-faults-random.sh - seeded fault injection, in the spirit of SQLite's
# crash tests. For STASIS_FAULT_ITERATIONS iterations (default 24) it makes a
# set of one of: a btrfs subvolume with a writer, one without, an ext4 volume
# through the example provider (loopclone, held frozen) with the writer, one
# without, or a btrfs subvolume and an ext4 volume together; and at a random
# moment of the create it kills stasisd, kills its worker (or any child it
# has then), stops the worker (it is killed at its deadline), or does
# nothing. Then it restarts stasisd if it is gone and checks that:
#   - nothing is frozen (a write to every volume completes), and the writer
#     is not frozen;
#   - stasisd starts, and every set whose create succeeded is there, created,
#     with its snapshots; every snapshot on disk belongs to a set stasisd
#     lists (sets half made by a killed stasisd are removed at its start);
#   - power loss: the state directory is an ext4 file system in an image on
#     an xfs pool; right after each create that succeeded the image is copied
#     (cp --reflink, as a crash-consistency test would cut the power), and
#     the copy's catalog must hold that set, created. At the end stasisd
#     starts on the copy taken at about the middle of the run (the first
#     after half the iterations; two more sets, btrfs and loopclone, are
#     made after it): it lists every set acknowledged before that copy; the
#     sets acknowledged after it are in the stores, not in its catalog, and
#     must be listed as orphans (btrfs and loopclone alike) — every snapshot
#     on disk is in a set or an orphan; the first such set's orphans are
#     deleted, the others adopted back (and those of sets made but never
#     acknowledged deleted); and a new set's id is above every id on disk.
# Now and then a set is deleted, which must stick too.
#
# The seed is printed; STASIS_FAULT_SEED=N replays the same choices (the
# moments are the same delays, on a machine whose timing differs). A long
# run: test/bench/run-faults-random.sh.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
PROVIDER=${STASIS_PROVIDER_LOOPCLONE:-$STASIS_BUILD_DIR/src/providers/exec/stasis-provider-loopclone}
[ -x "$STASIS_TEST_WRITER" ] || stasis_die "build the test helpers first ($STASIS_TEST_WRITER)"
[ -x "$PROVIDER" ] || stasis_die "no provider at $PROVIDER (build it first)"
for c in mkfs.xfs sqlite3 jq; do
        command -v "$c" >/dev/null || { echo "SKIP: needs $c"; exit 77; }
done

SEED=${STASIS_FAULT_SEED:-$(( $(date +%s%N) % 1000000000 ))}
ITERATIONS=${STASIS_FAULT_ITERATIONS:-24}
[[ $SEED =~ ^[0-9]+$ ]] && [[ $ITERATIONS =~ ^[0-9]+$ ]] ||
        stasis_die "STASIS_FAULT_SEED and STASIS_FAULT_ITERATIONS must be numbers"
echo "# seed $SEED, $ITERATIONS iterations (replay: STASIS_FAULT_SEED=$SEED STASIS_FAULT_ITERATIONS=$ITERATIONS)"
RANDOM=$SEED
# rnd N: R = 0 .. N-1, from the seed. (Not in $(...): a subshell reseeds.)
rnd() { R=$(( RANDOM % $1 )); }

stasis_env_init
stasis_start_bus
T=$STASIS_TMP
# The cleanup: the seed to replay a failure, the copies' mounts gone first
# (stasis_cleanup continues the workers the test stopped).
faults_cleanup() {
        local rc=$?
        set +e
        [ "$rc" = 0 ] || echo "FAIL with seed $SEED (replay: STASIS_FAULT_SEED=$SEED STASIS_FAULT_ITERATIONS=$ITERATIONS)" >&2
        umount "$T/copy" 2>/dev/null
        (exit "$rc")
        stasis_cleanup
}
trap faults_cleanup EXIT

# image_fs IMAGE NAME: an ext4 file system in IMAGE on a loop device, mounted
# at $T/mnt/NAME (set in MNT).
image_fs() {
        truncate -s 64M "$1"
        mkfs.ext4 -q -F "$1"
        local dev
        dev=$(losetup --find --show "$1") || stasis_die "losetup $1 failed"
        stasis_track_loop "$dev"
        MNT=$T/mnt/$2
        mkdir -p "$MNT"
        mount "$dev" "$MNT" || stasis_die "mount $dev failed"
        stasis_track_mount "$MNT"
}

# The pool (xfs, for reflink copies) holds the ext4 volumes' images, the
# provider's clones, the state file system's image and its copies.
stasis_make_fs xfs pool 1G
POOL=$STASIS_FS
mkdir "$POOL/copies"
image_fs "$POOL/state.img" state
STATE_FS=$MNT
export STASIS_STATE_DIR=$STATE_FS/state
image_fs "$POOL/e1.img" e1
E1=$MNT
image_fs "$POOL/e2.img" e2
E2=$MNT
export STASIS_LOOPCLONE_STORE=$POOL/store
stasis_make_fs btrfs bt
P=$STASIS_FS
BT_UUID=$(blkid -p -s UUID -o value "$STASIS_DEV")
btrfs -q subvolume create "$P/db"
btrfs -q subvolume create "$P/plain"

stasis_install_provider loopclone "$PROVIDER" STASIS_LOOPCLONE_STORE="$STASIS_LOOPCLONE_STORE"
STASISD_ARGS="--providers-dir=$T/providers.d --commit-timeout=2 --hold-timeout=2 --prepare-timeout=30 --freeze-window=30"
stasis_start_daemon
stasis_start_writer --name app --component data="$P/db" --component files="$E1" --log "$T/app.log"
APP=$STASIS_WRITER_PID
# The catalog as it starts (its schema) is on disk before the first power cut:
# the cuts test what the sets' commits themselves make durable.
sync -f "$STATE_FS"

TARGETS=("$P/db" "$P/plain" "$E1" "$E2" "$P/db $E1")
TARGET_NAMES=("btrfs+writer" "btrfs" "loopclone+writer" "loopclone" "btrfs+loopclone+writer")
FAULTS=(kill-stasisd kill-worker stop-worker none)
declare -A ACKED=()     # id -> its snapshot handles, of sets whose create succeeded and that were not deleted

alive() { [ -n "$STASISD_PID" ] && kill -0 "$STASISD_PID" 2>/dev/null; }
ids_listed() { "$STASIS" --json list | jq -r '.[].id' | sort -n | tr '\n' ' '; }
# Nothing is being made or removed.
settled() { [ "$("$STASIS" --json list | jq '[.[] | select(.state == "creating" or .state == "deleting")] | length')" = 0 ]; }

# The snapshots on disk, as handles: every btrfs snapshot of the file system
# (its path from the top level, which is mounted at $P, after the file
# system's UUID: <uuid>:/.stasis/<set>-<index>), and loopclone's clones.
snapshots_on_disk() {
        btrfs subvolume list -s "$P" | awk '{ print $NF }' | sed "s|^|$BT_UUID:/|" || true
        find "$STASIS_LOOPCLONE_STORE" -name '*.img' -printf '%f\n' 2>/dev/null | sed 's/\.img$//' || true
}
# snapshot_exists HANDLE: a btrfs snapshot (<uuid>:/<path from the top
# level>) that is a subvolume of that file system, or a loopclone clone.
snapshot_exists() {
        case $1 in
        "$BT_UUID":/*) btrfs subvolume show "$P/${1#"$BT_UUID":/}" >/dev/null 2>&1 ;;
        *:/*) return 1 ;;
        *) [ -f "$STASIS_LOOPCLONE_STORE/$1.img" ] ;;
        esac
}

# power_cut ID: copy the state file system's image now, and check that its
# catalog holds set ID, created. The first copy after half the iterations is
# kept as MID_COPY (MID_ID the set acknowledged right before it), to boot on
# at the end; of the others only the last.
N_COPIES=0
MID_COPY=
MID_ID=
power_cut() {
        local id=$1 copy dev state
        copy=$POOL/copies/state-$id.img
        cp --reflink=always "$POOL/state.img" "$copy"
        N_COPIES=$((N_COPIES + 1))
        mkdir -p "$T/copy"
        dev=$(losetup --find --show "$copy") || stasis_die "losetup $copy failed"
        mount "$dev" "$T/copy" || { losetup -d "$dev"; stasis_die "the copy of the state file system does not mount"; }
        state=$(sqlite3 "$T/copy/state/catalog.db" "SELECT state FROM sets WHERE id = $id" 2>&1) || true
        umount "$T/copy"
        losetup -d "$dev"
        [ "$state" = created ] ||
                stasis_die "power cut right after set $id was acknowledged: the catalog holds '${state:-no such set}', not created"
        LAST_COPY=$copy
        if [ -z "$MID_COPY" ] && [ "$it" -gt $((ITERATIONS / 2)) ]; then
                MID_COPY=$POOL/copies/mid.img
                MID_ID=$id
                cp --reflink=always "$copy" "$MID_COPY"
        fi
        # Keep the last one (and the middle one) only.
        find "$POOL/copies" -name '*.img' ! -path "$copy" ! -path "$POOL/copies/mid.img" -delete
}

check_invariants() {
        local what=$1 id h listed on_disk known
        # Nothing frozen.
        for m in "$P/db" "$P/plain" "$E1" "$E2" "$STATE_FS"; do
                stasis_writable "$m" || stasis_die "$what: $m is frozen"
        done
        wait_until 10 '[ "$(stasis_writer_field app state)" != frozen ]'
        # Every acknowledged set is there, created, with its snapshots.
        listed=" $(ids_listed)"
        for id in "${!ACKED[@]}"; do
                [[ $listed == *" $id "* ]] || stasis_die "$what: acknowledged set $id is gone (listed:$listed)"
                assert_eq "$("$STASIS" --json show "$id" | jq -r .state)" created "$what: the state of set $id"
                for h in ${ACKED[$id]}; do
                        snapshot_exists "$h" || stasis_die "$what: snapshot $h of set $id is gone"
                done
        done
        # Every snapshot on disk belongs to a listed set.
        known=$("$STASIS" --json list | jq -r '.[].id' | while read -r id; do
                "$STASIS" --json show "$id" | jq -r '.volumes[].snapshot'; done)
        on_disk=$(snapshots_on_disk)
        for h in $on_disk; do
                grep -qxF "$h" <<<"$known" || stasis_die "$what: snapshot $h on disk belongs to no set (sets:$listed)"
        done
}

for (( it = 1; it <= ITERATIONS; it++ )); do
        rnd ${#TARGETS[@]}; t=$R
        rnd ${#FAULTS[@]}; f=${FAULTS[$R]}
        rnd 40; delay=$R
        what="iteration $it: ${TARGET_NAMES[$t]}, $f after $delay ms"
        # shellcheck disable=SC2086  # a target is one or two paths
        "$STASIS" --json create ${TARGETS[$t]} >"$T/create.out" 2>"$T/create.err" &
        CLI=$!
        sleep "0.$(printf '%03d' "$delay")"
        case $f in
        kill-stasisd)
                kill -9 "$STASISD_PID" 2>/dev/null || true
                wait "$STASISD_PID" 2>/dev/null || true
                STASISD_PID= ;;
        kill-worker|stop-worker)
                W=$(pgrep -P "$STASISD_PID" "^commit-set" | head -n 1 || true)
                if [ -n "$W" ]; then
                        [ "$f" = kill-worker ] && kill -9 "$W" 2>/dev/null || kill -STOP "$W" 2>/dev/null || true
                else
                        f="$f (no worker then)"
                fi ;;
        esac
        rc=0
        wait "$CLI" || rc=$?
        if [ "$rc" = 0 ]; then
                id=$(jq -r .id "$T/create.out")
                power_cut "$id"                # right after the acknowledgement
                ACKED[$id]=$(jq -r '.volumes[].snapshot' "$T/create.out" | tr '\n' ' ')
        fi
        stasis_log "$what: create exit $rc${id:+, set $id}$([ "$rc" = 0 ] || echo ": $(head -c 300 "$T/create.err")")"
        id=
        if ! alive; then
                [ "$f" = kill-stasisd ] || { tail -n 30 "$T/stasisd.log" >&2; stasis_die "$what: stasisd died"; }
                stasis_start_daemon     # it must start
                wait_for 10 stasis_writer_listed app
        fi
        wait_until 20 settled
        check_invariants "$what"
        # Now and then, delete an acknowledged set: that must stick too.
        if [ "${#ACKED[@]}" -gt 3 ]; then
                id=$(printf '%s\n' "${!ACKED[@]}" | sort -n | head -n 1)
                "$STASIS" delete "$id" >/dev/null
                unset "ACKED[$id]"
                id=
        fi
done

# Two more sets, btrfs and loopclone, after the middle copy (taken now if no
# create succeeded in the second half), so that booting on it has orphans of
# both kinds to find.
if [ -z "$MID_COPY" ]; then
        sync -f "$STATE_FS"
        MID_COPY=$POOL/copies/mid.img
        MID_ID=$(ids_listed | awk '{ print $NF }')
        cp --reflink=always "$POOL/state.img" "$MID_COPY"
fi
for target in "$P/plain" "$E2"; do
        out=$("$STASIS" --json create "$target") || stasis_die "a create of $target after the iterations failed"
        id=$(jq -r .id <<<"$out")
        power_cut "$id"
        ACKED[$id]=$(jq -r '.volumes[].snapshot' <<<"$out" | tr '\n' ' ')
done

# Boot on the middle copy: stop stasisd (its state goes away with the file
# system), put the copy in place of the state file system, start. The sets
# acknowledged after that copy are in the stores, not in its catalog.
stasis_stop_daemon
cp --reflink=always "$MID_COPY" "$POOL/booted.img"
dev=$(losetup --find --show "$POOL/booted.img")
stasis_track_loop "$dev"
mkdir -p "$T/mnt/booted"
mount "$dev" "$T/mnt/booted"
stasis_track_mount "$T/mnt/booted"
STASIS_STATE_DIR=$T/mnt/booted/state
STASIS_ORPHAN_SCAN=yes stasis_start_daemon
listed=" $(ids_listed)"
mid=${MID_ID:-0}
# This file system's and loopclone's orphans (other test runs' btrfs stores
# may be listed too).
our_orphans() {
        "$STASIS" --json list --orphans |
                jq -r --arg u "$BT_UUID:/" '.[] | select(.provider == "loopclone" or (.handle | startswith($u))) | .handle'
}
orphans=$(our_orphans)
stasis_log "booted on the copy taken after set $mid: orphans $(echo $orphans)"
after=()
for id in $(printf '%s\n' "${!ACKED[@]}" | sort -n); do
        if [ "$id" -le "$mid" ]; then
                [[ $listed == *" $id "* ]] || stasis_die "booted on the copy taken after set $mid: set $id is missing"
                continue
        fi
        # Made after that copy: not a set, each snapshot an orphan.
        [[ $listed == *" $id "* ]] && stasis_die "booted on the copy taken after set $mid: set $id is listed"
        for h in ${ACKED[$id]}; do
                grep -qxF "$h" <<<"$orphans" ||
                        stasis_die "booted on the copy taken after set $mid: snapshot $h of set $id is not an orphan (orphans: $(echo $orphans))"
        done
        after+=("$id")
done
[ "${#after[@]}" -ge 2 ] || stasis_die "booted on the copy taken after set $mid: only ${#after[@]} set(s) made after it"
grep -q '^stasis-' <<<"$orphans" || stasis_die "booted on the copy: no loopclone orphan listed"
grep -q "^$BT_UUID:/" <<<"$orphans" || stasis_die "booted on the copy: no btrfs orphan listed"
# Every snapshot on disk is known to the catalog or reported as an orphan,
# never silently dropped.
known=$( { "$STASIS" --json list | jq -r '.[].id' | while read -r id; do
                "$STASIS" --json show "$id" | jq -r '.volumes[].snapshot'; done
           echo "$orphans"; } )
top=$mid
for h in $(snapshots_on_disk); do
        grep -qxF "$h" <<<"$known" ||
                stasis_die "booted on the copy: snapshot $h on disk is neither in a set nor listed as an orphan"
        n=${h##*/}; n=${n#stasis-}; n=${n%%-*}
        [ "$n" -gt "$top" ] 2>/dev/null && top=$n
done
# The first set made after the copy: its orphans deleted. The others adopted
# back, with their snapshots.
for h in ${ACKED[${after[0]}]}; do
        "$STASIS" delete-orphan "$h" >/dev/null || stasis_die "booted on the copy: delete-orphan $h failed"
        snapshot_exists "$h" && stasis_die "booted on the copy: delete-orphan left $h"
done
unset "ACKED[${after[0]}]"
for id in "${after[@]:1}"; do
        "$STASIS" adopt "$id" >/dev/null || stasis_die "booted on the copy: adopting set $id failed"
        snaps=$("$STASIS" --json show "$id" | jq -r '.volumes[].snapshot')
        for h in ${ACKED[$id]}; do
                grep -qxF "$h" <<<"$snaps" || stasis_die "booted on the copy: adopted set $id lacks $h"
                snapshot_exists "$h" || stasis_die "booted on the copy: snapshot $h of adopted set $id is gone"
        done
done
# Sets made but never acknowledged (stasisd killed between its record and
# its answer) are orphans too: deleted.
for h in $(our_orphans); do
        "$STASIS" delete-orphan "$h" >/dev/null || stasis_die "booted on the copy: delete-orphan $h failed"
        snapshot_exists "$h" && stasis_die "booted on the copy: delete-orphan left $h"
done
[ -z "$(our_orphans)" ] || stasis_die "booted on the copy: orphans left: $(our_orphans | tr '\n' ' ')"
# Every snapshot on disk is in a set now.
known=$("$STASIS" --json list | jq -r '.[].id' | while read -r id; do
        "$STASIS" --json show "$id" | jq -r '.volumes[].snapshot'; done)
for h in $(snapshots_on_disk); do
        grep -qxF "$h" <<<"$known" || stasis_die "booted on the copy: snapshot $h on disk is in no set after the adoptions"
done
wait_for 10 stasis_writer_listed app
out=$("$STASIS" --json create "$P/plain") || stasis_die "a create after booting on the copy failed"
new=$(jq -r .id <<<"$out")
[ "$new" -gt "$top" ] || stasis_die "booted on the copy: the new set got id $new, not above $top (the highest on disk)"
stasis_log "booted on the copy taken after set $mid: sets$listed; orphan sets ${after[*]} (one deleted, the others adopted); a new set $new"
stasis_log "seed $SEED: $ITERATIONS iterations, $N_COPIES power cuts checked"
stasis_stop_writer "$APP"
