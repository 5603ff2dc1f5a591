#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# backup-busctl.sh - the same backup with busctl and jq. busctl closes its
# connection after each call, so the set must be persistent and deleted at
# the end (an auto-release set would be released at once).
set -eu
bus=${STASIS_BUS_ADDRESS:-${DBUS_SYSTEM_BUS_ADDRESS:-}}
call() { busctl ${bus:+--address="$bus"} --timeout=3600 "$@"; }

# CreateSet(as paths, a{sv} options) -> (s id, o set)
set -- $(call call org.stasis1 /org/stasis1 org.stasis1.Manager CreateSet \
        'asa{sv}' "$#" "$@" 2 persistent b true label s "backup example")
id=$(echo "$2" | tr -d '"')
path=$(echo "$3" | tr -d '"')
echo "set $id: $path"

# The Volumes property: a(ssssssss), the snapshot is field 6.
call --json=short get-property org.stasis1 "$path" org.stasis1.Set Volumes |
        jq -r '.data[] | "\(.[0]) \(.[5]) \(.[6])"' |
        while read -r vpath source snapshot; do
                if [ "$source" = / ]; then dir=$snapshot$vpath; else dir=$snapshot${vpath#"$source"}; fi
                echo "volume $vpath: reading $dir"
                tar -C "$dir" -cf - . | wc -c
        done

call call org.stasis1 "$path" org.stasis1.Set Complete as 0
call call org.stasis1 /org/stasis1 org.stasis1.Manager DeleteSet s "$id"
