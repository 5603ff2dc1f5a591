/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-commit-runner.c - the daemon's side of a commit: the worker, the hold watchdog, the thaw fallback */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "macro.h"
#include "stasisd-commit.h"
#include "stasisd-commit-runner.h"
#include "stasisd-worker.h"

/* How long past the hold time limit the daemon waits for the worker to thaw
 * before it kills the worker and thaws by itself. */
#define HOLD_WATCHDOG_GRACE_USEC (500 * USEC_PER_MSEC)


static void close_target_fds(CommitRunner *r) {
        for (size_t i = 0; r->target_fds && i < r->spec.n_targets; i++)
                safe_close(r->target_fds[i]);
        r->target_fds = mfree(r->target_fds);
}

static void thaw_all(CommitRunner *r, const char *why) {
        for (size_t i = r->spec.n_targets; i > 0; i--) {
                int k = r->target_fds && r->target_fds[i - 1] >= 0 ? freeze_thaw_fd(r->target_fds[i - 1]) : 0;
                if (k < 0)
                        log_error_errno(k, "Set %s: failed to thaw %s: %m", r->id, r->spec.targets[i - 1].mount_point);
                else if (k > 0)
                        log_warning("Set %s: thawed %s (%s).", r->id, r->spec.targets[i - 1].mount_point, why);
        }
}

static int worker_commit(int fd, void *userdata) {
        CommitRunner *r = userdata;
        CommitJob job = {
                .volumes = r->spec.volumes,
                .n_volumes = r->spec.n_volumes,
                .targets = r->spec.targets,
                .n_targets = r->spec.n_targets,
                .hold_timeout = r->spec.hold_timeout,
                .commit_timeout = r->spec.commit_timeout,
                .freeze_settle = r->spec.freeze_settle,
                .expedite_freeze = r->spec.expedite_freeze,
                .state_dir = r->spec.state_dir,
        };
        return commit_run(fd, &job);
}

/* The result goes up once it is final; the hold's watchdog is no longer needed then. */
static void deliver(CommitRunner *r) {
        r->reported = false;
        r->hold_watchdog = sd_event_source_disable_unref(r->hold_watchdog);
        /* Once the watchdog stepped in, that is what went wrong, whatever the
         * worker said (unless it missed its own deadline first). */
        if (r->hold_overrun && r->result.outcome != COMMIT_TIMED_OUT)
                r->result = (CommitResult) { .outcome = COMMIT_HOLD_OVERRUN };
        r->spec.callback(r, COMMIT_RUNNER_DONE, &r->result, r->spec.userdata);        /* may release r */
}

static int on_hold_watchdog(sd_event_source *es, uint64_t usec, void *userdata) {
        CommitRunner *r = userdata;

        log_error("Set %s: the hold worker (pid %d) did not thaw within %g s; killing it and thawing.",
                  r->id, (int) r->pid, (double) r->spec.hold_timeout / USEC_PER_SEC);
        (void) kill(r->pid, SIGKILL);
        thaw_all(r, "hold time limit passed");
        /* Still no writes, and the journal stays, until the worker is gone:
         * one stuck in FIFREEZE may yet freeze something after our thaw. */
        r->hold_overrun = true;
        r->thaw_on_exit = true;
        return 0;
}

static void on_worker_done(Worker *w, int status, const void *data, size_t size, void *userdata) {
        CommitRunner *r = userdata;

        commit_result_parse(status, data, size, r->spec.n_volumes, true, &r->result);
        if (r->spec.n_targets == 0) {
                deliver(r);
                return;
        }
        /* With a hold, the result waits until the worker is gone (at most
         * moments after its report): until then it may hold file systems
         * frozen, so nothing may write yet. One that crashed or was killed may
         * have died holding them: thaw at once, and again once it is gone. */
        if (status < 0) {
                thaw_all(r, "the hold worker died");
                r->thaw_on_exit = true;
        }
        r->reported = true;
}

/* The worker is gone for good. If it did not end its hold itself (the
 * watchdog stepped in, it crashed, someone killed it), thaw what it may have
 * left frozen, then drop the journal. */
static void on_worker_exited(void *userdata) {
        CommitRunner *r = userdata;

        r->worker = NULL;
        if (r->thaw_on_exit) {
                thaw_all(r, "after the hold worker was killed");
                (void) freeze_journal_remove(r->spec.state_dir, true);
                r->thaw_on_exit = false;
        }
        close_target_fds(r);
        if (r->reported)
                deliver(r);             /* a hold: nothing is frozen any more */
        else
                r->spec.callback(r, COMMIT_RUNNER_GONE, &r->result, r->spec.userdata);
}

int commit_runner_start(CommitRunner *r, const CommitRunnerSpec *spec) {
        char desc[64];
        int k;

        assert(r);
        assert(spec);
        assert(spec->event);
        assert(spec->id);
        assert(spec->callback);
        assert(spec->n_volumes > 0);

        *r = (CommitRunner) { .spec = *spec };
        snprintf(r->id, sizeof r->id, "%s", spec->id);
        r->spec.id = r->id;

        /* The daemon's own handles on what will be frozen, to thaw if the worker cannot. */
        if (spec->n_targets > 0) {
                r->target_fds = calloc(spec->n_targets, sizeof(int));
                if (!r->target_fds)
                        return -ENOMEM;
                for (size_t i = 0; i < spec->n_targets; i++) {
                        /* Only the mount planned; if it changed, the worker fails the set. */
                        r->target_fds[i] = -1;
                        k = freeze_target_open(&spec->targets[i], &r->target_fds[i]);
                        if (k < 0)
                                log_warning_errno(k, "Set %s: %s is not the mount planned any more: %m",
                                                  r->id, spec->targets[i].mount_point);
                }
        }

        snprintf(desc, sizeof desc, "commit-set-%s", r->id);
        k = -EAGAIN;
        if (spec->spare && spec->n_targets == 0) {
                SpareJob job = {
                        .commit_timeout = spec->commit_timeout,
                        .volumes = spec->volumes,
                        .n_volumes = spec->n_volumes,
                };
                /* Cut as PR_SET_NAME would. */
                memcpy(job.description, desc, MIN(strlen(desc), sizeof job.description - 1));
                k = spare_take(spec->spare, spec->event, &job, spec->commit_timeout, on_worker_done, r,
                               &r->worker);
        }
        if (k < 0)
                k = worker_spawn(spec->event, desc, spec->commit_timeout + (spec->n_targets ? spec->hold_timeout : 0),
                                 worker_commit, r, on_worker_done, &r->worker);
        /* The next one starts while this worker takes the snapshots and stasisd waits. */
        if (spec->spare)
                spare_refill_soon(spec->spare, spec->event);
        if (k < 0) {
                commit_runner_done(r);
                return k;
        }
        r->pid = worker_pid(r->worker);
        worker_set_exited_callback(r->worker, on_worker_exited);

        if (spec->n_targets > 0) {
                /* The worker thaws by itself at hold_timeout after its first
                 * FIFREEZE; this fires only if it cannot (stopped, stuck). */
                k = sd_event_add_time_relative(spec->event, &r->hold_watchdog, CLOCK_MONOTONIC,
                                               spec->freeze_settle + spec->hold_timeout + HOLD_WATCHDOG_GRACE_USEC, 0,
                                               on_hold_watchdog, r);
                if (k < 0) {
                        (void) kill(r->pid, SIGKILL);
                        commit_runner_done(r);
                        return k;
                }
        }
        return 0;
}

bool commit_runner_gone(const CommitRunner *r) {
        return !r || !r->worker;
}

CommitRunner *commit_runner_done(CommitRunner *r) {
        if (!r)
                return NULL;
        r->hold_watchdog = sd_event_source_disable_unref(r->hold_watchdog);
        if (r->worker) {
                if (r->thaw_on_exit)
                        thaw_all(r, "the set is dropped before its worker is gone");
                /* Gone before its worker: the worker must not call back into it. */
                worker_set_exited_callback(r->worker, NULL);
                worker_set_userdata(r->worker, NULL);
        }
        r->worker = NULL;
        close_target_fds(r);
        return NULL;
}
