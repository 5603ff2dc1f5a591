#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# run-writer-messages.sh [N] [STASIS-TEST-WRITER OPTIONS...] - count the D-Bus
# messages a set costs per writer: N test writers (default 10) on one btrfs
# subvolume, with the given options (such as --handlers=Freeze,Thaw); one set
# of that subvolume, completed (BackupComplete), and one set of another
# subvolume no writer is on. busctl monitor on the private bus sees every
# message; the count is of the calls to the writers and their answers, per
# writer and per event, for each set. Needs root and a build (ninja -C build).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-monitor.sh"

N=10
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then
        N=$1
        shift
fi
stasis_bench_require "$STASIS" "$STASISD" "$STASIS_TEST_WRITER"

stasis_env_init
stasis_bus_allow_monitor
stasis_start_bus
stasis_start_daemon

stasis_monitor_start

stasis_make_fs btrfs msgs 512M
P=$STASIS_FS
btrfs -q subvolume create "$P/writers"
btrfs -q subvolume create "$P/idle"

stasis_start_writer --count "$N" --name msgw --component data="$P/writers" "$@"
wait_for 10 pinged
mark
OWNERS=$("$STASIS" --json writers | jq -c '[.[] | select(.writer == "msgw") | .owner]')
[ "$(jq length <<<"$OWNERS")" = "$N" ] || stasis_die "expected $N writers"

# count WHAT: the messages since the last mark to or from a writer.
count() {
        wait_for 10 pinged
        tail -n +"$((MARK + 1))" "$M" | jq -rs --argjson o "$OWNERS" --arg n "$N" --arg what "$1" '
                [ .[] | select((.destination as $d | $o | index($d)) or (.sender as $s | $o | index($s))) ] as $w
                | ($w | map(select(.type == "method_call")) | group_by(.member)
                   | map("\(.[0].member) \(length)") | join(", ")) as $calls
                | "\($what): \($w | length) messages to and from the \($n) writers, \(($w | length) / ($n | tonumber)) per writer; calls: \(if $calls == "" then "none" else $calls end)"'
        MARK=$(wc -l <"$M")
}

stasis_log "writer options: ${*:-(none)}"
id=$("$STASIS" --json create "$P/writers" | jq -r .id)
"$STASIS" complete "$id" >/dev/null
# BackupComplete is not waited for by Complete: until every writer is stable.
all_stable() { [ "$("$STASIS" --json writers | jq '[.[] | select(.writer == "msgw" and .state != "stable")] | length')" = 0 ]; }
wait_for 10 all_stable
count "set of the writers' subvolume, completed"
"$STASIS" create "$P/idle" >/dev/null
count "set of a subvolume no writer is on"
