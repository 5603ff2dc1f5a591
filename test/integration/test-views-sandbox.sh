#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-views-sandbox.sh - stasisd in a mount namespace of its own, as under
# its systemd unit (ProtectSystem=, PrivateMounts=): stasis mount attaches
# the view in the caller's namespace (which libstasis hands over), where
# the caller sees it; umount, delete --force and auto-release unmount it
# there; a namespace that is not a mount namespace is refused.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
stasis_env_init
stasis_start_bus
stasis_make_fs btrfs pool
P=$STASIS_FS
btrfs -q subvolume create "$P/data"
echo one > "$P/data/f"

wrap=$STASIS_TMP/stasisd-sandboxed
cat > "$wrap" <<WRAP
exec unshare --mount --propagation slave "$STASISD" "\$@"
WRAP
chmod 755 "$wrap"
STASISD=$wrap stasis_start_daemon
[ "$(readlink /proc/self/ns/mnt)" != "$(readlink "/proc/$STASISD_PID/ns/mnt")" ] ||
        stasis_die "stasisd is not in a mount namespace of its own"
mounted() { findmnt -rn -o TARGET | grep -c "^$STASIS_TMP/run" || true; }

id=$("$STASIS" --json create "$P/data" | jq -r .id)
echo two > "$P/data/f"
root=$("$STASIS" --json mount "$id" | jq -r .mounted_at)
assert_eq "$(cat "$root$P/data/f")" one "the view is in the caller's namespace"
assert_eq "$(nsenter --target "$STASISD_PID" --mount findmnt -rn -o TARGET | grep -c "^$STASIS_TMP/run" || true)" 0 \
        "and not in stasisd's"
"$STASIS" umount "$id" >/dev/null
assert_eq "$(mounted)" 0 "umount unmounts it in the caller's namespace"
[ ! -e "$root" ] || stasis_die "$root left behind"

"$STASIS" mount "$id" >/dev/null
"$STASIS" delete --force "$id" >/dev/null
assert_eq "$(mounted)" 0 "delete --force unmounts it in the caller's namespace"

# Auto-release: the requestor leaves, stasisd unmounts in the namespace it mounted in.
rm -f "$STASIS_TMP/in" "$STASIS_TMP/id"
mkfifo "$STASIS_TMP/in"
"$TEST_REQUESTOR" "$P/data" <"$STASIS_TMP/in" >"$STASIS_TMP/id" &
REQ_PID=$!
stasis_track_pid "$REQ_PID"
exec 3>"$STASIS_TMP/in"
wait_for 10 test -s "$STASIS_TMP/id"
id=$(cat "$STASIS_TMP/id")
"$STASIS" mount "$id" >/dev/null
assert_eq "$(mounted)" 1 "mounted"
exec 3>&-
wait "$REQ_PID"
wait_for 10 sh -c "! '$STASIS' show '$id' >/dev/null 2>&1"
assert_eq "$(mounted)" 0 "auto-release unmounted it in the caller's namespace"

# exec needs no help: the view is made in its own namespace.
id=$("$STASIS" --json create "$P/data" | jq -r .id)
assert_eq "$("$STASIS" exec "$id" -- cat "$P/data/f")" two "exec with a sandboxed stasisd"

# Only a mount namespace is taken.
assert_exit 1 busctl --address="$STASIS_BUS_ADDRESS" call org.stasis1 "/org/stasis1/set/$id" org.stasis1.Set \
        Mount 'sa{sv}' "" 1 mount-namespace s nope
assert_contains "$STASIS_ERR" "mount-namespace must be a file descriptor"
assert_eq "$(mounted)" 0 "nothing mounted"
"$STASIS" delete "$id" >/dev/null
stasis_stop_daemon
echo ok
