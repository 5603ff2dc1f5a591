#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# demo.sh - stasis end to end on a self-contained loop volume: install what is
# missing, build, start a private D-Bus and stasisd, make a btrfs volume in an
# image file, write data, take a snapshot set, show that the snapshot keeps
# the data as it was while the live volume changes, and clean everything up.
# Run as root on Debian 12.
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
snap=$("$STASIS" --json show 1 | jq -r '.volumes[0].snapshot')

step "The snapshot still holds the data as it was at the snapshot"
run cat "$snap/orders.log"
if touch "$snap/tamper" 2>/dev/null; then echo "snapshot is writable!"; exit 1; fi
echo "(the snapshot is read-only: writing to it fails)"

step "Delete the set"
run "$STASIS" delete 1
run "$STASIS" list

step "Clean up"
echo "stopping stasisd and the bus, unmounting $V, detaching $STASIS_DEV"
