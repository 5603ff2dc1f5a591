#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# backup-busctl.sh - the same backup with busctl and jq. busctl closes its
# connection after each call, so the set must be persistent and deleted at
# the end (an auto-release set would be released at once). Runs as root, on
# btrfs volumes whose file system's top-level subvolume is mounted where the
# volume is.
set -eu
bus=${STASIS_BUS_ADDRESS:-${DBUS_SYSTEM_BUS_ADDRESS:-}}
call() { busctl ${bus:+--address="$bus"} --timeout=3600 "$@"; }

# CreateSet(as paths, a{sv} options) -> (s id, o set)
set -- $(call call org.stasis1 /org/stasis1 org.stasis1.Manager CreateSet \
        'asa{sv}' "$#" "$@" 2 persistent b true label s "backup example")
id=$(echo "$2" | tr -d '"')
path=$(echo "$3" | tr -d '"')
echo "set $id: $path"

# The Volumes property: a(ssssssss). A btrfs snapshot (field 6) is
# "UUID:/.stasis/ID-INDEX", a path from the top of the file system: read it
# where the top (the top-level subvolume, FSROOT "/") is mounted.
volumes=$(call --json=short get-property org.stasis1 "$path" org.stasis1.Set Volumes |
        jq -r '.data[] | "\(.[0]) \(.[1]) \(.[2]) \(.[5]) \(.[6])"')
failed=0
while read -r vpath mount device source snapshot; do
        case $snapshot in
        *:/*) ;;
        *) echo "backup: $vpath: $snapshot is not a btrfs snapshot" >&2; failed=1; continue ;;
        esac
        if [ "$(findmnt -n -o FSROOT --mountpoint "$mount")" != / ]; then
                echo "backup: $vpath: $mount does not show the top of its file system:" \
                        "mount -o subvolid=5,ro $device DIR and read DIR${snapshot#*:}" >&2
                failed=1
                continue
        fi
        top=${mount%/}
        if [ "$source" = / ]; then dir=$top${snapshot#*:}$vpath; else dir=$top${snapshot#*:}${vpath#"$source"}; fi
        echo "volume $vpath: reading $dir"
        tar -C "$dir" -cf - . | tar -tvf - || failed=1
done <<EOT
$volumes
EOT

[ "$failed" = 1 ] || call call org.stasis1 "$path" org.stasis1.Set Complete as 0
call call org.stasis1 /org/stasis1 org.stasis1.Manager DeleteSet s "$id"
exit "$failed"
