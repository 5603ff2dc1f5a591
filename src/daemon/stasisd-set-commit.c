/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set-commit.c - taking a set's snapshots: the commit queue, the hold, the result */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-errors.h"
#include "list.h"
#include "log.h"
#include "macro.h"
#include "stasisd-commit-runner.h"
#include "stasisd-set-bus.h"
#include "stasisd-request-id.h"
#include "stasisd-set-commit.h"
#include "stasisd-set-writers.h"
#include "stasisd-set.h"

static void set_commit_result(Set *s);

static void set_unqueue(Set *s) {
        Manager *m = s->manager;

        if (!m)
                return;
        if (m->committing == s)
                m->committing = NULL;
        if (LIST_LINKED(queue, m->commit_queue, s))
                LIST_REMOVE(queue, m->commit_queue, m->commit_queue_tail, s);
}

/* The hold is over (the worker reported and is gone, or the watchdog
 * thawed): writing to file systems is safe again. */
static void set_end_hold(Set *s) {
        Manager *m = s->manager;

        if (m->holding) {
                m->holding = false;
                log_release();
        }
}

const char *set_consistency(const Set *s) {
        bool application = s->n_components > 0;

        assert(s);
        for (size_t i = 0; i < s->n_components; i++)
                application = application && streq(s->components[i].consistency, "application");
        if (application)
                return "application";
        if (s->n_volumes == 1)
                return "crash-atomic";
        for (size_t i = 0; i < s->n_volumes; i++)
                if (s->volumes[i].hold != STASIS_HOLD_FREEZE)
                        return "per-volume";
        return "crash-atomic";          /* all held frozen at one instant */
}

void set_commit_describe(const Set *s, char *buf, size_t size) {
        assert(s);
        assert(buf);

        const Manager *m = s->manager;
        commit_result_describe(&s->commit, "taking the snapshots",
                               m->commit_timeout + (s->n_targets ? m->hold_timeout : 0), m->hold_timeout, buf, size);
}

/* A set that failed after its commit began: remove what it made. */
static void set_remove_snapshots(Set *s) {
        set_enter(s, SET_PHASE_DELETE_WAITING);
        int r = set_delete(s, NULL, NULL);
        if (r < 0)
                log_error_errno(r, "Set %s: failed to start removing its snapshots: %m", s->id);
}

/* The commit runner's one callback. */
static void on_runner(CommitRunner *r, CommitRunnerEvent event, const CommitResult *res, void *userdata) {
        Set *s = userdata;

        assert(s->runner == r);
        if (event == COMMIT_RUNNER_GONE) {
                s->runner = commit_runner_done(s->runner);
                if (s->phase == SET_PHASE_REAPING) {
                        /* The lost worker can change nothing any more: remove what it made. */
                        log_info("Set %s: the commit worker is gone; removing what it made.", s->id);
                        set_remove_snapshots(s);
                }
                return;
        }

        s->commit = *res;
        s->hold_usec = s->commit.hold_usec;
        if (commit_runner_gone(s->runner))
                s->runner = commit_runner_done(s->runner);
        set_end_hold(s);
        s->window_usec = now_usec(CLOCK_MONOTONIC) - s->turn_started;      /* writers: until their thaw */
        TAKE_PTR(s->step_done)(s);
}

void set_commit_finished(Set *s) {
        assert(s);
        assert(s->manager->committing == s);

        Manager *m = s->manager;

        m->committing = NULL;
        set_commit_result(s);    /* may free s */
        manager_hold_ended(m);
        manager_commit_next(m);
}

/* Created: recorded before the reply (a crash now must not lose a set the
 * requestor was told about); signals after it. A set that cannot be
 * recorded (the disk is full) is not made. */
static void set_created(Set *s) {
        const char *consistency = set_consistency(s);
        int r;

        if (s->n_targets > 0)
                log_info("Set %s: held %zu file system(s) for %.1f ms.", s->id, s->n_targets,
                         (double) s->hold_usec / USEC_PER_MSEC);
        set_set_error(s, NULL);
        r = set_record_created(s, consistency);
        if (r < 0) {
                char why[512];
                if (r == -ENOSPC)
                        snprintf(why, sizeof why, "cannot record it in the catalog: the file system of %s "
                                 "is full; its snapshots are removed again", s->manager->state_dir);
                else
                        snprintf(why, sizeof why, "cannot record it in the catalog: %s; its snapshots "
                                 "are removed again", catalog_last_error(s->manager->catalog));
                log_error("Set %s failed: %s", s->id, why);
                set_reply_error(s, r == -ENOSPC ? STASIS_ERROR_NO_SPACE : STASIS_ERROR_PROVIDER_FAILED,
                                "Creating", why);
                set_set_error(s, why);
                set_writers_abort_all(s, why);
                set_change_state(s, SET_DELETING, NULL);
                set_remove_snapshots(s);
                return;
        }
        set_enter(s, SET_PHASE_IDLE);
        if (s->pending) {
                (void) sd_bus_reply_method_return(s->pending, "so", s->id, s->object_path);
                s->pending = sd_bus_message_unref(s->pending);
        }
        if (s->request_id)
                request_ids_answered(s->manager);       /* those waiting for it get it */
        set_bus_emit_changed(s);
        log_info("Set %s created: %zu volume(s), %s.", s->id, s->n_volumes, consistency);
        if (s->release_requested) {
                log_info("Set %s: its requestor left while it was made; releasing it.", s->id);
                (void) set_delete(s, NULL, NULL);
        }
}

/* The end of making a set, by how its commit went. */
static void set_commit_result(Set *s) {
        char msg[1024];

        if (s->commit.outcome == COMMIT_SUCCEEDED && s->writers_failed) {
                /* The snapshots exist, but a writer the requestor required failed. */
                log_error("Set %s failed: %s", s->id, s->writers_failed);
                set_reply_error(s, s->writers_retryable ? STASIS_ERROR_WRITER_RETRYABLE : STASIS_ERROR_WRITER_FAILED,
                                "Creating", s->writers_failed);
                set_set_error(s, s->writers_failed);
                set_change_state(s, SET_DELETING, NULL);
                set_remove_snapshots(s);
                return;
        }
        if (s->commit.outcome == COMMIT_SUCCEEDED) {
                set_created(s);
                return;
        }

        set_commit_describe(s, msg, sizeof msg);
        log_error("Set %s failed: %s", s->id, msg);
        set_reply_error(s, commit_result_timed_out(&s->commit) ? STASIS_ERROR_TIMEOUT : STASIS_ERROR_PROVIDER_FAILED,
                        "Creating", msg);
        set_set_error(s, msg);

        if (!commit_result_lost(&s->commit)) {
                /* The worker rolled back what it made. */
                set_remove(s);
                return;
        }
        /* The worker died or hung: we do not know what it made. Remove whatever
         * exists, but only once the worker is gone: one stuck in the kernel may
         * still finish a snapshot after we looked. Whether it is gone is asked
         * now, not when it reported: with writers, their thaw comes between,
         * and the worker is usually reaped meanwhile. */
        set_change_state(s, SET_DELETING, NULL);
        if (commit_runner_gone(s->runner)) {
                set_remove_snapshots(s);
                return;
        }
        set_enter(s, SET_PHASE_REAPING);
}

void set_commit_failed_to_start(Set *s, int r) {
        assert(s);
        assert(r < 0);

        log_error_errno(r, "Set %s: failed to start taking the snapshots: %m", s->id);
        char why[256];
        snprintf(why, sizeof why, "cannot start the worker: %s", strerror(-r));
        set_reply_error(s, STASIS_ERROR_PROVIDER_FAILED, "Creating", why);
        set_remove(s);
}

int set_start_commit(Set *s, set_step_done_t done) {
        Manager *m = s->manager;
        CommitRunnerSpec spec = {
                .event = m->event,
                .id = s->id,
                .volumes = s->volumes,
                .n_volumes = s->n_volumes,
                .targets = s->targets,
                .n_targets = s->n_targets,
                .hold_timeout = m->hold_timeout,
                .commit_timeout = m->commit_timeout,
                .freeze_settle = m->freeze_settle,
                .expedite_freeze = m->expedite_freeze,
                .state_dir = m->state_dir,
                .spare = &m->spare,
                .callback = on_runner,
                .userdata = s,
        };
        int r;

        assert(done);
        assert(!s->runner);
        r = commit_runner_start(&s->runner_mem, &spec);
        if (r < 0)
                return r;
        s->runner = &s->runner_mem;
        s->step_done = done;
        set_enter(s, SET_PHASE_COMMITTING);
        m->committing = s;
        if (s->n_targets > 0) {
                m->holding = true;
                log_hold();
        }
        return 0;
}

void manager_commit_next(Manager *m) {
        assert(m);

        /* A removal still running could finish inside a hold and write the
         * catalog there: commits wait for removals. */
        while (!m->committing && m->n_removing == 0 && m->commit_queue) {
                Set *s = LIST_POP(queue, m->commit_queue, m->commit_queue_tail);
                s->turn_started = now_usec(CLOCK_MONOTONIC);
                /* The turn is the set's from here to its end (writers freeze first). */
                m->committing = s;
                TAKE_PTR(s->step_done)(s);
        }
}

void set_queue_commit(Set *s, set_step_done_t turn) {
        Manager *m = s->manager;

        assert(turn);

        /* Busy from now on: it waits for its turn, then commits. */
        set_enter(s, SET_PHASE_QUEUED);
        s->step_done = turn;
        LIST_APPEND(queue, m->commit_queue, m->commit_queue_tail, s);
        log_debug("Set %s: %zu volume(s), %zu file system(s) to hold; queued.", s->id, s->n_volumes, s->n_targets);
        manager_commit_next(m);
}

void set_commit_release(Set *s) {
        set_unqueue(s);
        s->runner = commit_runner_done(s->runner);
        freeze_targets_free(s->targets, s->n_targets);
        s->targets = NULL;
        s->n_targets = 0;
}
