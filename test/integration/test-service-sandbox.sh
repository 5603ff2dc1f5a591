#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-service-sandbox.sh - stasisd as stasisd.service runs it: in a mount
# namespace of its own where the file systems it snapshots are mounted
# read-only (ProtectSystem=strict, ProtectHome=read-only). Sets are still
# made and deleted, in both btrfs layouts, through stasisd's own mounts of
# the top-level subvolume (docs/service.md).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
stasis_env_init
stasis_start_bus
stasis_make_fs btrfs pool
P=$STASIS_FS

# The sandbox: a private mount namespace in which $P is a read-only bind.
wrap=$STASIS_TMP/stasisd-sandboxed
cat > "$wrap" <<WRAP
#!/bin/sh
exec unshare --mount --propagation slave sh -c 'mount -o remount,bind,ro "\$0" && exec "\$@"' '$P' '$STASISD' "\$@"
WRAP
chmod 755 "$wrap"
start() { STASISD=$wrap stasis_start_daemon; }

btrfs -q subvolume create "$P/data"
echo one > "$P/data/f"
start
# stasisd cannot write through the path it resolves.
nsenter --target "$STASISD_PID" --mount sh -c "touch '$P/data/x'" 2>/dev/null &&
        stasis_die "the sandbox does not make $P read-only"

# The new layout: made and deleted through the private top-level mount.
id=$("$STASIS" --json create "$P/data" | jq -r .id)
assert_eq "$("$STASIS" --json show "$id" | jq -r .state)" created "a set is made in the sandbox"
handle=$("$STASIS" --json show "$id" | jq -r '.volumes[0].handle // .volumes[0].snapshot')
[ -d "$P/.stasis/$id-0" ] || stasis_die "no snapshot in the store for set $id ($handle)"
assert_exit 0 "$STASIS" delete "$id"
[ ! -e "$P/.stasis/$id-0" ] || stasis_die "set $id's snapshot was not deleted in the sandbox"

# The old layout, <subvolume>/.stasis/<set id>: deleted in the sandbox too.
oldset=$("$STASIS" --json create "$P/data" | jq -r .id)
stasis_stop_daemon
btrfs -q subvolume create "$P/data/.stasis"
chmod 700 "$P/data/.stasis"
btrfs -q subvolume snapshot -r "$P/data" "$P/data/.stasis/$oldset" >/dev/null
btrfs -q subvolume delete "$P/.stasis/$oldset-0" >/dev/null
sqlite3 "$STASIS_STATE_DIR/catalog.db" \
        "UPDATE volumes SET handle = '$P/data/.stasis/$oldset' WHERE set_id = $oldset;"
start
assert_eq "$("$STASIS" --json show "$oldset" | jq -r .state)" created "an old-layout set is found in the sandbox"
assert_exit 0 "$STASIS" delete "$oldset"
[ ! -e "$P/data/.stasis/$oldset" ] || stasis_die "the old-layout snapshot of set $oldset was not deleted in the sandbox"
stasis_stop_daemon
echo ok
