/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lvm-lv.h - the LVM provider's look-ups: the LV of a mount, the LV planned, a snapshot LV and its tags */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lvm-request.h"
#include "lvm-run.h"

/* The device-mapper UUID of block device dev; 0 and "" if it is no
 * device-mapper device, or a negative errno. */
int lvm_dm_uuid_of(dev_t dev, char *buf, size_t size);

/* The origin of v, checked to be the LV the set was planned with: 0 and the
 * rows of lvs (*ret_lvs, to free, of which *ret is the LV), or -1 after
 * fail() naming what differs. */
int lvm_find_planned(const Volume *v, LvmLv **ret_lvs, size_t *ret_n, LvmLv **ret);

typedef struct LvmSnapshotState {
        bool ours;      /* it carries the tags of its handle's set and index */
        bool active;
        bool invalid;   /* a classic snapshot LVM invalidated (its area filled up) */
} LvmSnapshotState;

/* The snapshot LV VG/handle: 1 and *ret if it is there; 0 if it is not; -1
 * after fail() when that cannot be told (the VG is not there, lvs fails). */
int lvm_find_snapshot(const char *vg, const char *handle, LvmSnapshotState *ret);

/* lvremove -f VG/name: 0, or -EIO with lvremove's reason in err. */
int lvm_remove_lv(const char *vg, const char *name, char *err);
