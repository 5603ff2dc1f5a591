/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set-commit.c - taking a set's snapshots: the commit queue, the hold and its watchdog, the result */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-errors.h"
#include "log.h"
#include "macro.h"
#include "stasisd-commit.h"
#include "stasisd-set.h"
#include "stasisd-worker.h"

static void on_commit_worker_exited(void *userdata);
static void set_finish_commit(Set *s, int status, const void *data, size_t size);
static void set_commit_result(Set *s, int status, const void *data, size_t size);

static void close_target_fds(Set *s) {
        for (size_t i = 0; s->target_fds && i < s->n_targets; i++)
                safe_close(s->target_fds[i]);
        free(s->target_fds);
        s->target_fds = NULL;
}

static void set_unqueue(Set *s) {
        Manager *m = s->manager;

        if (!m)
                return;
        if (m->committing == s)
                m->committing = NULL;
        if (LIST_LINKED(queue, m->commit_queue, s))
                LIST_REMOVE(queue, m->commit_queue, m->commit_queue_tail, s);
}

static int worker_commit(int fd, void *userdata) {
        Set *s = userdata;
        CommitJob job = {
                .volumes = s->volumes,
                .n_volumes = s->n_volumes,
                .targets = s->targets,
                .n_targets = s->n_targets,
                .hold_timeout = s->manager->hold_timeout,
                .commit_timeout = s->manager->commit_timeout,
                .freeze_settle = s->manager->freeze_settle,
                .state_dir = s->manager->state_dir,
        };
        return commit_run(fd, &job);
}

static void on_failed_commit_exited(void *userdata) {
        Set *s = userdata;
        int r;

        on_commit_worker_exited(s);
        s->busy = false;
        log_info("Set %s: the commit worker is gone; removing what it made.", s->id);
        r = set_delete(s, NULL, NULL);
        if (r < 0)
                log_error_errno(r, "Set %s: failed to start removing its snapshots: %m", s->id);
}

/* The hold is over (the worker reported, or the watchdog thawed): writing
 * to file systems is safe again. */
static void set_end_hold(Set *s) {
        Manager *m = s->manager;

        s->hold_watchdog = sd_event_source_disable_unref(s->hold_watchdog);
        if (m->holding) {
                m->holding = false;
                log_release();
        }
}

static void thaw_all(Set *s, const char *why) {
        for (size_t i = s->n_targets; i > 0; i--) {
                int r = s->target_fds && s->target_fds[i - 1] >= 0 ? freeze_thaw_fd(s->target_fds[i - 1]) : 0;
                if (r < 0)
                        log_error_errno(r, "Set %s: failed to thaw %s: %m", s->id, s->targets[i - 1].mount_point);
                else if (r > 0)
                        log_warning("Set %s: thawed %s (%s).", s->id, s->targets[i - 1].mount_point, why);
        }
}

static int on_hold_watchdog(sd_event_source *es, uint64_t usec, void *userdata) {
        Set *s = userdata;

        log_error("Set %s: the hold worker (pid %d) did not thaw within %g s; killing it and thawing.",
                  s->id, (int) s->worker_pid, (double) s->manager->hold_timeout / USEC_PER_SEC);
        (void) kill(s->worker_pid, SIGKILL);
        thaw_all(s, "hold time limit passed");
        /* Still no writes, and the journal stays, until the worker is gone:
         * one stuck in FIFREEZE may yet freeze something after our thaw. */
        s->hold_overrun = true;
        s->thaw_on_exit = true;
        return 0;
}

static void on_commit_worker_exited(void *userdata) {
        Set *s = userdata;
        s->commit_worker = NULL;
        if (s->thaw_on_exit) {
                thaw_all(s, "after the hold worker was killed");
                (void) freeze_journal_remove(s->manager->state_dir);
                s->thaw_on_exit = false;
        }
        close_target_fds(s);
        if (s->commit_reported) {
                /* A set with a hold is finished only now: nothing is frozen any more. */
                void *data = TAKE_PTR(s->commit_data);
                s->commit_reported = false;
                set_finish_commit(s, s->commit_status, data, s->commit_size);
                free(data);
        }
}

const char *set_consistency(const Set *s) {
        bool application = s->n_components > 0;
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

static void on_commit_done(Worker *w, int status, const void *data, size_t size, void *userdata) {
        Set *s = userdata;

        if (s->n_targets == 0) {
                set_finish_commit(s, status, data, size);
                return;
        }
        /* With a hold, the result waits until the worker is gone (at most
         * moments after its report): until then it may hold file systems
         * frozen, so nothing may write yet. One that crashed or was killed may
         * have died holding them: thaw at once, and again once it is gone. */
        if (status < 0) {
                thaw_all(s, "the hold worker died");
                s->thaw_on_exit = true;
        }
        free(s->commit_data);
        s->commit_data = size > 0 ? malloc(size) : NULL;
        if (s->commit_data)
                memcpy(s->commit_data, data, size);
        else if (size > 0 && status >= 0)
                status = -ENOMEM;
        s->commit_size = s->commit_data ? size : 0;
        s->commit_status = status;
        s->commit_reported = true;
}

static void set_finish_commit(Set *s, int status, const void *data, size_t size) {
        set_end_hold(s);
        s->window_usec = now_usec(CLOCK_MONOTONIC) - s->turn_started;      /* writers: until their thaw */
        if (s->n_writers > 0) {
                /* The slot stays taken until the writers are thawed and told. */
                set_writers_after_commit(s, status, data, size);
                manager_hold_ended(s->manager);
                return;
        }
        set_commit_finished(s, status, data, size);
}

void set_commit_finished(Set *s, int status, const void *data, size_t size) {
        Manager *m = s->manager;

        s->busy = false;
        m->committing = NULL;
        set_commit_result(s, status, data, size);    /* may free s */
        manager_hold_ended(m);
        manager_commit_next(m);
}

/* The error of volume i in a commit worker's answer. */
static int res_error(const void *data, size_t size, const Set *s, ssize_t i) {
        const StasisProviderResult *res = (const void *) ((const char *) data + sizeof(CommitHeader));
        if (size != sizeof(CommitHeader) + sizeof(StasisProviderResult) * s->n_volumes)
                return 0;
        return res[i].error;
}

static void set_commit_result(Set *s, int status, const void *data, size_t size) {
        char msg[1024];
        ssize_t bad;

        bad = check_results(s, status, data, size, "taking the snapshots", msg, sizeof msg);
        if (bad == -1 && s->writers_failed) {
                /* The snapshots exist, but a writer the requestor required failed. */
                log_error("Set %s failed: %s", s->id, s->writers_failed);
                set_reply_error(s, s->writers_retryable ? STASIS_ERROR_WRITER_RETRYABLE : STASIS_ERROR_WRITER_FAILED,
                                "Creating", s->writers_failed);
                set_set_error(s, s->writers_failed);
                set_change_state(s, SET_DELETING, NULL);
                int r = set_delete(s, NULL, NULL);
                if (r < 0)
                        log_error_errno(r, "Set %s: failed to start removing its snapshots: %m", s->id);
                return;
        }
        if (s->n_targets > 0 && bad == -1)
                log_info("Set %s: held %zu file system(s) for %.1f ms.", s->id, s->n_targets,
                         (double) s->hold_usec / USEC_PER_MSEC);
        if (bad == -1) {
                set_set_error(s, NULL);
                const char *consistency = set_consistency(s);
                /* Recorded before the reply (a crash now must not lose a set the
                 * requestor was told about); signals after it. A set that
                 * cannot be recorded (the disk is full) is not made. */
                int r = set_record_created(s, consistency);
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
                        r = set_delete(s, NULL, NULL);
                        if (r < 0)
                                log_error_errno(r, "Set %s: failed to start removing its snapshots: %m", s->id);
                        return;
                }
                if (s->pending) {
                        (void) sd_bus_reply_method_return(s->pending, "so", s->id, s->object_path);
                        s->pending = sd_bus_message_unref(s->pending);
                }
                set_bus_emit_changed(s);
                log_info("Set %s created: %zu volume(s), %s.", s->id, s->n_volumes, consistency);
                if (s->release_requested) {
                        log_info("Set %s: its requestor left while it was made; releasing it.", s->id);
                        (void) set_delete(s, NULL, NULL);
                }
                return;
        }

        log_error("Set %s failed: %s", s->id, msg);
        set_reply_error(s, (bad == -2 && status == -ETIMEDOUT) || bad == -3 ? STASIS_ERROR_TIMEOUT :
                           bad >= 0 && (res_error(data, size, s, bad) == -ETIMEDOUT) ? STASIS_ERROR_TIMEOUT :
                           STASIS_ERROR_PROVIDER_FAILED, "Creating", msg);
        set_set_error(s, msg);

        if (bad >= 0) {
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
        if (!s->commit_worker) {
                int r = set_delete(s, NULL, NULL);
                if (r < 0)
                        log_error_errno(r, "Set %s: failed to start removing its snapshots: %m", s->id);
                return;
        }
        s->busy = true;
        worker_set_exited_callback(s->commit_worker, on_failed_commit_exited);
}

void set_commit_failed_to_start(Set *s, int r) {
        log_error_errno(r, "Set %s: failed to start taking the snapshots: %m", s->id);
        if (s->pending) {
                (void) sd_bus_reply_method_errorf(s->pending, STASIS_ERROR_PROVIDER_FAILED,
                                                  "Creating snapshot set %s failed: cannot start the worker: %s",
                                                  s->id, strerror(-r));
                s->pending = sd_bus_message_unref(s->pending);
        }
        s->busy = false;
        close_target_fds(s);
        set_remove(s);
}

int set_start_commit(Set *s) {
        Manager *m = s->manager;
        Worker *w = NULL;
        char desc[64];
        int r;

        /* The daemon's own handles on what will be frozen, to thaw if the worker cannot. */
        if (s->n_targets > 0) {
                s->target_fds = calloc(s->n_targets, sizeof(int));
                if (!s->target_fds)
                        return -ENOMEM;
                for (size_t i = 0; i < s->n_targets; i++) {
                        /* Only the mount planned; if it changed, the worker fails the set. */
                        s->target_fds[i] = -1;
                        r = freeze_target_open(&s->targets[i], &s->target_fds[i]);
                        if (r < 0)
                                log_warning_errno(r, "Set %s: %s is not the mount planned any more: %m",
                                                  s->id, s->targets[i].mount_point);
                }
        }

        snprintf(desc, sizeof desc, "commit-set-%s", s->id);
        r = worker_spawn(m->event, desc, m->commit_timeout + (s->n_targets ? m->hold_timeout : 0),
                         worker_commit, s, on_commit_done, &w);
        if (r < 0)
                return r;
        s->worker_pid = worker_pid(w);
        s->commit_worker = w;
        worker_set_exited_callback(w, on_commit_worker_exited);
        m->committing = s;

        if (s->n_targets > 0) {
                /* The worker thaws by itself at hold_timeout after its first
                 * FIFREEZE; this fires only if it cannot (stopped, stuck). */
                r = sd_event_add_time_relative(m->event, &s->hold_watchdog, CLOCK_MONOTONIC,
                                               m->freeze_settle + m->hold_timeout + HOLD_WATCHDOG_GRACE_USEC, 0,
                                               on_hold_watchdog, s);
                if (r < 0) {
                        (void) kill(s->worker_pid, SIGKILL);
                        return r;
                }
                m->holding = true;
                log_hold();
        }
        return 0;
}

void manager_commit_next(Manager *m) {
        /* A removal still running could finish inside a hold and write the
         * catalog there: commits wait for removals. */
        while (!m->committing && m->n_removing == 0 && m->commit_queue) {
                Set *s = LIST_POP(queue, m->commit_queue, m->commit_queue_tail);
                s->turn_started = now_usec(CLOCK_MONOTONIC);
                if (s->n_writers > 0) {
                        /* Writers freeze first; the commit follows. */
                        m->committing = s;
                        (void) set_writers_freeze(s);
                        continue;
                }
                int r = set_start_commit(s);
                if (r < 0)
                        set_commit_failed_to_start(s, r);
        }
}


void set_queue_commit(Set *s) {
        Manager *m = s->manager;

        /* Busy from now on: it waits for its turn, then commits. */
        s->busy = true;
        LIST_APPEND(queue, m->commit_queue, m->commit_queue_tail, s);
        log_debug("Set %s: %zu volume(s), %zu file system(s) to hold; queued.", s->id, s->n_volumes, s->n_targets);
        manager_commit_next(m);
}

void set_commit_release(Set *s) {
        set_unqueue(s);
        sd_event_source_disable_unref(s->hold_watchdog);
        s->hold_watchdog = NULL;
        if (s->commit_worker) {
                if (s->thaw_on_exit)
                        thaw_all(s, "the set is dropped before its worker is gone");
                /* Gone before its worker: the worker must not call back into it. */
                worker_set_exited_callback(s->commit_worker, NULL);
                worker_set_userdata(s->commit_worker, NULL);
                s->commit_worker = NULL;
        }
        close_target_fds(s);
        free(s->commit_data);
        s->commit_data = NULL;
        freeze_targets_free(s->targets, s->n_targets);
        s->targets = NULL;
        s->n_targets = 0;
}
