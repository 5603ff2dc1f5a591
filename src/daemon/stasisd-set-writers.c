/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set-writers.c - the writers' part of making a set: prepare, freeze by level, thaw, post-snapshot, abort */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-errors.h"
#include "echo.h"
#include "log.h"
#include "macro.h"
#include "stasisd-set-export.h"
#include "stasisd-set-metadata.h"
#include "stasisd-set-bus.h"
#include "stasisd-set-writers.h"
#include "stasisd-set.h"
#include "stasisd-writer-call.h"
#include "strv.h"

static WriterLevel level_of(const SetWriter *sw) {
        return sw->writer->meta->level;
}

/* The writer failed this set; the first reason counts. */
static void sw_fail(Set *s, SetWriter *sw, const char *message, bool retryable) {
        if (sw->failed)
                return;
        sw->failed = true;
        sw->retryable = retryable;
        free(sw->error);
        sw->error = strdup(strempty(message));
        log_warning("Set %s: writer %s %s.", s->id, sw->writer->display, strempty(message));
}

bool set_writers_check(Set *s) {
        if (!s->require_writers || s->writers_failed)
                return !!s->writers_failed;
        for (size_t i = 0; i < s->n_writers; i++) {
                SetWriter *sw = &s->writers[i];
                if (!sw->failed)
                        continue;
                if (asprintf(&s->writers_failed, "writer %s %s", sw->writer->display, sw->error) < 0)
                        s->writers_failed = NULL;
                s->writers_retryable = sw->retryable;
                return true;
        }
        return false;
}

/* ---- the arguments of each event ---- */

static int append_components(sd_bus_message *m, const SetWriter *sw) {
        return sd_bus_message_append_strv(m, sw->components);
}

static bool sw_crash_atomic(const Set *s, const SetWriter *sw) {
        if (sw->n_volumes <= 1)
                return true;
        for (size_t i = 0; i < sw->n_volumes; i++)
                if (s->volumes[sw->volumes[i]].hold != STASIS_HOLD_FREEZE)
                        return false;
        return true;
}

/* The path of path inside the snapshot of vol, or NULL if vol does not hold it. */
static const char *path_in_volume(const StasisVolume *vol, const char *path) {
        const char *view = stasis_volume_view_path(vol), *rest;

        if (!view)
                return NULL;
        if (streq(view, "/"))
                return path + 1;
        rest = startswith(path, view);
        if (!rest || (*rest != 0 && *rest != '/'))
                return NULL;
        return *rest == '/' ? rest + 1 : rest;
}

/* Option "paths" of PrepareSnapshot, a(sus): for each path of the writer's
 * components in the set, the index of its volume's snapshot in the
 * PostSnapshot that follows, and where it is inside that snapshot. The
 * deepest view that holds it wins (a subvolume below another). */
static int append_paths(sd_bus_message *m, const Set *s, const SetWriter *sw) {
        int r = sd_bus_message_open_container(m, 'v', "a(sus)");

        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sus)");
        for (size_t c = 0; r >= 0 && c < sw->writer->meta->n_components; c++) {
                const WriterComponent *wc = &sw->writer->meta->components[c];
                bool in_set = false;
                STRV_FOREACH(n, sw->components)
                        in_set = in_set || streq(*n, wc->name);
                if (!in_set)
                        continue;
                STRV_FOREACH(p, wc->paths) {
                        const char *best = NULL;
                        size_t best_len = 0, best_v = 0;
                        for (size_t v = 0; v < sw->n_volumes; v++) {
                                const StasisVolume *vol = &s->volumes[sw->volumes[v]];
                                const char *rel = path_in_volume(vol, *p);
                                size_t len = rel ? strlen(stasis_volume_view_path(vol)) : 0;
                                if (rel && (!best || len > best_len)) {
                                        best = rel;
                                        best_len = len;
                                        best_v = v;
                                }
                        }
                        if (best && r >= 0)
                                r = sd_bus_message_append(m, "(sus)", *p, (uint32_t) best_v, best);
                }
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

static int append_set_event(sd_bus_message *m, WriterBatch *b, size_t i, void *userdata) {
        Set *s = userdata;
        SetWriter *sw = &s->writers[s->batch_map[i]];
        int r = sd_bus_message_append(m, "s", s->id);
        if (r < 0)
                return r;

        switch (b->event) {
        case STASIS_EVENT_PREPARE_BACKUP:
                r = append_components(m, sw);
                if (r >= 0)
                        r = sd_bus_message_append(m, "a{sv}", 1, "label", "s", strempty(s->label));
                return r;
        case STASIS_EVENT_PREPARE_SNAPSHOT:
                r = append_components(m, sw);
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'a', "{sv}");
                if (r >= 0)
                        r = sd_bus_message_append(m, "{sv}", "crash-atomic", "b", sw_crash_atomic(s, sw));
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'e', "sv");
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", "paths");
                if (r >= 0)
                        r = append_paths(m, s, sw);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                return r;
        case STASIS_EVENT_FREEZE: {
                usec_t now = now_usec(CLOCK_MONOTONIC);
                return sd_bus_message_append(m, "t", s->freeze_deadline > now ? s->freeze_deadline - now : 0);
        }
        case STASIS_EVENT_POST_SNAPSHOT:
                r = sd_bus_message_open_container(m, 'a', "(ss)");
                for (size_t v = 0; r >= 0 && v < sw->n_volumes; v++) {
                        const StasisVolume *vol = &s->volumes[sw->volumes[v]];
                        r = sd_bus_message_append(m, "(ss)", vol->mount_point, strempty(vol->handle));
                }
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                return r;
        default:        /* Thaw */
                return 0;
        }
}

/* Sends event to the writers pick() chooses; done() follows. */
static int set_send(Set *s, StasisWriterEvent event, bool (*pick)(const Set *s, const SetWriter *sw, int level),
                    usec_t timeout, writer_batch_done_t done) {
        _cleanup_free_ Writer **ws = calloc(MAX(s->n_writers, 1), sizeof(Writer *));
        size_t n = 0;
        int r;

        free(s->batch_map);
        s->batch_map = calloc(MAX(s->n_writers, 1), sizeof(size_t));
        if (!ws || !s->batch_map)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_writers; i++)
                if (pick(s, &s->writers[i], s->level)) {
                        s->batch_map[n] = i;
                        ws[n++] = s->writers[i].writer;
                }
        WriterBatchSpec spec = {
                .event = event,
                .set_id = s->id,
                .timeout = timeout,
                .append = append_set_event,
                .done = done,
                .userdata = s,
                .owned = true,
                .freeze_deadline = s->freeze_deadline,
        };
        r = writer_batch_start(s->manager, &spec, ws, n, &s->batch);
        if (r < 0)
                log_error_errno(r, "Set %s: cannot send %s to its writers: %m", s->id, writer_event_name(event));
        return r;
}

/* A writer whose metadata is wrong fails: a restore could not rely on it. */
static void take_metadata(Set *s, SetWriter *sw, sd_bus_message *reply) {
        char err[768], msg[1024];
        int r = set_metadata_take(s, sw->writer, sw->components, reply, false, err, sizeof err);
        if (r == -ENOMEM)
                snprintf(err, sizeof err, "out of memory");
        if (r < 0) {
                snprintf(msg, sizeof msg, "sent bad backup metadata with PostSnapshot: %s", err);
                sw_fail(s, sw, msg, false);
        }
}

/* Takes a finished batch's answers: failures fail their writers. Frees it. */
static void set_take_batch(Set *s, WriterBatch *b) {
        for (size_t i = 0; i < b->n; i++) {
                SetWriter *sw = &s->writers[s->batch_map[i]];
                const WriterReply *r = &b->replies[i];
                if (b->event == STASIS_EVENT_PREPARE_BACKUP)
                        sw->prepared = true;
                if (b->event == STASIS_EVENT_FREEZE && r->error >= 0)
                        sw->frozen = true;
                if (b->event == STASIS_EVENT_THAW)
                        sw->frozen = false;
                if (r->error < 0)
                        sw_fail(s, sw, r->message, r->retryable);
                else if (b->event == STASIS_EVENT_POST_SNAPSHOT)
                        take_metadata(s, sw, r->reply);
        }
        s->batch = writer_batch_free(s->batch);
}

static bool pick_alive(const Set *s, const SetWriter *sw, int level) {
        return !sw->failed && sw->writer->manager;
}

static bool pick_alive_level(const Set *s, const SetWriter *sw, int level) {
        return pick_alive(s, sw, level) && (int) level_of(sw) == level;
}

static bool pick_frozen_level(const Set *s, const SetWriter *sw, int level) {
        return sw->frozen && sw->writer->manager && (int) level_of(sw) == level;
}

/* ---- Abort: to writers that failed, or to all when the set fails ---- */

static void free_reason(void *p) {
        free(p);
}

static int append_abort(sd_bus_message *m, WriterBatch *b, size_t i, void *userdata) {
        return sd_bus_message_append(m, "ss", b->set_id, (const char *) b->args);
}

static void set_writers_abort(Set *s, bool all, const char *reason) {
        _cleanup_free_ Writer **ws = calloc(MAX(s->n_writers, 1), sizeof(Writer *));
        size_t n = 0;

        if (!ws)
                return;
        for (size_t i = 0; i < s->n_writers; i++) {
                SetWriter *sw = &s->writers[i];
                if (!sw->prepared || sw->aborted || !sw->writer->manager || !(all || sw->failed))
                        continue;
                sw->aborted = true;
                sw->frozen = false;
                ws[n++] = sw->writer;
        }
        if (n == 0)
                return;
        /* It outlives the set if need be: it takes its arguments along. */
        WriterBatchSpec spec = {
                .event = STASIS_EVENT_ABORT,
                .set_id = s->id,
                .timeout = s->manager->prepare_timeout,
                .append = append_abort,
                .args = strdup(strempty(reason)),
                .args_free = free_reason,
        };
        if (!spec.args || writer_batch_start(s->manager, &spec, ws, n, NULL) < 0)
                log_error("Set %s: cannot send Abort to its writers.", s->id);
}

void set_writers_abort_all(Set *s, const char *reason) {
        assert(s);

        set_writers_abort(s, true, reason);
}

void set_writers_abort_failed(Set *s) {
        assert(s);
        set_writers_abort(s, false, "the writer failed");
}

/* The components and how consistent each is, as the set records them. */
static int set_make_components(Set *s) {
        size_t n = 0, k = 0;

        for (size_t i = 0; i < s->n_writers; i++)
                n += strv_length(s->writers[i].components);
        set_components_free(s->components, s->n_components);
        s->n_components = 0;
        s->components = calloc(MAX(n, 1), sizeof(SetComponent));
        if (!s->components)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_writers; i++) {
                const SetWriter *sw = &s->writers[i];
                _cleanup_free_ char *reason = NULL;
                if (sw->failed && !(reason = set_component_reason(sw->writer->display, sw->error)))
                        return -ENOMEM;
                STRV_FOREACH(c, sw->components) {
                        SetComponent *x = &s->components[k++];
                        s->n_components = k;
                        x->writer = strdup(sw->writer->meta->writer);
                        x->instance = strdup(sw->writer->meta->instance);
                        x->component = strdup(*c);
                        x->consistency = strdup(sw->failed ? "crash-consistent" : "application");
                        x->reason = strdup(strempty(reason));
                        if (!x->writer || !x->instance || !x->component || !x->consistency || !x->reason)
                                return -ENOMEM;
                }
        }
        return 0;
}

/* ---- the steps: each ends by calling done(s) ---- */

/* The step's batch ended: on to the step's next event, or done. */
static void step_finished(Set *s) {
        set_step_done_t done = TAKE_PTR(s->step_done);
        assert(done);
        done(s);
}

static void on_prepare_snapshot_done(WriterBatch *b, void *userdata) {
        Set *s = userdata;

        set_take_batch(s, b);
        step_finished(s);
}

static void on_prepare_backup_done(WriterBatch *b, void *userdata) {
        Set *s = userdata;

        set_take_batch(s, b);
        if (set_writers_check(s)) {
                step_finished(s);
                return;
        }
        if (set_send(s, STASIS_EVENT_PREPARE_SNAPSHOT, pick_alive, s->manager->prepare_timeout,
                     on_prepare_snapshot_done) < 0) {
                s->writers_failed = strdup("cannot send PrepareSnapshot to the writers");
                step_finished(s);
        }
}

int set_writers_prepare(Set *s, set_step_done_t done) {
        assert(s);
        assert(done);
        assert(s->phase == SET_PHASE_PREPARING);
        if (set_writers_check(s))
                return -ECANCELED;
        s->step_done = done;
        return set_send(s, STASIS_EVENT_PREPARE_BACKUP, pick_alive, s->manager->prepare_timeout,
                        on_prepare_backup_done);
}

static void freeze_next_level(Set *s);

/* No snapshot is to be taken: why is in s->commit. */
static void freeze_give_up(Set *s, CommitOutcome outcome, int error) {
        s->commit = (CommitResult) { .outcome = outcome, .error = error };
        step_finished(s);
}

static void on_freeze_done(WriterBatch *b, void *userdata) {
        Set *s = userdata;

        set_take_batch(s, b);
        if (set_writers_check(s)) {
                /* Required writers failed: thaw who froze, take nothing. */
                freeze_give_up(s, COMMIT_SKIPPED, 0);
                return;
        }
        s->level++;
        freeze_next_level(s);
}

static void freeze_next_level(Set *s) {
        usec_t now = now_usec(CLOCK_MONOTONIC);
        int r;

        for (; s->level < _WRITER_LEVEL_MAX; s->level++) {
                bool any = false;
                for (size_t i = 0; i < s->n_writers && !any; i++)
                        any = pick_alive_level(s, &s->writers[i], s->level);
                if (!any)
                        continue;
                usec_t by = s->external_answer_by ? MIN(s->freeze_deadline, s->external_answer_by) : s->freeze_deadline;
                r = set_send(s, STASIS_EVENT_FREEZE, pick_alive_level, by > now ? by - now : 0, on_freeze_done);
                if (r < 0)
                        freeze_give_up(s, COMMIT_NOT_STARTED, r);
                return;
        }
        step_finished(s);               /* every level is frozen */
}

void set_writers_freeze(Set *s, set_step_done_t done) {
        Manager *m = s->manager;

        assert(done);
        assert(s->phase == SET_PHASE_FREEZING);
        s->step_done = done;
        s->freeze_window = s->external_window ? MIN(s->external_window, m->freeze_window) : m->freeze_window;
        for (size_t i = 0; i < s->n_writers; i++)
                if (pick_alive(s, &s->writers[i], 0))
                        s->freeze_window = MIN(s->freeze_window, s->writers[i].writer->meta->freeze_timeout_usec);
        s->freeze_started = now_usec(CLOCK_MONOTONIC);
        s->freeze_deadline = s->freeze_started + s->freeze_window;
        s->level = WRITER_LEVEL_FRONT_END;
        if (set_writers_check(s)) {
                /* A required writer failed (or left) while the set waited. */
                freeze_give_up(s, COMMIT_SKIPPED, 0);
                return;
        }
        freeze_next_level(s);
}

static void thaw_level(Set *s);

static void on_thaw_done(WriterBatch *b, void *userdata) {
        Set *s = userdata;

        set_take_batch(s, b);
        s->level--;
        thaw_level(s);
}

static void thaw_level(Set *s) {
        usec_t now = now_usec(CLOCK_MONOTONIC);

        for (; s->level >= 0; s->level--) {
                bool any = false;
                for (size_t i = 0; i < s->n_writers && !any; i++)
                        any = pick_frozen_level(s, &s->writers[i], s->level);
                if (!any)
                        continue;
                usec_t left = s->freeze_deadline > now ? s->freeze_deadline - now : 0;
                if (set_send(s, STASIS_EVENT_THAW, pick_frozen_level, MAX(left, USEC_PER_SEC), on_thaw_done) >= 0)
                        return;
                /* Could not even send it: their own freeze window thaws them. */
                for (size_t i = 0; i < s->n_writers; i++)
                        if (pick_frozen_level(s, &s->writers[i], s->level)) {
                                s->writers[i].frozen = false;
                                sw_fail(s, &s->writers[i], "could not be sent Thaw", false);
                        }
        }
        s->window_usec = now - s->turn_started;
        step_finished(s);
}

void set_writers_thaw(Set *s, set_step_done_t done) {
        assert(done);
        assert(s->phase == SET_PHASE_THAWING);
        s->step_done = done;
        s->level = _WRITER_LEVEL_MAX - 1;
        thaw_level(s);
}

void set_writers_check_window(Set *s) {
        usec_t now = now_usec(CLOCK_MONOTONIC);

        assert(s);
        if (now <= s->freeze_deadline)
                return;
        for (size_t i = 0; i < s->n_writers; i++) {
                char msg[256];
                snprintf(msg, sizeof msg, "stayed frozen past its freeze window (%.3g s): the snapshots "
                         "took too long (retryable)", (double) s->freeze_window / USEC_PER_SEC);
                if (s->writers[i].frozen)
                        sw_fail(s, &s->writers[i], msg, true);
        }
}

static void on_post_snapshot_done(WriterBatch *b, void *userdata) {
        Set *s = userdata;

        set_take_batch(s, b);
        step_finished(s);
}

int set_writers_post_snapshot(Set *s, set_step_done_t done) {
        int r;

        assert(done);
        assert(s->phase == SET_PHASE_THAWING);
        r = set_send(s, STASIS_EVENT_POST_SNAPSHOT, pick_alive, s->manager->prepare_timeout, on_post_snapshot_done);
        if (r >= 0)
                s->step_done = done;
        return r;
}

void set_writers_finish(Set *s, const char *failure) {
        assert(s);

        if (failure)
                set_writers_abort(s, true, failure);
        else
                set_writers_abort(s, false, "the writer failed");
        if (set_make_components(s) < 0)
                log_oom();
}

/* ---- a writer left ---- */

void set_writer_gone(Set *s, Writer *w, const char *why) {
        assert(s);
        assert(w);
        assert(why);

        const char *ev = NULL;

        /* The event it was called for, if any: the reason names it. */
        for (size_t i = 0; s->batch && i < s->batch->n; i++)
                if (s->batch->replies[i].writer == w)
                        ev = writer_event_name(s->batch->event);
        for (size_t i = 0; i < s->n_writers; i++) {
                SetWriter *sw = &s->writers[i];
                char msg[128];
                if (sw->writer != w)
                        continue;
                snprintf(msg, sizeof msg, "%s%s%s%s", why, ev ? " during " : "", strempty(ev),
                         sw->frozen ? " while frozen" : "");
                sw->frozen = false;
                sw_fail(s, sw, msg, false);
        }
}

void set_writers_free(SetWriter *sw, size_t n) {
        for (size_t i = 0; i < n; i++) {
                writer_unref(sw[i].writer);
                strv_free(sw[i].components);
                free(sw[i].volumes);
                free(sw[i].error);
        }
        free(sw);
}

void set_writers_release(Set *s) {
        assert(s);

        s->batch = writer_batch_free(s->batch);
        set_writers_free(s->writers, s->n_writers);
        s->writers = NULL;
        s->n_writers = 0;
        s->batch_map = mfree(s->batch_map);
        s->writers_failed = mfree(s->writers_failed);
}

/* ---- BackupComplete ---- */

/* For each writer, its components as "1name" (backed up) or "0name". */
typedef struct CompleteArgs {
        size_t n;
        char ***results;
} CompleteArgs;

static void complete_args_free(void *p) {
        CompleteArgs *a = p;
        for (size_t i = 0; a && i < a->n; i++)
                strv_free(a->results[i]);
        if (a)
                free(a->results);
        free(a);
}

static int append_complete(sd_bus_message *m, WriterBatch *b, size_t i, void *userdata) {
        CompleteArgs *a = b->args;
        int r = sd_bus_message_append(m, "s", b->set_id);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sb)");
        STRV_FOREACH(c, a->results[i])
                if (r >= 0)
                        r = sd_bus_message_append(m, "(sb)", *c + 1, (*c)[0] == '1');
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

static bool component_named(const SetComponent *c, const char *name) {
        _cleanup_free_ char *full = NULL;
        if (asprintf(&full, "%s%s%s:%s", c->writer, isempty(c->instance) ? "" : "@", c->instance, c->component) < 0)
                return false;
        return streq(full, name);
}

int set_complete(Set *s, sd_bus_message *msg, char **failed, sd_bus_error *error) {
        assert(s);

        Manager *m = s->manager;
        _cleanup_free_ Writer **ws = calloc(MAX(s->n_components, 1), sizeof(Writer *));
        CompleteArgs *a = calloc(1, sizeof(CompleteArgs));
        int r;

        if (!ws || !a || !(a->results = calloc(MAX(s->n_components, 1), sizeof(char **)))) {
                complete_args_free(a);
                return -ENOMEM;
        }
        STRV_FOREACH(f, failed) {
                bool found = false;
                for (size_t i = 0; i < s->n_components && !found; i++)
                        found = component_named(&s->components[i], *f);
                if (!found) {
                        complete_args_free(a);
                        return sd_bus_error_setf(error, STASIS_ERROR_NO_SUCH_COMPONENT,
                                                 "Snapshot set %s has no component %s", s->id, ECHO(*f));
                }
        }

        /* One call per writer of the set that is registered now, for its
         * application-consistent components only: a writer must not take a
         * crash-consistent copy for a backup of its data (and, say, recycle
         * its logs). */
        for (size_t i = 0; i < s->n_components; i++) {
                const SetComponent *c = &s->components[i];
                Writer *w = manager_find_writer(m, c->writer, c->instance);
                size_t j;
                char *entry;
                if (!w || !streq(c->consistency, "application"))
                        continue;
                for (j = 0; j < a->n && ws[j] != w; j++)
                        ;
                if (j == a->n)
                        ws[a->n++] = w;
                bool ok = true;
                STRV_FOREACH(f, failed)
                        ok = ok && !component_named(c, *f);
                if (asprintf(&entry, "%c%s", ok ? '1' : '0', c->component) < 0) {
                        complete_args_free(a);
                        return -ENOMEM;
                }
                r = strv_extend(&a->results[j], entry);
                free(entry);
                if (r < 0) {
                        complete_args_free(a);
                        return r;
                }
        }

        usec_t completed = now_usec(CLOCK_REALTIME);
        r = catalog_update_completed(m->catalog, s->id_num, completed);
        if (r < 0) {
                /* Not recorded: not reported, so the requestor can try again. */
                log_error_errno(r, "Set %s: failed to record the completion: %s", s->id, catalog_last_error(m->catalog));
                complete_args_free(a);
                if (r == -ENOSPC)
                        return sd_bus_error_setf(error, STASIS_ERROR_NO_SPACE, "Cannot record the completion of "
                                                 "snapshot set %s: the file system of %s is full", s->id, m->state_dir);
                return sd_bus_error_set_errnof(error, r, "Cannot record the completion of snapshot set %s: %m", s->id);
        }
        s->completed = completed;
        log_info("Set %s: the requestor reported the backup %s; telling %zu writer(s).", s->id,
                 strv_isempty(failed) ? "done" : "partly failed", a->n);
        size_t n = a->n;
        WriterBatchSpec spec = {
                .event = STASIS_EVENT_BACKUP_COMPLETE,
                .set_id = s->id,
                .timeout = m->prepare_timeout,
                .append = append_complete,
                .done = set_metadata_backup_complete_done,
                .userdata = m,
                .args = a,
                .args_free = complete_args_free,
        };
        r = writer_batch_start(m, &spec, ws, n, NULL);
        if (r < 0)
                log_error_errno(r, "Set %s: cannot send BackupComplete: %m", s->id);
        set_bus_emit_changed(s);
        return msg ? sd_bus_reply_method_return(msg, "") : 0;
}

void set_complete_all_failed(Set *s) {
        _cleanup_strv_free_ char **failed = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

        for (size_t i = 0; i < s->n_components; i++) {
                const SetComponent *c = &s->components[i];
                _cleanup_free_ char *name = NULL;
                if (asprintf(&name, "%s%s%s:%s", c->writer, isempty(c->instance) ? "" : "@", strempty(c->instance),
                             c->component) < 0 || strv_extend(&failed, name) < 0)
                        return (void) log_oom();
        }
        int r = set_complete(s, NULL, failed, &error);
        if (r < 0)
                log_error("Set %s: cannot tell the writers the backup failed: %s", s->id,
                          error.message ?: strerror(-r));
}
