/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-commit.h - the worker's side of a set: hold, commit, thaw; remove */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "provider.h"
#include "stasisd-freeze.h"
#include "time-util.h"

/* What a commit worker sends back first, before one StasisProviderResult per
 * volume (which say what failed). */
typedef struct CommitHeader {
        uint64_t hold_usec;             /* first FIFREEZE to last FITHAW */
} CommitHeader;

typedef struct CommitJob {
        StasisVolume *volumes;
        size_t n_volumes;
        const FreezeTarget *targets;    /* in freeze order */
        size_t n_targets;
        usec_t hold_timeout;
        usec_t commit_timeout;          /* for the volumes that are not held */
        usec_t freeze_settle;           /* pause before the first FIFREEZE */
        bool expedite_freeze;           /* expedited RCU grace periods for the FIFREEZEs */
        const char *state_dir;          /* for the freeze journal */
} CommitJob;

/* In the worker: freezes the targets (journal first), has the providers of
 * the held volumes commit, thaws (in reverse order) before the hold time-out
 * or as soon as the daemon dies, then commits the volumes that are not held.
 * All or nothing: on a failure what was made is removed. Writes the header
 * and the results to fd. */
int commit_run(int fd, const CommitJob *job);

/* In the worker: removes each volume's snapshot; writes the results to fd. */
int remove_run(int fd, StasisVolume *volumes, size_t n);
