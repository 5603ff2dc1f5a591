/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lvm-lv.c - the LVM provider's look-ups: the LV of a mount, the LV planned, a snapshot LV and its tags */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lvm-lv.h"
#include "lvm-policy.h"
#include "lvm-request.h"

/* The device-mapper UUID of block device dev; 0 and "" if it is no
 * device-mapper device. */
int lvm_dm_uuid_of(dev_t dev, char *buf, size_t size) {
        char p[64];
        snprintf(p, sizeof p, "/sys/dev/block/%u:%u/dm/uuid", major(dev), minor(dev));
        buf[0] = 0;
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        ssize_t l = read(fd, buf, size - 1);
        int e = errno;
        close(fd);
        if (l < 0)
                return -e;
        buf[l] = 0;
        buf[strcspn(buf, "\n")] = 0;
        return 0;
}

/* The origin of v, checked to be the LV the set was planned with: the same
 * UUID, name and VG, and still the device of the file system at its mount
 * point. */
int lvm_find_planned(const Volume *v, LvmLv **ret_lvs, size_t *ret_n, LvmLv **ret) {
        char sel[96], err[LVM_ERR_MAX];
        LvmLv *lvs = NULL;
        size_t n = 0;
        struct stat st;
        int r;

        snprintf(sel, sizeof sel, "lv_uuid=%s", v->uuid);
        r = lvm_lvs(NULL, sel, &lvs, &n, err);
        if (r < 0)
                return fail("cannot look for %s/%s of %s: lvs: %s", v->vg, v->lv, v->path, err);
        if (n == 0) {
                lvm_lvs_free(lvs, n);
                r = lvm_vg_exists(v->vg, err);
                if (r < 0)
                        return fail("cannot look for volume group %s of %s: vgs: %s", v->vg, v->path, err);
                if (r == 0)
                        return fail("volume group %s of %s is not there (vgs does not list it): are its physical "
                                    "volumes missing? Check with pvs and vgs", v->vg, v->mount_point);
                return fail("logical volume %s/%s of %s is gone: it was removed after the set was planned",
                            v->vg, v->lv, v->mount_point);
        }
        LvmLv *l = &lvs[0];
        if (strcmp(l->vg, v->vg) != 0 || strcmp(l->name, v->lv) != 0) {
                fail("logical volume %s/%s of %s is now %s/%s (renamed after the set was planned); not "
                     "snapshotting it", v->vg, v->lv, v->mount_point, l->vg, l->name);
                goto bad;
        }
        if (l->major < 0) {
                fail("logical volume %s/%s of %s is not active; not snapshotting it", v->vg, v->lv, v->mount_point);
                goto bad;
        }
        if (stat(v->mount_point, &st) < 0) {
                fail("cannot look at mount point %s of %s/%s: %s", v->mount_point, v->vg, v->lv, strerror(errno));
                goto bad;
        }
        if (st.st_dev != makedev((unsigned) l->major, (unsigned) l->minor)) {
                fail("the file system at %s is no longer on %s/%s (device %u:%u, not %d:%d); not snapshotting it",
                     v->mount_point, v->vg, v->lv, major(st.st_dev), minor(st.st_dev), l->major, l->minor);
                goto bad;
        }
        *ret_lvs = lvs;
        *ret_n = n;
        *ret = l;
        return 0;
bad:
        lvm_lvs_free(lvs, n);
        return -1;
}

int lvm_find_snapshot(const char *vg, const char *handle, LvmSnapshotState *ret) {
        char target[260], err[LVM_ERR_MAX], set_id[20], tag[64];
        const char *targets[] = { target, NULL };
        LvmLv *lvs = NULL;
        size_t n = 0;
        unsigned index;
        int r;

        if (lvm_handle_parse(handle, set_id, &index) < 0)
                return fail("'%s' is not a handle stasisd makes", handle);
        snprintf(target, sizeof target, "%s/%s", vg, handle);
        r = lvm_lvs(targets, NULL, &lvs, &n, err);
        if (r == -ENOENT) {
                r = lvm_vg_exists(vg, err);
                if (r < 0)
                        return fail("cannot look for volume group %s: vgs: %s", vg, err);
                if (r == 0)
                        return fail("volume group %s is not there (vgs does not list it), so whether snapshot %s/%s "
                                    "exists cannot be told: make its physical volumes available (pvs, vgs)", vg, vg,
                                    handle);
                return 0;
        }
        if (r < 0)
                return fail("cannot look for snapshot %s/%s: lvs: %s", vg, handle, err);
        if (n == 0) {
                lvm_lvs_free(lvs, n);
                return 0;
        }
        snprintf(tag, sizeof tag, "stasis_set_%s", set_id);
        bool ours = lvm_tags_contain(lvs[0].tags, tag);
        snprintf(tag, sizeof tag, "stasis_vol_%u", index);
        *ret = (LvmSnapshotState) {
                .ours = ours && lvm_tags_contain(lvs[0].tags, tag),
                .active = lvs[0].major >= 0,
                .invalid = lvm_attr_invalid(lvs[0].attr),
        };
        lvm_lvs_free(lvs, n);
        return 1;
}

int lvm_remove_lv(const char *vg, const char *name, char *err) {
        char target[260];
        snprintf(target, sizeof target, "%s/%s", vg, name);
        const char *args[] = { "lvremove", "-f", target, NULL };
        int r = lvm_run(args, NULL, NULL, err);
        if (r > 0 && !err[0])
                snprintf(err, LVM_ERR_MAX, "lvremove failed with exit status %d", r);
        return r == 0 ? 0 : -EIO;
}

