#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# run-bench-external.sh [ROUNDS] - the latency the stasis hook adds to a
# hypervisor's quiesce: a guest-fsfreeze-freeze-list + guest-fsfreeze-thaw
# round through the real qemu-guest-agent (the package's fsfreeze-hook) on a
# loop-backed ext4 volume, with the stasis hook in the hook directory and one
# writer registered, against the same round with the hook directory empty,
# and with a trivial hook (`exit 0`: what qemu's fsfreeze-hook costs per
# script), alternated ROUNDS times (default 30) in one run with the same agent. Each
# round is timed from the command sent to its answer, as libvirt sees it
# (test/helpers/qga-call.py). Prints the medians and the difference; the
# target is at most 15 ms added (docs/benchmarks.md). Needs root, a build and
# qemu-guest-agent. Exits 0 whether or not the target is met.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

ROUNDS=${1:-30}
QEMU_GA=$(command -v qemu-ga || echo /usr/sbin/qemu-ga)
HOOK_SRC=$STASIS_BUILD_DIR/data/hooks/stasis-freeze-hook
QGA_CALL=$STASIS_SRC/test/helpers/qga-call.py
stasis_bench_require "$STASIS" "$STASISD" "$STASIS_TEST_WRITER" "$QEMU_GA"
[ -f "$HOOK_SRC" ] && [ -f /etc/qemu/fsfreeze-hook ] || { echo "run-bench-external: needs a build and qemu-guest-agent" >&2; exit 1; }

stasis_env_init
stasis_start_bus
T=$STASIS_TMP
mkdir -p "$T/providers.d"
STASISD_ARGS="--providers-dir $T/providers.d"
stasis_start_daemon
stasis_make_fs ext4 vol 64M
V=$STASIS_FS
mkdir "$V/app"
stasis_start_writer --name benchw --component "app=$V/app"

Q=$T/qga
# qemu-ga's guest-fsfreeze-thaw thaws every file system it sees, not only
# those it froze: in its own mount namespace it sees /var/log as $Q/log and,
# of the mounts below /tmp and /work (other tests' loop volumes, which they
# may hold frozen right now), only $V.
# shellcheck disable=SC2016  # expanded by the namespace's shell
QGA_NS='mount --bind "$1" /var/log || exit 1
findmnt -rn -o TARGET | grep -E "^/(tmp|work)/" | sort -r | while read -r m; do
        case $m in "$2"|"$2"/*) ;; *) umount -l "$m" 2>/dev/null ;; esac
done
shift 2
exec "$@"'
mkdir -p "$Q/fsfreeze-hook.d" "$Q/off" "$Q/log" "$Q/state"
ln -s /etc/qemu/fsfreeze-hook "$Q/fsfreeze-hook"
install -m 0755 "$HOOK_SRC" "$Q/off/stasis"
printf '#!/bin/sh\nexit 0\n' > "$Q/off/trivial"
chmod 0755 "$Q/off/trivial"
unshare -m --propagation private sh -c "$QGA_NS" sh "$Q/log" "$V" \
        env STASIS="$STASIS" STASIS_BUS_ADDRESS="$STASIS_BUS_ADDRESS" \
        "$QEMU_GA" -m unix-listen -p "$Q/sock" -F"$Q/fsfreeze-hook" -t "$Q/state" -f "$Q/qga.pid" -l "$Q/qga.log" &
stasis_track_pid $!
wait_for 10 test -S "$Q/sock"

# One round: freeze the test volume only, thaw; prints its time in us.
round() {
        local f t
        f=$(python3 "$QGA_CALL" "$Q/sock" guest-fsfreeze-freeze-list "{\"mountpoints\":[\"$V\"]}")
        t=$(python3 "$QGA_CALL" "$Q/sock" guest-fsfreeze-thaw)
        case "$f $t" in *error*) stasis_die "qemu-ga failed: $f / $t" ;; esac
        echo "$f" "$t" | awk '{ print ($2 - $1) + ($5 - $4) }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

stasis_log "kernel $(uname -r), $(nproc) cores, $(qemu-ga --version 2>&1 | head -n 1), $ROUNDS rounds each"
# with HOOK: one round with only that hook in the directory ("" for none).
with() {
        [ -z "$1" ] || mv "$Q/off/$1" "$Q/fsfreeze-hook.d/$1"
        round
        [ -z "$1" ] || mv "$Q/fsfreeze-hook.d/$1" "$Q/off/$1"
}
with "" >/dev/null; with trivial >/dev/null; with stasis >/dev/null       # warm up each once
: > "$T/with" ; : > "$T/without" ; : > "$T/trivial"
for (( i = 0; i < ROUNDS; i++ )); do
        with stasis >> "$T/with"
        with "" >> "$T/without"
        with trivial >> "$T/trivial"
done
n=$("$STASIS" --json list | jq '[.[] | select(.state == "created" and .consistency == "application")] | length')
[ "$n" -ge "$ROUNDS" ] || stasis_die "only $n of the rounds with the hook made an application-consistent set"
with=$(median < "$T/with")
without=$(median < "$T/without")
trivial=$(median < "$T/trivial")
stasis_log "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v a="$with" -v b="$without" -v c="$trivial" 'BEGIN {
        printf "freeze+thaw round, median: stasis hook and one writer %.2f ms, trivial hook %.2f ms, hook directory empty %.2f ms\n", a / 1000, c / 1000, b / 1000
        printf "added by the stasis hook: %.2f ms (target: at most 15 ms), of which the fsfreeze-hook running a script: %.2f ms\n", (a - b) / 1000, (c - b) / 1000
}'
