/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set.c - one snapshot set: its volumes, its state and its life from create to delete */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-errors.h"
#include "log.h"
#include "macro.h"
#include "stasis/stasis.h"
#include "stasisd-commit.h"
#include "stasisd-set.h"
#include "stasisd-worker.h"

static const char *const set_state_table[_SET_STATE_MAX] = {
        [SET_CREATING] = "creating",
        [SET_CREATED]  = "created",
        [SET_MISSING]  = "missing",
        [SET_DELETING] = "deleting",
};

const char *set_state_to_string(SetState s) {
        return s >= 0 && s < _SET_STATE_MAX ? set_state_table[s] : NULL;
}

SetState set_state_from_string(const char *s) {
        for (int i = 0; i < _SET_STATE_MAX; i++)
                if (streq(set_state_table[i], s))
                        return (SetState) i;
        return _SET_STATE_INVALID;
}

static void set_link(Manager *m, Set *s) {
        s->manager = m;
        s->prev = m->sets_tail;
        if (m->sets_tail)
                m->sets_tail->next = s;
        else
                m->sets = s;
        m->sets_tail = s;
        m->n_sets++;
}

static void set_unlink(Set *s) {
        Manager *m = s->manager;
        if (!m)
                return;
        if (s->prev)
                s->prev->next = s->next;
        else
                m->sets = s->next;
        if (s->next)
                s->next->prev = s->prev;
        else
                m->sets_tail = s->prev;
        m->n_sets--;
        s->manager = NULL;
}

static void close_target_fds(Set *s) {
        for (size_t i = 0; s->target_fds && i < s->n_targets; i++)
                safe_close(s->target_fds[i]);
        free(s->target_fds);
        s->target_fds = NULL;
}

static void thaw_all(Set *s, const char *why);

static void set_unqueue(Set *s) {
        Manager *m = s->manager;
        Set *prev = NULL;

        if (!m)
                return;
        if (m->committing == s)
                m->committing = NULL;
        for (Set *i = m->commit_queue; i; prev = i, i = i->queue_next)
                if (i == s) {
                        if (prev)
                                prev->queue_next = s->queue_next;
                        else
                                m->commit_queue = s->queue_next;
                        if (m->commit_queue_tail == s)
                                m->commit_queue_tail = prev;
                        break;
                }
        s->queue_next = NULL;
}

Set *set_free(Set *s) {
        if (!s)
                return NULL;
        set_unqueue(s);
        set_unlink(s);
        sd_bus_track_unref(s->track);
        sd_bus_message_unref(s->pending);
        sd_event_source_disable_unref(s->retry);
        sd_event_source_disable_unref(s->hold_watchdog);
        if (s->commit_worker) {
                if (s->thaw_on_exit)
                        thaw_all(s, "the set is dropped before its worker is gone");
                /* Gone before its worker: the worker must not call back into it. */
                worker_set_exited_callback(s->commit_worker, NULL);
                worker_set_userdata(s->commit_worker, NULL);
        }
        close_target_fds(s);
        free(s->commit_data);
        freeze_targets_free(s->targets, s->n_targets);
        for (size_t i = 0; i < s->n_volumes; i++)
                stasis_volume_done(&s->volumes[i]);
        free(s->volumes);
        free(s->object_path);
        free(s->label);
        free(s->consistency);
        free(s->error);
        free(s->requestor);
        free(s);
        return NULL;
}

static int set_set_id(Set *s, uint64_t id) {
        s->id_num = id;
        snprintf(s->id, sizeof s->id, "%" PRIu64, id);
        free(s->object_path);
        if (asprintf(&s->object_path, STASIS_SET_PATH_PREFIX "/%s", s->id) < 0) {
                s->object_path = NULL;
                return -ENOMEM;
        }
        return 0;
}

static void set_set_error(Set *s, const char *msg) {
        free(s->error);
        s->error = msg ? strdup(msg) : NULL;
}

/* Records the new state in the catalog; set_change_state() also tells the bus. */
static void set_record_state(Set *s, SetState state, const char *consistency) {
        int r;

        s->state = state;
        if (consistency && (!s->consistency || !streq(s->consistency, consistency))) {
                free(s->consistency);
                s->consistency = strdup(consistency);
        }
        r = catalog_update_state(s->manager->catalog, s->id_num, set_state_to_string(state), consistency);
        if (r < 0)
                log_error_errno(r, "Set %s: failed to record state %s in the catalog: %s",
                                s->id, set_state_to_string(state), catalog_last_error(s->manager->catalog));
}

static void set_change_state(Set *s, SetState state, const char *consistency) {
        set_record_state(s, state, consistency);
        set_bus_emit_changed(s);
}

/* Drops the set: from the catalog, the bus and memory. */
static void set_remove(Set *s) {
        int r = catalog_remove_set(s->manager->catalog, s->id_num);
        if (r < 0)
                log_error_errno(r, "Set %s: failed to remove it from the catalog: %s",
                                s->id, catalog_last_error(s->manager->catalog));
        (void) sd_bus_emit_object_removed(s->manager->bus, s->object_path);
        set_free(s);
}

static void set_reply_error(Set *s, const char *name, const char *what, const char *detail) {
        if (!s->pending)
                return;
        (void) sd_bus_reply_method_errorf(s->pending, name, "%s snapshot set %s failed: %s", what, s->id, detail);
        s->pending = sd_bus_message_unref(s->pending);
}

/* ---- the worker's side: runs in the child ---- */

static int worker_commit(int fd, void *userdata) {
        Set *s = userdata;
        CommitJob job = {
                .volumes = s->volumes,
                .n_volumes = s->n_volumes,
                .targets = s->targets,
                .n_targets = s->n_targets,
                .hold_timeout = s->manager->hold_timeout,
                .commit_timeout = s->manager->commit_timeout,
                .state_dir = s->manager->state_dir,
        };
        return commit_run(fd, &job);
}

static int worker_remove(int fd, void *userdata) {
        Set *s = userdata;
        return remove_run(fd, s->volumes, s->n_volumes);
}

/* ---- the daemon's side ---- */

/* Checks the worker's answer; returns the index of the first failed volume,
 * -1 if all succeeded, or -2 (with *ret_msg) if the worker itself failed. */
static ssize_t check_results(Set *s, int status, const void *data, size_t size, const char *what,
                             char *msg, size_t msg_size) {
        const StasisProviderResult *res = data;
        size_t header = streq(what, "taking the snapshots") ? sizeof(CommitHeader) : 0;

        if (status == -ETIMEDOUT) {
                snprintf(msg, msg_size, "%s did not finish within %g s; the worker was killed", what,
                         (double) (s->manager->commit_timeout + (header && s->n_targets ? s->manager->hold_timeout : 0))
                         / USEC_PER_SEC);
                return -2;
        }
        if (header && s->hold_overrun) {
                snprintf(msg, msg_size, "the hold did not end within %g s; stasisd killed the worker and thawed",
                         (double) s->manager->hold_timeout / USEC_PER_SEC);
                return -3;
        }
        if (status < 0 || size != header + sizeof(StasisProviderResult) * s->n_volumes) {
                snprintf(msg, msg_size, "the worker %s crashed or sent a malformed result (%zu bytes)",
                         what, size);
                return -2;
        }
        if (header) {
                const CommitHeader *h = data;
                s->hold_usec = h->hold_usec;
                res = (const StasisProviderResult *) ((const char *) data + header);
        }
        for (size_t i = 0; i < s->n_volumes; i++)
                if (res[i].error < 0 && res[i].error != -ECANCELED) {
                        snprintf(msg, msg_size, "%.*s", (int) sizeof res[i].message, res[i].message);
                        return (ssize_t) i;
                }
        for (size_t i = 0; i < s->n_volumes; i++)
                if (res[i].error < 0) {
                        snprintf(msg, msg_size, "%.*s", (int) sizeof res[i].message, res[i].message);
                        return (ssize_t) i;
                }
        return -1;
}

static void on_remove_done(Worker *w, int status, const void *data, size_t size, void *userdata);
static void set_remove_result(Set *s, int status, const void *data, size_t size);

static int set_start_remove(Set *s) {
        char desc[64];
        snprintf(desc, sizeof desc, "remove-set-%s", s->id);
        int r = worker_spawn(s->manager->event, desc, s->manager->commit_timeout,
                             worker_remove, s, on_remove_done, NULL);
        if (r < 0)
                return r;
        s->busy = true;
        s->manager->n_removing++;
        return 0;
}

static void on_commit_worker_exited(void *userdata);

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

/* The worker is gone for good. If it did not end its hold itself (the
 * watchdog stepped in, it crashed, someone killed it), thaw what it may have
 * left frozen, then drop the journal. */
static void set_finish_commit(Set *s, int status, const void *data, size_t size, bool worker_gone);

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
                set_finish_commit(s, s->commit_status, data, s->commit_size, true);
                free(data);
        }
}

static const char *set_consistency(const Set *s) {
        if (s->n_volumes == 1)
                return "crash-atomic";
        for (size_t i = 0; i < s->n_volumes; i++)
                if (s->volumes[i].hold != STASIS_HOLD_FREEZE)
                        return "per-volume";
        return "crash-atomic";          /* all held frozen at one instant */
}

static void set_commit_result(Set *s, int status, const void *data, size_t size, bool worker_gone);

static void on_commit_done(Worker *w, int status, const void *data, size_t size, void *userdata) {
        Set *s = userdata;

        if (s->n_targets == 0) {
                set_finish_commit(s, status, data, size, false);
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

static void set_finish_commit(Set *s, int status, const void *data, size_t size, bool worker_gone) {
        Manager *m = s->manager;

        set_end_hold(s);
        s->busy = false;
        m->committing = NULL;
        set_commit_result(s, status, data, size, worker_gone);    /* may free s */
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

static void set_commit_result(Set *s, int status, const void *data, size_t size, bool worker_gone) {
        char msg[512];
        ssize_t bad;

        bad = check_results(s, status, data, size, "taking the snapshots", msg, sizeof msg);
        if (s->n_targets > 0 && bad == -1)
                log_info("Set %s: held %zu file system(s) for %.1f ms.", s->id, s->n_targets,
                         (double) s->hold_usec / USEC_PER_MSEC);
        if (bad == -1) {
                set_set_error(s, NULL);
                const char *consistency = set_consistency(s);
                /* Recorded before the reply (a crash now must not lose a set the
                 * requestor was told about); signals after it. */
                set_record_state(s, SET_CREATED, consistency);
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
         * still finish a snapshot after we looked. */
        set_change_state(s, SET_DELETING, NULL);
        if (worker_gone) {
                int r = set_delete(s, NULL, NULL);
                if (r < 0)
                        log_error_errno(r, "Set %s: failed to start removing its snapshots: %m", s->id);
                return;
        }
        s->busy = true;
        worker_set_exited_callback(s->commit_worker, on_failed_commit_exited);
}

static int on_retry(sd_event_source *es, uint64_t usec, void *userdata) {
        Set *s = userdata;
        s->retry = sd_event_source_disable_unref(s->retry);
        log_info("Set %s: retrying the removal of its snapshots.", s->id);
        (void) set_delete(s, NULL, NULL);
        return 0;
}

static void on_remove_done(Worker *w, int status, const void *data, size_t size, void *userdata) {
        Set *s = userdata;
        Manager *m = s->manager;

        s->busy = false;
        m->n_removing--;
        set_remove_result(s, status, data, size);     /* may free s */
        manager_commit_next(m);
}

static void set_remove_result(Set *s, int status, const void *data, size_t size) {
        char msg[512];
        ssize_t bad;

        bad = check_results(s, status, data, size, "removing the snapshots", msg, sizeof msg);
        if (bad == -1) {
                log_info("Set %s deleted.", s->id);
                if (s->pending)
                        (void) sd_bus_reply_method_return(s->pending, "");
                set_remove(s);
                return;
        }

        log_error("Set %s: deleting failed: %s", s->id, msg);
        set_set_error(s, msg);
        set_reply_error(s, status == -ETIMEDOUT ? STASIS_ERROR_TIMEOUT : STASIS_ERROR_PROVIDER_FAILED,
                        "Deleting", msg);
        /* It stays "deleting" (some snapshots may be gone) and stasisd retries, with
         * a growing delay, until it is gone: whoever asked wants it gone, and a
         * removal nobody asked for (failed create, auto-release, start-up
         * clean-up) has nobody else to retry it. */
        set_bus_emit_changed(s);
        s->retry_delay = s->retry_delay ? MIN(s->retry_delay * 2, SET_REMOVE_RETRY_MAX_USEC)
                                        : MAX(USEC_PER_SEC, MIN(SET_REMOVE_RETRY_USEC, s->manager->commit_timeout));
        int r = sd_event_add_time_relative(s->manager->event, &s->retry, CLOCK_MONOTONIC, s->retry_delay, 0,
                                           on_retry, s);
        if (r < 0)
                log_error_errno(r, "Set %s: cannot schedule a retry: %m", s->id);
        else
                log_info("Set %s: will retry the removal in %" PRIu64 " s.", s->id,
                         (s->retry_delay + USEC_PER_SEC - 1) / USEC_PER_SEC);
}

int set_delete(Set *s, sd_bus_message *msg, sd_bus_error *error) {
        int r;

        s->retry = sd_event_source_disable_unref(s->retry);
        if (s->manager->holding && !msg) {
                /* No catalog writes while file systems are frozen: after the hold. */
                s->release_requested = true;
                return 1;
        }
        if (s->busy)
                return sd_bus_error_setf(error, STASIS_ERROR_BUSY,
                                         "Snapshot set %s is busy (%s); try again when that ends",
                                         s->id, set_state_to_string(s->state));
        if (s->state != SET_DELETING)
                set_change_state(s, SET_DELETING, NULL);
        r = set_start_remove(s);
        if (r < 0) {
                log_error_errno(r, "Set %s: failed to start removing its snapshots: %m", s->id);
                return sd_bus_error_set_errnof(error, r, "Failed to start deleting set %s: %m", s->id);
        }
        if (msg)
                s->pending = sd_bus_message_ref(msg);
        return 1;
}

static int on_track_gone(sd_bus_track *t, void *userdata) {
        Set *s = userdata;

        s->track = sd_bus_track_unref(s->track);
        if (s->busy || s->manager->holding) {
                s->release_requested = true;
                return 0;
        }
        log_info("Set %s: its requestor %s left; releasing it.", s->id, strna(s->requestor));
        (void) set_delete(s, NULL, NULL);
        return 0;
}

static int prepare_volumes(CatalogSet *cs, void *userdata) {
        Set *s = userdata;
        int r = set_set_id(s, cs->id);
        if (r < 0)
                return r;
        for (size_t i = 0; i < s->n_volumes; i++) {
                StasisProviderResult res = {};
                r = s->volumes[i].provider->prepare(s->volumes[i].provider, &s->volumes[i], s->id, i, &res);
                if (r < 0)
                        return r;
        }
        return 0;
}

static unsigned count_sets_of(Manager *m, const char *requestor) {
        unsigned n = 0;
        for (Set *i = m->sets; i; i = i->next)
                if (!i->persistent && i->requestor && streq(i->requestor, requestor))
                        n++;
        return n;
}

static void set_commit_failed_to_start(Set *s, int r) {
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

static int set_start_commit(Set *s) {
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
                        s->target_fds[i] = open(s->targets[i].mount_point, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY);
                        if (s->target_fds[i] < 0)
                                return log_error_errno(errno, "Set %s: cannot open %s: %m",
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
                                               m->hold_timeout + HOLD_WATCHDOG_GRACE_USEC, 0, on_hold_watchdog, s);
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
                Set *s = m->commit_queue;
                m->commit_queue = s->queue_next;
                if (!m->commit_queue)
                        m->commit_queue_tail = NULL;
                s->queue_next = NULL;
                int r = set_start_commit(s);
                if (r < 0)
                        set_commit_failed_to_start(s, r);
        }
}

int set_create(Manager *m, sd_bus_message *msg, StasisVolume *volumes, size_t n_volumes,
               const char *label, bool persistent, uid_t owner_uid, sd_bus_error *error) {
        const char *sender = sd_bus_message_get_sender(msg);
        Set *s;
        int r;

        if (m->n_sets >= MANAGER_SETS_MAX)
                return sd_bus_error_setf(error, STASIS_ERROR_LIMIT_EXCEEDED,
                                         "There are already %u snapshot sets, the most stasisd keeps; delete some",
                                         m->n_sets);
        if (!persistent && sender && count_sets_of(m, sender) >= MANAGER_SETS_PER_CLIENT_MAX)
                return sd_bus_error_setf(error, STASIS_ERROR_LIMIT_EXCEEDED,
                                         "This connection already holds %d auto-release sets, the most allowed",
                                         MANAGER_SETS_PER_CLIENT_MAX);

        s = calloc(1, sizeof(Set));
        if (!s)
                return -ENOMEM;
        s->volumes = volumes;
        s->n_volumes = n_volumes;
        s->created = now_usec(CLOCK_REALTIME);
        s->persistent = persistent;
        s->owner_uid = owner_uid;
        s->state = SET_CREATING;
        s->label = strdup(strempty(label));
        s->requestor = sender ? strdup(sender) : NULL;
        if (!s->label || (sender && !s->requestor)) {
                s->volumes = NULL;
                set_free(s);
                return -ENOMEM;
        }

        CatalogSet cs = {
                .created = s->created,
                .label = s->label,
                .persistent = persistent,
                .owner_uid = owner_uid,
                .state = (char *) set_state_to_string(SET_CREATING),
                .volumes = volumes,
                .n_volumes = n_volumes,
        };
        r = catalog_add_set(m->catalog, &cs, prepare_volumes, s);
        if (r < 0) {
                log_error_errno(r, "Failed to record a new set in the catalog: %s", catalog_last_error(m->catalog));
                s->volumes = NULL;     /* still the caller's */
                set_free(s);
                return sd_bus_error_set_errnof(error, r, "Failed to record the set in the catalog: %m");
        }
        set_link(m, s);

        if (!persistent) {
                r = sd_bus_track_new(m->bus, &s->track, on_track_gone, s);
                if (r >= 0)
                        r = sd_bus_track_add_sender(s->track, msg);
                if (r < 0)
                        goto fail;
        }

        {
                char err[256] = "";
                ssize_t vt[MANAGER_VOLUMES_PER_SET_MAX];
                r = freeze_plan(volumes, n_volumes, &s->targets, &s->n_targets, vt, err, sizeof err);
                if (r < 0) {
                        log_error("Set %s: %s", s->id, err);
                        s->volumes = NULL;
                        s->n_volumes = 0;
                        (void) catalog_remove_set(m->catalog, s->id_num);
                        set_free(s);
                        return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT, "Cannot plan the freeze: %s", err);
                }
        }

        /* Busy from now on: it waits for its turn, then commits. */
        s->busy = true;
        s->pending = sd_bus_message_ref(msg);
        if (m->commit_queue_tail)
                m->commit_queue_tail->queue_next = s;
        else
                m->commit_queue = s;
        m->commit_queue_tail = s;
        (void) sd_bus_emit_object_added(m->bus, s->object_path);
        log_debug("Set %s: %zu volume(s), %zu file system(s) to hold; queued.", s->id, n_volumes, s->n_targets);
        manager_commit_next(m);
        return 1;

fail:
        log_error_errno(r, "Set %s: failed to start: %m", s->id);
        s->volumes = NULL;
        s->n_volumes = 0;
        (void) catalog_remove_set(m->catalog, s->id_num);
        set_free(s);
        return sd_bus_error_set_errnof(error, r, "Failed to start the snapshot set: %m");
}

int set_load(Manager *m, CatalogSet *cs, Set **ret) {
        Set *s = calloc(1, sizeof(Set));
        if (!s)
                return -ENOMEM;
        s->created = cs->created;
        s->persistent = cs->persistent;
        s->owner_uid = cs->owner_uid;
        s->state = set_state_from_string(cs->state);
        if (s->state == _SET_STATE_INVALID) {
                log_warning("Set %" PRIu64 " has unknown state '%s' in the catalog; treating it as half made.",
                            cs->id, cs->state);
                s->state = SET_CREATING;
        }
        s->label = TAKE_PTR(cs->label);
        s->consistency = isempty(cs->consistency) ? NULL : TAKE_PTR(cs->consistency);
        s->volumes = TAKE_PTR(cs->volumes);
        s->n_volumes = cs->n_volumes;
        cs->n_volumes = 0;
        if (set_set_id(s, cs->id) < 0) {
                set_free(s);
                return -ENOMEM;
        }
        set_link(m, s);
        *ret = s;
        return 0;
}

void set_reconcile(Set *s) {
        bool any_missing = false, changed = false;

        if (s->state == SET_CREATING || s->state == SET_DELETING) {
                log_warning("Set %s was left %s by a previous run; removing what it made.",
                            s->id, set_state_to_string(s->state));
                (void) set_delete(s, NULL, NULL);
                return;
        }
        if (!s->persistent) {
                log_info("Set %s was an auto-release set; its requestor's connection did not outlive "
                         "the previous run, so it is released.", s->id);
                (void) set_delete(s, NULL, NULL);
                return;
        }

        for (size_t i = 0; i < s->n_volumes; i++) {
                StasisVolume *v = &s->volumes[i];
                int e = v->provider ? v->provider->exists(v->provider, v) : -EOPNOTSUPP;
                bool missing = e == 0;

                if (e < 0)
                        log_warning_errno(e, "Set %s: cannot check snapshot %s: %m", s->id, v->handle);
                else if (missing && !v->missing)
                        log_warning("Set %s: snapshot %s of %s has vanished; the set is marked missing.",
                                    s->id, v->handle, v->source);
                else if (!missing && v->missing)
                        log_info("Set %s: snapshot %s is back.", s->id, v->handle);
                if (e >= 0 && missing != v->missing) {
                        v->missing = missing;
                        (void) catalog_update_volume_missing(s->manager->catalog, s->id_num, i, missing);
                        changed = true;
                }
                any_missing = any_missing || v->missing;
        }
        SetState want = any_missing ? SET_MISSING : SET_CREATED;
        if (want != s->state || changed)
                set_change_state(s, want, NULL);
}
