#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-atomic.sh - crash atomicity of the hold phase, with the real loopclone
# provider: while test-loadgen appends one global sequence of records across
# K ext4 volumes (record n to volume n % K, each fdatasync'ed before the next),
# every set of the K volumes must be a consistent cut of that sequence: with
# M the highest record on any volume, volume i ends exactly at the largest
# n <= M with n % K == i, and each volume's records are contiguous. The clones
# are read with debugfs, without mounting them. The checker itself is checked:
# a cut made of per-volume sets taken at different times must be caught.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

PROVIDER=${STASIS_PROVIDER_LOOPCLONE:-$STASIS_BUILD_DIR/src/providers/exec/stasis-provider-loopclone}
LOADGEN=${TEST_LOADGEN:-$STASIS_BUILD_DIR/test/test-loadgen}
SETS=${TEST_ATOMIC_SETS:-50}    # sets per round (one round with 2 volumes, one with 4)
RECORD=13                       # "%012llu\n"
[ -x "$PROVIDER" ] || stasis_die "no provider at $PROVIDER (build it first)"
[ -x "$LOADGEN" ] || stasis_die "no test-loadgen at $LOADGEN (build it first)"
for c in jq debugfs mkfs.xfs mkfs.ext4; do
        command -v "$c" >/dev/null || { echo "SKIP: needs $c"; exit 77; }
done

stasis_env_init
stasis_start_bus

stasis_make_fs xfs pool 2G
POOL=$STASIS_FS
mkdir "$POOL/images"
export STASIS_LOOPCLONE_STORE=$POOL/store
stasis_install_provider loopclone "$PROVIDER" STASIS_LOOPCLONE_STORE="$STASIS_LOOPCLONE_STORE"
STASISD_ARGS="--providers-dir=$STASIS_TMP/providers.d" stasis_start_daemon

# new_volume NAME: an ext4 image in the pool, on a loop device, mounted at
# $STASIS_TMP/mnt/NAME; appended to MNTS.
MNTS=()
new_volume() {
        local img=$POOL/images/$1.img mnt=$STASIS_TMP/mnt/$1 dev
        truncate -s 64M "$img"
        mkfs.ext4 -q -F "$img" >/dev/null
        dev=$(losetup --find --show "$img") || stasis_die "losetup $img failed"
        stasis_track_loop "$dev"
        mkdir -p "$mnt"
        mount "$dev" "$mnt" || stasis_die "mount $dev failed"
        stasis_track_mount "$mnt"
        MNTS+=("$mnt")
}

# read_volume IMAGE FILE I K: the records of FILE in the ext4 image IMAGE (a
# clone, read with debugfs: ext4 flushes its journal when frozen, so a clone
# needs no replay). Prints the last record (-1 when there are none) or, when
# the file is not records I, I+K, I+2K, ... in order, "BAD <reason>".
read_volume() {
        local img=$1 file=$2 i=$3 k=$4 data=$STASIS_TMP/records err=$STASIS_TMP/debugfs.err size
        if ! debugfs -R "cat /$file" "$img" >"$data" 2>"$err"; then
                echo "BAD debugfs failed on $img: $(cat "$err")"
                return
        fi
        if grep -v '^debugfs [0-9]' "$err" | grep -q .; then
                echo "BAD debugfs on $img: $(grep -v '^debugfs [0-9]' "$err" | head -n 3)"
                return
        fi
        size=$(stat -c %s "$data")
        if (( size % RECORD != 0 )); then
                echo "BAD /$file in $img has $size bytes, not whole records (a torn record)"
                return
        fi
        awk -v i="$i" -v k="$k" '
                bad { next }
                length($0) != 12 || $0 !~ /^[0-9]+$/ { bad = "line " NR " is not a record: " $0; next }
                $0 + 0 != i + (NR - 1) * k { bad = "record " NR " is " $0 + 0 ", expected " i + (NR - 1) * k; next }
                { last = $0 + 0 }
                END { if (bad) print "BAD " bad; else if (NR == 0) print -1; else printf "%d\n", last }' "$data"
}

# check_cut FILE K IMAGE...: are the K images (volume i's clone as argument i)
# a consistent cut of test-loadgen's records in FILE? Fails, with the reason
# in CUT_REASON, when not; sets CUT_MAX (M) and CUT_RECORDS (records in the cut).
check_cut() {
        local file=$1 k=$2 i m=-1 want
        shift 2
        local imgs=("$@") last=()
        CUT_REASON=
        for (( i = 0; i < k; i++ )); do
                last[i]=$(read_volume "${imgs[i]}" "$file" "$i" "$k")
                case ${last[i]} in BAD*) CUT_REASON="volume $i: ${last[i]#BAD }"; return 1 ;; esac
                if (( last[i] > m )); then m=${last[i]}; fi
        done
        (( m >= 0 )) || { CUT_REASON="no records on any volume"; return 1; }
        for (( i = 0; i < k; i++ )); do
                # The largest n <= M with n % K == i; -1 if there is none.
                if (( m >= i )); then want=$(( m - (m - i) % k )); else want=-1; fi
                if (( last[i] != want )); then
                        CUT_REASON="volume $i ends at record ${last[i]}, but with record $m on another volume it must end at $want (ends: ${last[*]})"
                        return 1
                fi
        done
        CUT_MAX=$m
        CUT_RECORDS=$(( m + 1 ))
}

# The highest record written so far (the live files; reading does not block).
live_max() {
        local f t m=-1
        for f in "$@"; do
                t=$(tail -c "$RECORD" "$f" 2>/dev/null) || continue
                if [ -n "$t" ] && (( 10#$t > m )); then m=$(( 10#$t )); fi
        done
        echo "$m"
}

# clone_of JSON MOUNT: the clone of the volume mounted at MOUNT in a set.
clone_of() {
        local h
        h=$(jq -r --arg m "$2" '.volumes[] | select(.mount_point == $m) | .snapshot' <<<"$1")
        [ -n "$h" ] && [ "$h" != null ] || stasis_die "no snapshot of $2 in: $1"
        echo "$STASIS_LOOPCLONE_STORE/$h.img"
}

TOTAL_SETS=0 TOTAL_RECORDS=0 TOTAL_CLONES=0
T_START=$(date +%s%N)

# round K: the load over the first K volumes; SETS sets of all of them, each
# checked; then the checker must catch a cut of per-volume sets.
round() {
        local k=$1 file=load-$1 files=() mnts=("${MNTS[@]:0:$1}") lg out s i prev=-1 distinct=0 written
        local ids=() jsons=()
        for (( i = 0; i < k; i++ )); do files+=("${mnts[i]}/$file"); done

        "$LOADGEN" "${files[@]}" >"$STASIS_TMP/loadgen.out" 2>"$STASIS_TMP/loadgen.err" &
        lg=$!
        stasis_track_pid "$lg"
        all_started() { local f; for f in "${files[@]}"; do [ -s "$f" ] || return 1; done; }
        wait_for 10 all_started

        for (( s = 0; s < SETS; s++ )); do
                out=$(timeout 30 "$STASIS" --json create "${mnts[@]}") ||
                        stasis_die "set $s of $k volumes failed or hung: $out"
                assert_eq "$(jq -r .state <<<"$out")" created "state of set $s"
                assert_eq "$(jq -r .consistency <<<"$out")" crash-atomic "consistency of set $s"
                assert_eq "$(jq '.volumes | length' <<<"$out")" "$k" "volumes in set $s"
                assert_eq "$(jq -r '[.volumes[].provider] | unique | join(",")' <<<"$out")" loopclone "provider"
                ids+=("$(jq -r .id <<<"$out")")
                jsons+=("$out")
        done

        # What the catalog recorded.
        assert_eq "$("$STASIS" --json list | jq -c '[.[] | select(.state == "created" and .consistency == "crash-atomic")] | length')" \
                "$SETS" "crash-atomic sets listed"

        # The fake: each volume alone, at different times (the load moves on
        # by at least 3K records between them). Not a cut of one instant.
        local fake=() fake_ids=() m0
        for (( i = 0; i < k; i++ )); do
                m0=$(live_max "${files[@]}")
                moved_on() { (( $(live_max "${files[@]}") >= m0 + 3 * k )); }
                wait_for 10 moved_on
                out=$(timeout 30 "$STASIS" --json create "${mnts[i]}") || stasis_die "per-volume set failed: $out"
                fake+=("$(clone_of "$out" "${mnts[i]}")")
                fake_ids+=("$(jq -r .id <<<"$out")")
        done

        kill -TERM "$lg"
        wait "$lg" || stasis_die "test-loadgen failed: $(cat "$STASIS_TMP/loadgen.err")"
        written=$(cat "$STASIS_TMP/loadgen.out")
        (( written > 0 )) || stasis_die "test-loadgen wrote nothing"
        # The live volumes hold all of it, in order.
        assert_eq "$(live_max "${files[@]}")" "$(( written - 1 ))" "last record on the live volumes"

        if check_cut "$file" "$k" "${fake[@]}"; then
                stasis_die "the checker took per-volume sets taken at different times for a consistent cut"
        fi
        stasis_log "K=$k: the per-volume cut is caught: $CUT_REASON"
        "$STASIS" delete "${fake_ids[@]}" >/dev/null

        for (( s = 0; s < SETS; s++ )); do
                local clones=()
                for (( i = 0; i < k; i++ )); do
                        clones+=("$(clone_of "${jsons[s]}" "${mnts[i]}")")
                        [ -f "${clones[i]}" ] || stasis_die "set ${ids[s]}: no clone ${clones[i]}"
                done
                check_cut "$file" "$k" "${clones[@]}" ||
                        stasis_die "set ${ids[s]} of $k volumes is not a consistent cut: $CUT_REASON"
                (( CUT_MAX >= prev )) || stasis_die "set ${ids[s]} holds fewer records ($CUT_RECORDS) than the set before it"
                (( CUT_MAX < written )) || stasis_die "set ${ids[s]} holds record $CUT_MAX, never written"
                if (( CUT_MAX > prev )); then distinct=$(( distinct + 1 )); fi
                prev=$CUT_MAX
                TOTAL_RECORDS=$(( TOTAL_RECORDS + CUT_RECORDS ))
                TOTAL_CLONES=$(( TOTAL_CLONES + k ))
                "$STASIS" delete "${ids[s]}" >/dev/null
                for (( i = 0; i < k; i++ )); do
                        [ ! -e "${clones[i]}" ] || stasis_die "deleting set ${ids[s]} left ${clones[i]}"
                done
        done
        TOTAL_SETS=$(( TOTAL_SETS + SETS ))
        # The load ran during the sets: they are not all the same cut.
        (( distinct >= SETS / 2 )) || stasis_die "only $distinct of $SETS sets of $k volumes hold a new cut: the load did not move"
        stasis_log "K=$k: $SETS sets checked, $distinct distinct cuts, $written records written, last cut $prev"
}

new_volume a
new_volume b
round 2
new_volume c
new_volume d
round 4

assert_eq "$(stasis_count_sets)" 0 "sets left"
[ -z "$(ls -A "$STASIS_LOOPCLONE_STORE")" ] || stasis_die "clones left: $(ls -A "$STASIS_LOOPCLONE_STORE")"
T_END=$(date +%s%N)
echo "ok: $TOTAL_SETS crash-atomic sets checked ($TOTAL_CLONES clones, $TOTAL_RECORDS records in their cuts) in $(( (T_END - T_START) / 1000000 )) ms"
