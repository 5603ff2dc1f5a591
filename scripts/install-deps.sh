#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# install-deps.sh - install the Debian 12 packages stasis needs to build, run
# its demo and run its tests. Installs only what is missing.
set -euo pipefail

packages=(
        # build
        gcc meson ninja-build pkg-config
        # fuzzing: clang with libFuzzer and the sanitizer runtimes
        clang libclang-rt-14-dev
        libsystemd-dev libbtrfsutil-dev libsqlite3-dev libjson-c-dev libmount-dev
        # run: dbus-daemon for the private bus, busctl (from systemd) for raw D-Bus
        dbus-daemon systemd
        # polkitd: test-authz.sh runs the real one on the private bus
        polkitd
        # file systems and tools the tests and the demo use
        btrfs-progs xfsprogs e2fsprogs util-linux mount jq sqlite3 procps
        # test-create-calls.sh: the order of the CLI's writes and reads on the bus
        strace
        # real backup tools the tests run in a view of a set (stasis backup): tar, restic
        tar restic
        # the Python example of docs/requestors.md
        python3-dbus
        # external sets: the real qemu-guest-agent and its fsfreeze-hook, driven by
        # test/helpers/qga-call.py (test-external-qemu-ga.sh, run-bench-external.sh)
        qemu-guest-agent python3
        # stasis-writer-redis and its test's server
        libhiredis-dev redis-server redis-tools
        # stasis-writer-mariadb and its test's server
        libmariadb-dev mariadb-server mariadb-client
        # the LVM provider, and test-lvm-vm.sh's virtual machine (test/vm/vmtest.sh):
        # qemu, Debian's kernel with device-mapper, busybox and the tools
        # that build its initrd
        lvm2 thin-provisioning-tools qemu-system-x86 linux-image-amd64 busybox-static kmod cpio xz-utils zstd
        # stasis-writer-postgresql: libpq to build it; the server, psql and pgbench for its tests
        libpq-dev postgresql-15 postgresql-client-15
)

missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
        echo "install-deps.sh: missing packages (${missing[*]}); run as root to install them" >&2
        exit 1
fi
echo "Installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
