#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-lvm-vm.sh - the LVM provider through stasisd and the CLI, in a virtual
# machine with Debian's kernel (test/vm/vmtest.sh), since the kernel the tests
# run on may have no device-mapper: the guest script test/vm/guest-lvm.sh
# does the work, and its exit status is this test's.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
stasis_run_vm_guest guest-lvm.sh
