#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# check-cli-public-api.sh SRC_DIR STASIS_BINARY - the stasis command is a
# requestor written on libstasis's public API only: its sources include no
# sd-bus or sd-event header and none of the project's private helpers that
# talk D-Bus, and the binary does not link libsystemd itself.
set -eu
src=$1/src/cli
bin=$2
fail=0

bad=$(grep -n -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](systemd/sd-[a-z-]+\.h|sd-[a-z-]+\.h|bus-[a-z-]+\.h|stasis-client\.h|stasis-requestor-internal\.h|writer-event\.h)[>"]' \
        "$src"/*.c "$src"/*.h || true)
if [ -n "$bad" ]; then
        echo "FAIL: src/cli includes a D-Bus header or private bus helper; use <stasis/stasis.h>:" >&2
        echo "$bad" >&2
        fail=1
fi
if readelf -d "$bin" | grep -q 'NEEDED.*libsystemd'; then
        echo "FAIL: $bin links libsystemd itself; it must use libstasis only" >&2
        fail=1
fi
exit $fail
