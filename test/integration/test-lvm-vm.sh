#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-lvm-vm.sh - the LVM provider through stasisd and the CLI, in a virtual
# machine with Debian's kernel (test/vm/vmtest.sh), since the kernel the tests
# run on may have no device-mapper: the guest script test/vm/guest-lvm.sh
# does the work, and its exit status is this test's.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (the guest reads the host's files as root)"; exit 77; }
[ -x "$STASIS_BUILD_DIR/src/providers/lvm/stasis-provider-lvm" ] || stasis_die "build first (ninja -C build)"
command -v lvm >/dev/null || { echo "SKIP: lvm2 is not installed (scripts/install-deps.sh)"; exit 77; }

out=$(mktemp -d /tmp/stasis-vm.XXXXXX)
trap 'rm -rf "$out"' EXIT
rc=0
# The sanitizers' settings too, for a sanitizer build.
VMTEST_ENV="STASIS_SRC=$STASIS_SRC STASIS_BUILD_DIR=$STASIS_BUILD_DIR"
for v in ASAN_OPTIONS UBSAN_OPTIONS; do
        [ -z "${!v:-}" ] || VMTEST_ENV+=" $v=${!v}"
done
export VMTEST_ENV
"$STASIS_SRC/test/vm/vmtest.sh" "$STASIS_SRC/test/vm/guest-lvm.sh" "$out" || rc=$?
case $rc in
0) ;;
77) exit 77 ;;
99) stasis_die "the virtual machine did not report a result (it crashed, or qemu failed; see above)" ;;
*) stasis_die "the LVM test in the virtual machine failed (exit status $rc; see above)" ;;
esac
