#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# vmtest.sh GUEST-SCRIPT [OUTDIR] - run GUEST-SCRIPT as the only job of a
# small virtual machine with Debian's kernel (package linux-image-amd64, which
# has the device-mapper modules the host kernel may lack), under qemu's
# software emulation, and exit with the script's exit status. GUEST-SCRIPT
# is run as root (it must be executable), with DM_DISABLE_UDEV=1: the guest
# has no udev.
#
# The guest's root is the host's / shared read-only over 9p, so the programs
# built on the host run in it as they are. Writable in the guest: /run and
# /tmp (tmpfs each; TMPDIR=/run/tmp; a GUEST-SCRIPT under the host's /tmp
# keeps its top directory there visible, read-only) and OUTDIR, shared read-write at
# /run/out. The guest script's output goes to the serial console, which is
# this script's standard output. Exit status: the script's; 99 when the guest
# did not report one (it crashed, or qemu failed); 77 when no usable kernel
# or qemu is installed.
#
# Environment: VMTEST_KERNEL (default: the newest /boot/vmlinuz-* whose
# modules are installed),
# VMTEST_INITRD (the initrd to build once and reuse; default in $TMPDIR),
# VMTEST_TIMEOUT (seconds, default 300), VMTEST_MEM (MiB, default 1024),
# VMTEST_ENV (NAME=VALUE words handed to the guest script's environment).
set -eu

guest=$(readlink -f "$1")
[ -f "$guest" ] || { echo "vmtest.sh: no guest script $1" >&2; exit 2; }
if [ $# -ge 2 ]; then
        out=$(readlink -f "$2")
        mkdir -p "$out"
        own_out=
else
        out=$(mktemp -d "${TMPDIR:-/tmp}/vmtest-out.XXXXXX")
        own_out=1
fi
rm -f "$out/rc"

command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: qemu-system-x86_64 is not installed"; exit 77; }
command -v busybox >/dev/null || { echo "SKIP: busybox is not installed"; exit 77; }
if [ -n "${VMTEST_KERNEL:-}" ]; then
        kernel=$VMTEST_KERNEL
        kver=${kernel##*/vmlinuz-}
else
        # The newest kernel in /boot whose modules are installed.
        kver=
        for k in $(ls /boot/ 2>/dev/null | sed -n 's/^vmlinuz-//p' | sort -V -r); do
                [ -d "/lib/modules/$k/kernel" ] && { kver=$k; break; }
        done
        kernel=/boot/vmlinuz-$kver
fi
[ -r "$kernel" ] && [ -d "/lib/modules/$kver" ] ||
        { echo "SKIP: no kernel with modules in /boot and /lib/modules (install linux-image-amd64)"; exit 77; }

# The initrd: busybox and the modules that mount the host's / over 9p, then
# switch to it, loaded in this order (each after those it needs). Built once
# per kernel and version of this script, reused after.
# The name carries a checksum of this script, so a change to it makes a new one.
initrd=${VMTEST_INITRD:-${TMPDIR:-/tmp}/stasis-vmtest-initrd-$kver-$(cksum < "$0" | cut -d' ' -f1).cpio.gz}
mods="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p"
if [ ! -s "$initrd" ]; then
        d=$(mktemp -d "${TMPDIR:-/tmp}/vmtest-initrd.XXXXXX")
        mkdir -p "$d/bin" "$d/dev" "$d/proc" "$d/newroot" "$d/m"
        cp "$(command -v busybox)" "$d/bin/busybox"
        for m in $mods; do
                # A module built into this kernel has no file: nothing to load.
                f=$(modinfo -k "$kver" -n "$m" 2>/dev/null) || continue
                case $f in
                /*.ko.xz) xz -dc "$f" ;;
                /*.ko.zst) zstd -q -dc "$f" ;;
                /*.ko) cat "$f" ;;
                *) continue ;;
                esac > "$d/m/$m.ko"
                echo "$m" >> "$d/m/order"
        done
        cat > "$d/init" <<'EOI'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t devtmpfs dev /dev
for m in $(/bin/busybox cat /m/order); do /bin/busybox insmod "/m/$m.ko"; done
/bin/busybox mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose host /newroot ||
        { echo "vmtest: cannot mount the host's root"; /bin/busybox poweroff -f; }
/bin/busybox umount /proc /dev
exec /bin/busybox switch_root /newroot /bin/sh -c '
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mount -t cgroup2 cgroup /sys/fs/cgroup
mount -t tmpfs -o mode=755 run /run
# The guest script (and the tree around it) may lie under the host /tmp,
# which the writable /tmp below would hide: its top directory there stays
# visible, read-only.
case "$GUEST" in /tmp/?*/*)
        top=$(echo "$GUEST" | cut -d/ -f1-3)
        mkdir -p /run/host-tmp-top; mount --bind "$top" /run/host-tmp-top ;;
esac
mount -t tmpfs -o mode=1777 tmp /tmp
if [ -n "${top:-}" ]; then mkdir -p "$top"; mount --move /run/host-tmp-top "$top"; fi
mkdir -p /run/tmp /run/out /dev/pts /dev/shm; mount -t devpts pts /dev/pts
ln -s /proc/self/fd /dev/fd; ln -s fd/0 /dev/stdin; ln -s fd/1 /dev/stdout; ln -s fd/2 /dev/stderr
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 out /run/out
export PATH=/usr/sbin:/usr/bin:/sbin:/bin TMPDIR=/run/tmp HOME=/run LANG=C.UTF-8 DM_DISABLE_UDEV=1
for v in $VMTEST_ENV; do export "$(echo "$v" | sed "s/%20/ /g")"; done
cd /run
"$GUEST" </dev/null; echo $? > /run/out/rc; sync
exec busybox poweroff -f'
EOI
        chmod 755 "$d/init"
        # Another run may build it at the same time: each in a file of its own.
        tmp=$(mktemp "$initrd.XXXXXX")
        (cd "$d" && find . | cpio -o -H newc --quiet | gzip -1) > "$tmp"
        mv "$tmp" "$initrd"
        rm -rf "$d"
fi

# VMTEST_ENV's words are passed on the kernel command line, where a space
# would end them: spaces inside a value travel as %20.
env_words=$(printf '%s' "${VMTEST_ENV:-}" | tr '\n' ' ')
timeout "${VMTEST_TIMEOUT:-300}" qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp 2 \
        -m "${VMTEST_MEM:-1024}" -M q35 -nodefaults -no-user-config -display none -serial stdio \
        -monitor none -no-reboot -kernel "$kernel" -initrd "$initrd" \
        -append "console=ttyS0 quiet panic=-1 GUEST=$guest VMTEST_ENV=\"$env_words\"" \
        -virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
        -virtfs local,path="$out",mount_tag=out,security_model=none </dev/null || true
rc=$(cat "$out/rc" 2>/dev/null || echo 99)
[ -z "$own_out" ] || rm -rf "$out"
exit "$rc"
