#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-lvm-space-vm.sh - the space watch on LVM snapshots that fill up (grown,
# a set released for room, a snapshot lost), in a virtual machine with
# Debian's kernel: the guest script test/vm/guest-lvm-space.sh does the work.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
stasis_run_vm_guest guest-lvm-space.sh
