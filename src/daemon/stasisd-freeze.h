/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-freeze.h - which file systems to FIFREEZE for a set, in which order, and the freeze journal */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "fd-util.h"
#include "provider.h"

#define FREEZE_JOURNAL_NAME "freeze.journal"

/* One file system to freeze. Several volumes (paths, bind mounts) on one file
 * system share one target. */
typedef struct FreezeTarget {
        char *mount_point;
        dev_t dev;
        FileIdentity identity;  /* its mount point when the set was resolved (unset: not known) */
        ssize_t lower;          /* the target whose file system holds this one's loop image, or -1 */
} FreezeTarget;

void freeze_targets_free(FreezeTarget *t, size_t n);

/* Orders targets so that each comes before the target its loop image lives
 * on (freeze in this order, thaw in reverse): ret_order gets n indices.
 * -ELOOP if the "lower" links form a cycle. Pure. */
int freeze_order(const ssize_t *lower, size_t n, size_t *ret_order);

/* The targets for the volumes held with STASIS_HOLD_FREEZE, already in
 * freeze order. ret_volume_target[i] is the target of volume i, or -1. */
int freeze_plan(const StasisVolume *volumes, size_t n_volumes, FreezeTarget **ret, size_t *ret_n,
                ssize_t *ret_volume_target, char *err, size_t err_size);

/* Opens the target's mount point for FIFREEZE/FITHAW: no symlink on the
 * way, and the very mount that was planned (-ESTALE, -ELOOP otherwise). */
int freeze_target_open(const FreezeTarget *t, int *ret_fd);

/* FITHAW on fd's file system; 0 also when it was not frozen. */
int freeze_thaw_fd(int fd);

/* The journal: written before the first FIFREEZE (no fsync: a freeze does
 * not outlive a reboot, only the journal must outlive stasisd), removed
 * after the last FITHAW. At start-up, freeze_journal_recover() thaws every
 * file system a previous run may have left frozen. */
/* rcu_restore: the worker will turn expedited RCU grace periods on for its
 * FIFREEZEs (stasisd-rcu.h) and they were off: whoever ends the hold in its
 * place turns them off again (freeze_journal_remove(), at start-up
 * freeze_journal_recover()). */
int freeze_journal_write(const char *state_dir, const FreezeTarget *t, size_t n, bool rcu_restore);
/* Removes the journal; with restore_rcu, first turns expedited RCU grace
 * periods off if the journal says the worker turned them on (for the daemon
 * ending a hold its worker did not end). */
int freeze_journal_remove(const char *state_dir, bool restore_rcu);
/* Returns the number of file systems it found still frozen and thawed. */
int freeze_journal_recover(const char *state_dir);
