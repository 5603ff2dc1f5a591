#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# demo.sh - stasis end to end on a self-contained loop volume: install what is
# missing, build, start a private D-Bus and stasisd, make a btrfs volume in an
# image file, write data, take a snapshot set, show that the snapshot keeps
# the data as it was while the live volume changes; then an application that
# takes part as a writer (the test writer, writing transactions): an
# application-consistent set of its component, and a writer that vetoes; a
# one-command backup (stasis backup -- tar) of the writer's data; and clean
# everything up. Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null

. test/lib.sh
stasis_env_init

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "A private system bus and stasisd"
stasis_start_bus
stasis_start_daemon
echo "bus: $STASIS_BUS_ADDRESS"
echo "stasisd: pid $STASISD_PID, catalog in $STASIS_STATE_DIR"

step "A 300 MiB btrfs volume in an image file, with a subvolume of data"
stasis_make_fs btrfs demo
V=$STASIS_FS
echo "$STASIS_DEV mounted at $V"
run btrfs -q subvolume create "$V/app"
for i in 1 2 3; do echo "order $i: paid" >> "$V/app/orders.log"; done
run cat "$V/app/orders.log"

step "What stasis would snapshot"
run "$STASIS" volumes "$V/app"

step "Take a snapshot set"
run "$STASIS" create --label demo "$V/app"

step "The application goes on writing"
echo "order 4: paid" >> "$V/app/orders.log"
sed -i 's/order 1: paid/order 1: REFUNDED/' "$V/app/orders.log"
run cat "$V/app/orders.log"

step "The set, as stasis lists and shows it"
run "$STASIS" list
# The snapshot is in the file system's store, only root may look: the handle
# is <file system UUID>:<path from its top>, and the top is mounted at $V.
handle=$("$STASIS" --json show 1 | jq -r '.volumes[0].snapshot')
echo "snapshot: $handle"
snap=$V/${handle#*:/}

step "The snapshot still holds the data as it was at the snapshot"
run cat "$snap/orders.log"
if touch "$snap/tamper" 2>/dev/null; then echo "snapshot is writable!"; exit 1; fi
echo "(the snapshot is read-only: writing to it fails)"

step "Delete the set"
run "$STASIS" delete 1
run "$STASIS" list

step "An application that takes part: a writer"
# The test writer plays an application that writes two-step transactions
# ("begin N", then "end N") every millisecond; at Freeze it finishes the one
# under way and pauses until Thaw.
TW=build/test/helpers/stasis-test-writer
"$TW" --name orders --instance main --component "ledger=$V/app" --data "$V/app/ledger" \
        --log "$STASIS_TMP/orders.log" --log-results --ready-file "$STASIS_TMP/orders.ready" 2>/dev/null &
writers=($!)
stasis_track_pid $!
wait_for 10 test -e "$STASIS_TMP/orders.ready"
run "$STASIS" writers

step "A set of the writer's component: stasis finds its volume, and the writer freezes around the snapshot"
run "$STASIS" create --label ledger --component orders@main:ledger
handle=$("$STASIS" --json show 2 | jq -r '.volumes[0].snapshot')
snap=$V/${handle#*:/}
echo "The events the writer saw:"
grep ' 2 ' "$STASIS_TMP/orders.log" | awk '{ print "  " $3, $5 }'
echo "The end of the ledger in the snapshot: a whole transaction, never half of one:"
tail -n 2 "$snap/ledger" | sed 's/^/  /'
run "$STASIS" complete 2

step "A writer that vetoes the freeze (a replica lagging, say)"
"$TW" --name replica --component "state=$V/app" --fault "Freeze:veto-retryable:replica lagging" \
        --ready-file "$STASIS_TMP/replica.ready" 2>/dev/null &
writers+=($!)
stasis_track_pid $!
wait_for 10 test -e "$STASIS_TMP/replica.ready"
echo "Without --require-writers the set is made, and says which data is only crash-consistent:"
run "$STASIS" create --label vetoed "$V/app"
echo "With --require-writers the set fails; exit status 10 means a retry may work:"
printf '$ %s\n' "$STASIS create --require-writers $V/app"
rc=0
"$STASIS" create --require-writers "$V/app" || rc=$?
echo "(exit status $rc)"
kill "${writers[1]}"            # the replica goes
wait "${writers[1]}" || true

step "A one-command backup: tar runs where the snapshot sits at $V/app, the writer hears the result"
run "$STASIS" backup --component orders@main:ledger -- tar -C "$V/app" -cf "$STASIS_TMP/ledger.tar" ledger
set_id=$(awk '$3 == "Freeze" { s = $4 } END { print s }' "$STASIS_TMP/orders.log")
wait_for 10 grep -q "BackupComplete $set_id" "$STASIS_TMP/orders.log"
echo "The end of the ledger in the archive: a whole transaction, as of the freeze:"
tar -xOf "$STASIS_TMP/ledger.tar" ledger | tail -n 2 | sed 's/^/  /'
echo "The events the writer saw for set $set_id:"
grep " $set_id " "$STASIS_TMP/orders.log" | awk '{ print "  " $3, $5 }'
echo "The live ledger went on meanwhile:"
tail -n 1 "$V/app/ledger" | sed 's/^/  /'
echo "Set $set_id is not listed any more: the backup released it."
run "$STASIS" list

step "Clean up"
kill "${writers[0]}"            # the writer unregisters and exits
wait "${writers[0]}" || true
echo "stopping stasisd and the bus, unmounting $V, detaching $STASIS_DEV"
