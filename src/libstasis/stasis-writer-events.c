/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-writer-events.c - the org.stasis1.Writer object: stasisd's calls as events, and the freeze window */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-errors.h"
#include "stasis-writer-internal.h"
#include "strv.h"

/* ---- The freeze window ---- */

static void auto_thaw_forget(StasisWriter *w) {
        free(w->auto_thawed_set);
        free(w->auto_thaw_reason);
        w->auto_thawed_set = w->auto_thaw_reason = NULL;
}

void writer_freeze_state_clear(StasisWriter *w) {
        w->thaw_timer = sd_event_source_disable_unref(w->thaw_timer);
        free(w->frozen_set);
        w->frozen_set = NULL;
        auto_thaw_forget(w);
}

/* Raises a Thaw that no call asked for: before an Abort, or by itself. */
static void raise_thaw(StasisWriter *w, const char *set, const char *reason, bool auto_thaw) {
        _cleanup_event_unref_ StasisEvent *e = NULL;

        if (event_new(w, STASIS_EVENT_THAW, &e) < 0)
                return;
        e->set_id = strdup(set);
        e->reason = strdup(reason);
        e->auto_thaw = auto_thaw;
        if (!e->set_id || !e->reason)
                return; /* out of memory: the thaw cannot be raised */
        (void) event_dispatch(e, NULL);
}

/* Ends the freeze: the writer is no longer frozen for any set. */
static char *freeze_end(StasisWriter *w) {
        w->thaw_timer = sd_event_source_disable_unref(w->thaw_timer);
        return TAKE_PTR(w->frozen_set);
}

static void auto_thaw(StasisWriter *w, const char *reason) {
        _cleanup_(stasis_writer_unrefp) StasisWriter *ref = stasis_writer_ref(w);
        _cleanup_free_ char *set = freeze_end(w);

        auto_thaw_forget(w);
        w->auto_thawed_set = strdup(set);
        w->auto_thaw_reason = strdup(reason);
        raise_thaw(w, set, reason, true);
}

static int on_thaw_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        StasisWriter *w = userdata;
        char reason[128];

        snprintf(reason, sizeof reason, "the freeze window of %" PRIu64 " ms passed without Thaw",
                 w->freeze_window_usec / USEC_PER_MSEC);
        auto_thaw(w, reason);
        return 0;
}

/* A writer that fails Freeze has undone what it paused (as after any failed
 * event), and stasisd sends it no Thaw: it is not frozen. */
void writer_freeze_failed(StasisWriter *w, const char *set) {
        if (w->frozen_set && streq(w->frozen_set, set))
                free(freeze_end(w));
}

void writer_coordinator_gone(StasisWriter *w, const char *reason) {
        if (w->frozen_set)
                auto_thaw(w, reason);
}

/* The freeze starts when the call arrives and lasts the window stasisd
 * gives, but never longer than the writer's own freeze timeout. */
static int freeze_begin(StasisWriter *w, const char *set, uint64_t window_usec, sd_bus_error *error) {
        usec_t window = MIN(window_usec, w->meta->freeze_timeout_usec);
        int r;

        if (w->frozen_set)
                return sd_bus_error_set_errnof(error, EBUSY, "Frozen for set %s already", w->frozen_set);
        w->frozen_set = strdup(set);
        if (!w->frozen_set)
                return -ENOMEM;
        w->freeze_window_usec = window;
        r = sd_event_add_time_relative(w->client.event, &w->thaw_timer, CLOCK_MONOTONIC, window, USEC_PER_MSEC,
                                       on_thaw_timer, w);
        if (r >= 0)
                r = sd_event_source_set_priority(w->thaw_timer, w->client.priority);
        if (r < 0) {
                free(freeze_end(w));
                return r;
        }
        return 0;
}

/* ---- Reading the calls ---- */

/* Only stasisd, the owner of org.stasis1, may send events. (The bus policy
 * also lets only root call this interface, so the methods need no further
 * privilege check by sd-bus.) */
static int check_caller(StasisWriter *w, sd_bus_message *m, sd_bus_error *error) {
        const char *sender = sd_bus_message_get_sender(m);

        if (!sender || !w->coordinator || !streq(sender, w->coordinator))
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "Only the owner of %s may call %s methods, not %s",
                                         STASIS_BUS_NAME, STASIS_WRITER_INTERFACE, strna(sender));
        return 0;
}

/* The checked caller's event, with the set id read (all but Identify). */
static int event_for_call(StasisWriter *w, sd_bus_message *m, StasisWriterEvent type, StasisEvent **ret,
                          sd_bus_error *error) {
        _cleanup_event_unref_ StasisEvent *e = NULL;
        const char *set;
        int r;

        r = check_caller(w, m, error);
        if (r < 0)
                return r;
        r = event_new(w, type, &e);
        if (r < 0)
                return r;
        if (type != STASIS_EVENT_IDENTIFY) {
                r = sd_bus_message_read(m, "s", &set);
                if (r < 0)
                        return r;
                if (isempty(set))
                        return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "The set id is empty");
                e->set_id = strdup(set);
                if (!e->set_id)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(e);
        return 0;
}

static int read_components(sd_bus_message *m, StasisEvent *e, sd_bus_error *error) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        r = sd_bus_message_read_strv(m, &l);
        if (r < 0)
                return r;
        if (strv_length(l) > WRITER_EVENT_ITEMS_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "%zu components; at most %d",
                                         strv_length(l), WRITER_EVENT_ITEMS_MAX);
        if (!l) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        strv_free(e->components);
        e->components = TAKE_PTR(l);
        return 0;
}

/* Options stasisd does not define yet are skipped: a newer stasisd may send more. */
static int read_options(sd_bus_message *m, StasisEvent *e, sd_bus_error *error) {
        const char *key;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                r = sd_bus_message_read(m, "s", &key);
                if (r >= 0 && e->type == STASIS_EVENT_PREPARE_SNAPSHOT && streq(key, "crash-atomic")) {
                        int b;
                        if (sd_bus_message_read(m, "v", "b", &b) < 0)
                                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS,
                                                        "Option 'crash-atomic' must be a boolean");
                        e->crash_atomic = b;
                } else if (r >= 0 && e->type == STASIS_EVENT_PREPARE_SNAPSHOT && streq(key, "paths")) {
                        r = writer_read_paths(e->writer, e->set_id, m);
                        if (r == -ENOMEM)
                                return r;
                        if (r < 0)
                                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS,
                                                        "Option 'paths' must be a(sus)");
                } else if (r >= 0)
                        r = sd_bus_message_skip(m, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        return r;
}

static int read_snapshots(sd_bus_message *m, StasisEvent *e, sd_bus_error *error) {
        const char *source, *snapshot;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "(ss)");
        while (r >= 0 && (r = sd_bus_message_read(m, "(ss)", &source, &snapshot)) > 0) {
                SnapshotPair *l;

                if (e->n_snapshots >= WRITER_EVENT_ITEMS_MAX)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "More than %d snapshots",
                                                 WRITER_EVENT_ITEMS_MAX);
                l = realloc(e->snapshots, sizeof(SnapshotPair) * (e->n_snapshots + 1));
                if (!l)
                        return -ENOMEM;
                e->snapshots = l;
                l[e->n_snapshots] = (SnapshotPair) { strdup(source), strdup(snapshot) };
                if (!l[e->n_snapshots].source || !l[e->n_snapshots].snapshot) {
                        free(l[e->n_snapshots].source);
                        free(l[e->n_snapshots].snapshot);
                        return -ENOMEM;
                }
                e->n_snapshots++;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        return r;
}

static int read_results(sd_bus_message *m, StasisEvent *e, sd_bus_error *error) {
        const char *component;
        size_t n = 0;
        int ok, r;

        r = sd_bus_message_enter_container(m, 'a', "(sb)");
        while (r >= 0 && (r = sd_bus_message_read(m, "(sb)", &component, &ok)) > 0) {
                int *l;

                if (n >= WRITER_EVENT_ITEMS_MAX)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "More than %d results",
                                                 WRITER_EVENT_ITEMS_MAX);
                if (strv_extend(&e->components, component) < 0)
                        return -ENOMEM;
                l = realloc(e->succeeded, sizeof(int) * (n + 1));
                if (!l)
                        return -ENOMEM;
                e->succeeded = l;
                l[n++] = ok;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        return r;
}

/* ---- The methods ---- */

static int method_identify(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_event_unref_ StasisEvent *e = NULL;
        int r = event_for_call(userdata, m, STASIS_EVENT_IDENTIFY, &e, error);
        if (r < 0)
                return r;
        return event_dispatch(e, m);
}

/* PrepareBackup, PrepareSnapshot, PreRestore: (s set, as components, a{sv} options). */
static int method_with_components(sd_bus_message *m, void *userdata, StasisWriterEvent type, sd_bus_error *error) {
        _cleanup_event_unref_ StasisEvent *e = NULL;
        int r;

        r = event_for_call(userdata, m, type, &e, error);
        if (r >= 0 && type == STASIS_EVENT_PREPARE_SNAPSHOT)
                e->crash_atomic = 0;
        if (r >= 0)
                r = read_components(m, e, error);
        if (r >= 0)
                r = read_options(m, e, error);
        if (r < 0)
                return r;
        return event_dispatch(e, m);
}

static int method_prepare_backup(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return method_with_components(m, userdata, STASIS_EVENT_PREPARE_BACKUP, error);
}

static int method_prepare_snapshot(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return method_with_components(m, userdata, STASIS_EVENT_PREPARE_SNAPSHOT, error);
}

static int method_pre_restore(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return method_with_components(m, userdata, STASIS_EVENT_PRE_RESTORE, error);
}

static int method_post_restore(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_event_unref_ StasisEvent *e = NULL;
        int ok, r;

        r = event_for_call(userdata, m, STASIS_EVENT_POST_RESTORE, &e, error);
        if (r >= 0)
                r = read_components(m, e, error);
        if (r >= 0)
                r = sd_bus_message_read(m, "b", &ok);
        if (r >= 0)
                r = read_options(m, e, error);
        if (r < 0)
                return r;
        e->succeeded = malloc(sizeof(int));
        if (!e->succeeded)
                return -ENOMEM;
        e->succeeded[0] = ok;
        return event_dispatch(e, m);
}

int writer_dispatch_freeze(StasisEvent *e, sd_bus_message *m, uint64_t window, sd_bus_error *error) {
        int r;

        if (window == 0)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "The freeze window is 0");
        e->window_usec = window;
        /* Frozen from now on: the window runs from the call, and a handler
         * that never answers still gets its Thaw (from stasisd, with Abort,
         * or from the timer). An error answer ends it: writer_freeze_failed(). */
        r = freeze_begin(e->writer, e->set_id, window, error);
        if (r < 0)
                return r;
        return event_dispatch(e, m);
}

static int method_freeze(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_event_unref_ StasisEvent *e = NULL;
        StasisWriter *w = userdata;
        uint64_t window;
        int r;

        r = event_for_call(w, m, STASIS_EVENT_FREEZE, &e, error);
        if (r >= 0)
                r = sd_bus_message_read(m, "t", &window);
        if (r < 0)
                return r;
        return writer_dispatch_freeze(e, m, window, error);
}

/* Thaw for the set the writer is frozen for: the handler runs. For the set
 * it thawed by itself: org.stasis1.Error.Timeout, and the handler is not
 * run again. While frozen for another set: an error. When not frozen at all
 * (a Thaw after a Freeze that failed before it reached the writer, say):
 * the handler runs; resuming what is not paused is harmless. */
static int method_thaw(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_event_unref_ StasisEvent *e = NULL;
        StasisWriter *w = userdata;
        int r;

        r = event_for_call(w, m, STASIS_EVENT_THAW, &e, error);
        if (r < 0)
                return r;
        return writer_dispatch_thaw(e, m, error);
}

int writer_dispatch_thaw(StasisEvent *e, sd_bus_message *m, sd_bus_error *error) {
        StasisWriter *w = e->writer;
        int r;

        if (w->frozen_set && streq(w->frozen_set, e->set_id))
                free(freeze_end(w));
        else if (w->auto_thawed_set && streq(w->auto_thawed_set, e->set_id)) {
                r = sd_bus_error_setf(error, STASIS_ERROR_TIMEOUT, "thawed by itself: %s",
                                      strna(w->auto_thaw_reason));
                auto_thaw_forget(w);
                return r;
        } else if (w->frozen_set)
                return sd_bus_error_set_errnof(error, EBUSY, "Frozen for set %s, not for set %s",
                                               w->frozen_set, e->set_id);
        return event_dispatch(e, m);
}

static int method_post_snapshot(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_event_unref_ StasisEvent *e = NULL;
        int r;

        r = event_for_call(userdata, m, STASIS_EVENT_POST_SNAPSHOT, &e, error);
        if (r >= 0)
                r = read_snapshots(m, e, error);
        if (r < 0)
                return r;
        e->paths = writer_take_paths(e->writer, e->set_id);
        return event_dispatch(e, m);
}

static int method_backup_complete(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_event_unref_ StasisEvent *e = NULL;
        int r;

        r = event_for_call(userdata, m, STASIS_EVENT_BACKUP_COMPLETE, &e, error);
        if (r >= 0)
                r = read_results(m, e, error);
        if (r < 0)
                return r;
        return event_dispatch(e, m);
}

/* Abort while frozen for the set: the thaw handler runs first (not as an
 * auto-thaw; the reason is the abort's), then the abort handler. */
static int method_abort(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_event_unref_ StasisEvent *e = NULL;
        StasisWriter *w = userdata;
        const char *reason;
        int r;

        r = event_for_call(w, m, STASIS_EVENT_ABORT, &e, error);
        if (r >= 0)
                r = sd_bus_message_read(m, "s", &reason);
        if (r < 0)
                return r;
        e->reason = strdup(reason);
        if (!e->reason)
                return -ENOMEM;
        path_snapshots_free(writer_take_paths(w, e->set_id));
        if (w->auto_thawed_set && streq(w->auto_thawed_set, e->set_id)) {
                auto_thaw_forget(w);
        }
        if (w->frozen_set && streq(w->frozen_set, e->set_id)) {
                _cleanup_free_ char *set = freeze_end(w);
                raise_thaw(w, set, reason, false);
        }
        return event_dispatch(e, m);
}

/* One-way: stasisd expects no answer (the library sends none). */
static int method_set_deleted(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_event_unref_ StasisEvent *e = NULL;
        StasisWriter *w = userdata;
        int r;

        r = event_for_call(w, m, STASIS_EVENT_SET_DELETED, &e, error);
        if (r < 0)
                return r;
        path_snapshots_free(writer_take_paths(w, e->set_id));
        return event_dispatch(e, m);
}

/* Methods are SD_BUS_VTABLE_UNPRIVILEGED: check_caller() decides. */
const sd_bus_vtable writer_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("Identify", SD_BUS_NO_ARGS, SD_BUS_RESULT("s", metadata),
                                method_identify, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("PrepareBackup", SD_BUS_ARGS("s", set, "as", components, "a{sv}", options),
                                SD_BUS_NO_RESULT, method_prepare_backup, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("PrepareSnapshot", SD_BUS_ARGS("s", set, "as", components, "a{sv}", options),
                                SD_BUS_NO_RESULT, method_prepare_snapshot, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Freeze", SD_BUS_ARGS("s", set, "t", window_usec),
                                SD_BUS_NO_RESULT, method_freeze, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Thaw", SD_BUS_ARGS("s", set),
                                SD_BUS_NO_RESULT, method_thaw, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("PostSnapshot", SD_BUS_ARGS("s", set, "a(ss)", snapshots),
                                SD_BUS_RESULT("a(sss)", values, "a(ssayu)", files), method_post_snapshot, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("BackupComplete", SD_BUS_ARGS("s", set, "a(sb)", results),
                                SD_BUS_RESULT("a(sss)", values, "a(ssayu)", files), method_backup_complete, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Abort", SD_BUS_ARGS("s", set, "s", reason),
                                SD_BUS_NO_RESULT, method_abort, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("PreRestore", SD_BUS_ARGS("s", set, "as", components, "a{sv}", options),
                                SD_BUS_NO_RESULT, method_pre_restore, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("PostRestore",
                                SD_BUS_ARGS("s", set, "as", components, "b", succeeded, "a{sv}", options),
                                SD_BUS_NO_RESULT, method_post_restore, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetDeleted", SD_BUS_ARGS("s", set), SD_BUS_NO_RESULT, method_set_deleted,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};
