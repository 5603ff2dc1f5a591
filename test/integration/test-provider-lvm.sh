#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-provider-lvm.sh - the LVM provider's side of the protocol that needs no
# LVM (docs/provider-spec.md): it passes over volumes that are no LV without
# running lvm2, and refuses bad requests, settings and handles with a reason.
# Its work on real LVs is in test-lvm-vm.sh.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

PROVIDER=$STASIS_BUILD_DIR/src/providers/lvm/stasis-provider-lvm
[ -x "$PROVIDER" ] || stasis_die "no provider at $PROVIDER (build it first)"
export STASIS_PROVIDER_VERSION=1
unset STASIS_LVM_SNAPSHOT_SIZE STASIS_LVM_CONFIG

stasis_env_init

# call VERB REQUEST: stdout in $OUT, exit status in $RC.
call() {
        RC=0
        OUT=$("$PROVIDER" "$1" <<<"$2" 2>/dev/null) || RC=$?
}
# refused VERB REQUEST TEXT: exit 1 with a version-1 error that contains TEXT.
refused() {
        call "$1" "$2"
        [ "$RC" = 1 ] || stasis_die "$1 of $2 exited $RC: $OUT"
        jq -e '.version == 1' <<<"$OUT" >/dev/null || stasis_die "$1: no version in the error: $OUT"
        assert_contains "$(jq -r .error <<<"$OUT")" "$3" "$1 of ${2:0:60}"
}

# A file system on a loop device is no LV: not supported, and no lvm2 tool
# is run for it (PATH has none).
stasis_make_fs ext4 e 64M
probe='{"version":1,"volume":{"path":"'$STASIS_FS'","mount_point":"'$STASIS_FS'","device":"'$STASIS_DEV'","fstype":"ext4"}}'
OUT=$(PATH=/nonexistent "$PROVIDER" probe <<<"$probe")
assert_eq "$OUT" '{"version":1,"supported":false}' "probe of a loop device"

refused probe '{"version":2}' "unsupported protocol version 2"
refused probe '{"version":1' "malformed request"
refused probe '{"version":1,"volume":{"path":"/nonexistent","mount_point":"/nonexistent","device":"","fstype":"ext4"}}' \
        "cannot look at mount point /nonexistent"
refused frobnicate '{"version":1}' "unknown verb 'frobnicate'"

vol() { echo '{"path":"/x","mount_point":"/x","device":"/dev/vg0/x","fstype":"ext4","source":"'"$1"'","key":"'"$2"'","handle":"'"$3"'"}'; }
KEY=lvm:6ulcSy-tX4f-ERXd-kwmb-JnBt-1UwR-8PodpZ
refused delete "{\"version\":1,\"volume\":$(vol vg0/x "$KEY" ../x)}" "\"handle\" is not a handle stasisd makes: '../x'"
refused delete "{\"version\":1,\"volume\":$(vol vg0/x "$KEY" stasis-0-1)}" "is not a handle stasisd makes"
refused exists "{\"version\":1,\"volume\":$(vol vg0/x loopclone:/x stasis-1-0)}" "is not this provider's key"
refused exists "{\"version\":1,\"volume\":$(vol 'vg0/x;rm' "$KEY" stasis-1-0)}" "\"source\" is not VG/LV"
refused exists "{\"version\":1,\"volume\":$(vol '-vg/x' "$KEY" stasis-1-0)}" "\"source\" is not VG/LV"
refused commit "{\"version\":1,\"set_id\":\"2\",\"volumes\":[$(vol vg0/x "$KEY" stasis-1-0)]}" \
        "has handle 'stasis-1-0', which is not of set 2"
refused commit '{"version":1,"set_id":"2","volumes":[]}' "request has 0 volumes"
refused commit '{"version":1,"volumes":[]}' "lacks a string \"set_id\""
echo "ok"
