# SPDX-License-Identifier: LGPL-2.1-or-later
# guest-lvm-lib.sh - what the LVM guest scripts share (sourced after
# test/lib.sh): the provider, device-mapper, LVM without udev, listings,
# VGs on loop devices; and the test's environment ($T).
PROVIDER=${STASIS_PROVIDER_LVM:-$STASIS_BUILD_DIR/src/providers/lvm/stasis-provider-lvm}
[ -x "$PROVIDER" ] || stasis_die "no provider at $PROVIDER (build it first)"
modprobe -a loop dm-mod dm-snapshot dm-thin-pool ext4 xfs
[ -e /dev/mapper/control ] || stasis_die "no device-mapper in this kernel"

# No udev here: LVM makes its device nodes itself and waits for no one.
export DM_DISABLE_UDEV=1 LVM_SUPPRESS_FD_WARNINGS=1
LVMCONF='activation{udev_sync=0 udev_rules=0 monitoring=0} backup{backup=0 archive=0} devices{obtain_device_list_from_udev=0}'
lvmc() { lvm "$1" --config "$LVMCONF" "${@:2}"; }
# The stasis LVs of every VG, one "VG/LV" a line, sorted.
stasis_lvs() { lvmc lvs --noheadings -o vg_name,lv_name @stasis | awk '{print $1 "/" $2}' | sort; }
# guest_vg VG SIZE: a VG on a loop device (GUEST_PV) of SIZE backed by the
# file $T/VG.img.
guest_vg() {
        truncate -s "$2" "$T/$1.img"
        GUEST_PV=$(losetup --find --show "$T/$1.img")
        stasis_track_loop "$GUEST_PV"
        lvmc pvcreate -q "$GUEST_PV"
        lvmc vgcreate -q "$1" "$GUEST_PV"
}
all_lvs() { lvmc lvs --noheadings -o vg_name,lv_name | awk '{print $1 "/" $2}' | sort; }


stasis_env_init
T=$STASIS_TMP
SECONDS=0
