#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-views-hold.sh - Mount and OpenView asked while another set holds
# file systems frozen wait for the hold to end (a provider's mount verb runs
# in stasisd's loop, which a hold must not wait on), then go through; an
# OpenView whose caller left meanwhile leaves no open view behind.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
stasis_env_init
stasis_start_bus
stasis_install_test_provider
echo slow > "$TEST_PROVIDER_DIR/mode"          # the provider takes 3 s: a long hold
STASISD_ARGS="--providers-dir=$STASIS_TMP/providers.d --hold-timeout=10" stasis_start_daemon

stasis_make_fs btrfs pool
P=$STASIS_FS
btrfs -q subvolume create "$P/vol"
echo old > "$P/vol/f"
stasis_make_fs ext4 held 64M
H=$STASIS_FS
id=$("$STASIS" --json create "$P/vol" | jq -r .id)

in_commit() { grep -q '^commit' "$TEST_PROVIDER_DIR/log" 2>/dev/null; }
# hold_over: the held set's commit returned (the provider made its snapshot).
hold_over() { ls "$TEST_PROVIDER_DIR"/snap-* >/dev/null 2>&1; }

for how in mount exec; do
        rm -f "$TEST_PROVIDER_DIR/log" "$TEST_PROVIDER_DIR"/snap-*
        "$STASIS" --json create "$H" >/dev/null &
        C=$!
        stasis_track_pid "$C"
        wait_for 10 in_commit
        if [ $how = mount ]; then
                out=$("$STASIS" mount "$id")
                hold_over || stasis_die "Mount went through during the hold"
                assert_contains "$out" "Mounted snapshot set $id"
                "$STASIS" umount "$id" >/dev/null
        else
                out=$("$STASIS" exec "$id" -- sh -c "cat '$P/vol/f'; ls '$TEST_PROVIDER_DIR'")
                hold_over || stasis_die "OpenView went through during the hold"
                assert_contains "$out" "old"
                assert_contains "$out" "snap-" "the view was opened after the hold"
        fi
        wait "$C"
done

# A caller that leaves while its OpenView waits for the hold leaves no open
# view behind: the set can be deleted once the hold is over.
rm -f "$TEST_PROVIDER_DIR/log" "$TEST_PROVIDER_DIR"/snap-*
"$STASIS" --json create "$H" >/dev/null &
C=$!
stasis_track_pid "$C"
wait_for 10 in_commit
busctl --address="$STASIS_BUS_ADDRESS" call --expect-reply=no org.stasis1 "/org/stasis1/set/$id" \
        org.stasis1.Set OpenView
hold_over && stasis_die "the hold ended before the OpenView came"
wait "$C"
assert_eq "$("$STASIS" --json show "$id" | jq -r .open_views)" 0 "no open view of a caller that left"
"$STASIS" delete "$id" >/dev/null
echo ok
