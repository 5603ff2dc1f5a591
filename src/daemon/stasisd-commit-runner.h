/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-commit-runner.h - the daemon's side of a commit: the worker, the hold watchdog, the thaw fallback */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-event.h>

#include "provider.h"
#include "stasisd-commit-result.h"
#include "stasisd-freeze.h"
#include "time-util.h"

/* Knows nothing of sets: it runs one commit worker for a list of volumes and
 * the file systems to hold around it, and reports through one callback. */
typedef struct CommitRunner CommitRunner;

typedef enum CommitRunnerEvent {
        /* The result is final. With a hold, the worker is gone too (until
         * then it may still hold file systems frozen, so nothing may write);
         * without, it may still be running (stuck in the kernel, killed). */
        COMMIT_RUNNER_DONE,
        /* The worker has been reaped, after DONE (never with a hold). */
        COMMIT_RUNNER_GONE,
} CommitRunnerEvent;

/* res is valid during the call only. The callback may free the runner. */
typedef void (*commit_runner_callback_t)(CommitRunner *r, CommitRunnerEvent event, const CommitResult *res,
                                         void *userdata);

typedef struct CommitRunnerSpec {
        sd_event *event;
        const char *id;                 /* the set's, for the logs */
        StasisVolume *volumes;          /* kept by the caller until the runner is freed */
        size_t n_volumes;
        const FreezeTarget *targets;    /* in freeze order; none: no hold */
        size_t n_targets;
        usec_t hold_timeout;
        usec_t commit_timeout;
        usec_t freeze_settle;
        const char *state_dir;
        commit_runner_callback_t callback;
        void *userdata;
} CommitRunnerSpec;

/* Opens the targets (to thaw them itself if the worker cannot), forks the
 * worker and, with a hold, arms the watchdog. */
int commit_runner_start(const CommitRunnerSpec *spec, CommitRunner **ret);

/* Whether the worker has been reaped. */
bool commit_runner_gone(const CommitRunner *r);

/* Frees the runner. A worker still running is forgotten (it is killed at
 * its deadline), after a thaw if it may have left file systems frozen. */
CommitRunner *commit_runner_free(CommitRunner *r);
