/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-commit-runner.h - the daemon's side of a commit: the worker, the hold watchdog, the thaw fallback */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "provider.h"
#include "stasisd-commit-result.h"
#include "stasisd-freeze.h"
#include "stasisd-spare.h"
#include "time-util.h"

/* Knows nothing of sets: it runs one commit worker for a list of volumes and
 * the file systems to hold around it, and reports through one callback. */
typedef struct CommitRunner CommitRunner;
typedef struct Worker Worker;

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
        bool expedite_freeze;
        const char *state_dir;
        /* A worker started ahead, to take the commit if it can (no hold,
         * built-in providers) and be replaced; NULL: always fork. */
        SpareSlot *spare;
        commit_runner_callback_t callback;
        void *userdata;
} CommitRunnerSpec;

/* Kept in its owner (no allocation of its own); its fields are the runner's. */
struct CommitRunner {
        CommitRunnerSpec spec;
        char id[24];
        Worker *worker;                 /* until it has been reaped */
        pid_t pid;
        int *target_fds;                /* the daemon's own, to thaw if the worker cannot */
        sd_event_source *hold_watchdog;
        bool hold_overrun;              /* the watchdog fired */
        bool thaw_on_exit;              /* the worker did not end its hold itself: thaw once it is gone */
        bool reported;                  /* result holds its report, not delivered yet (a hold) */
        CommitResult result;
};

/* Sets up r: opens the targets (to thaw them itself if the worker cannot),
 * forks the worker and, with a hold, arms the watchdog. On failure r holds
 * nothing. */
int commit_runner_start(CommitRunner *r, const CommitRunnerSpec *spec);

/* Whether the worker has been reaped (NULL: there is no runner). */
bool commit_runner_gone(const CommitRunner *r);

/* Releases what r holds and returns NULL. A worker still running is
 * forgotten (it is killed at its deadline), after a thaw if it may have
 * left file systems frozen. */
CommitRunner *commit_runner_done(CommitRunner *r);
