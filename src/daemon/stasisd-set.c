/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set.c - one snapshot set: its volumes, its state and its life from create to delete */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-errors.h"
#include "bus-util.h"
#include "echo.h"
#include "escape.h"
#include "log.h"
#include "macro.h"
#include "stasis/stasis.h"
#include "stasisd-clock.h"
#include "stasisd-commit.h"
#include "stasisd-set-bus.h"
#include "stasisd-set-commit.h"
#include "stasisd-set-export.h"
#include "stasisd-set-life.h"
#include "stasisd-request-id.h"
#include "stasisd-set-events.h"
#include "stasisd-retention.h"
#include "stasisd-set-open-views.h"
#include "stasisd-set-views.h"
#include "stasisd-set-writers.h"
#include "stasisd-catalog-excluded.h"
#include "stasisd-catalog-metadata.h"
#include "strv.h"
#include "stasisd-set-deleted.h"
#include "stasisd-set-metadata.h"
#include "stasisd-set.h"
#include "stasisd-worker.h"
#include "string-table.h"
#include "utf8.h"

static const char *const set_state_table[_SET_STATE_MAX] = {
        [SET_CREATING] = "creating",
        [SET_CREATED]  = "created",
        [SET_MISSING]  = "missing",
        [SET_DELETING] = "deleting",
        [SET_INVALID]  = "invalid",
        [SET_FAILED]   = "failed",
};

DEFINE_STRING_TABLE_LOOKUP(set_state, SetState, _SET_STATE_INVALID)

static void set_link(Manager *m, Set *s) {
        s->manager = m;
        LIST_APPEND(sets, m->sets, m->sets_tail, s);
        m->n_sets++;
}

static void set_unlink(Set *s) {
        Manager *m = s->manager;
        if (!m)
                return;
        LIST_REMOVE(sets, m->sets, m->sets_tail, s);
        m->n_sets--;
        s->manager = NULL;
}

Set *set_free(Set *s) {
        if (!s)
                return NULL;
        retention_set_gone(s, NULL);
        set_view_detach(s);
        set_open_views_free(s);
        set_commit_release(s);
        set_writers_release(s);
        set_components_free(s->components, s->n_components);
        set_events_free(s);
        set_metadata_forget(s);
        strv_free(s->excluded_writers);
        set_export_release(s);
        set_unlink(s);
        sd_bus_slot_unref(s->requestor_check);
        sd_bus_message_unref(s->pending);
        sd_event_source_disable_unref(s->retry);
        sd_event_source_disable_unref(s->external_timer);
        free(s->external_failed);
        if (s->external_thaw) {
                /* It never froze (its writers failed it, or stasisd stops): nothing is left to thaw. */
                (void) sd_bus_reply_method_errorf(s->external_thaw, STASIS_ERROR_WRITER_FAILED,
                                                  "External set %s ended before its writers froze; "
                                                  "nothing is frozen", s->id);
                sd_bus_message_unref(s->external_thaw);
        }
        for (size_t i = 0; i < s->n_volumes; i++)
                stasis_volume_done(&s->volumes[i]);
        free(s->volumes);
        free(s->object_path);
        free(s->label);
        free(s->request_id);
        free(s->policy);
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

/* msg may quote a provider's output: what is not UTF-8 is replaced, or the
 * Error property could not be sent, to anyone. */
void set_set_error(Set *s, const char *msg) {
        assert(s);

        _cleanup_free_ char *safe = msg ? utf8_escape_invalid(msg) : NULL;
        free(s->error);
        /* Bounded: it is among the properties of every set on the bus. */
        s->error = safe ? echo_strdup(safe, SET_ERROR_MAX) : NULL;
}

/* Records the new state in the catalog; set_change_state() also tells the bus. */
void set_record_state(Set *s, SetState state, const char *consistency) {
        assert(s);
        assert(state >= 0 && state < _SET_STATE_MAX);

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

int set_record_created(Set *s, const char *consistency) {
        assert(s);
        assert(consistency);

        int r;

        s->state = SET_CREATED;
        if (!s->consistency || !streq(s->consistency, consistency)) {
                free(s->consistency);
                s->consistency = strdup(consistency);
        }
        set_export_update(s);   /* its components made, its handles chosen */
        r = catalog_record_created(s->manager->catalog, s->id_num, set_state_to_string(SET_CREATED), consistency,
                                   s->hold_usec, s->components, s->n_components);
        if (s->expires)
                retention_arm(s->manager);      /* it may be the first to expire */
        if (r < 0) {
                log_error_errno(r, "Set %s: failed to record it in the catalog: %s",
                                s->id, catalog_last_error(s->manager->catalog));
                set_metadata_forget(s);
                return r;
        }
        s->was_created = true;
        r = catalog_add_excluded_writers(s->manager->catalog, s->id_num, s->excluded_writers);
        if (r < 0) {
                log_error_errno(r, "Set %s: failed to record the writers left out: %s", s->id,
                                catalog_last_error(s->manager->catalog));
                set_metadata_forget(s);
                return r;
        }
        /* Without its metadata a restore may be impossible: then the set is not made. */
        return set_metadata_record(s);
}

void set_change_state(Set *s, SetState state, const char *consistency) {
        set_record_state(s, state, consistency);
        set_bus_emit_changed(s);
}

void set_enter(Set *s, SetPhase to) {
        assert(s);
        if (!set_phase_transition_allowed(s->phase, to)) {
                log_error("Set %s: no move from phase %s to %s; this is a bug.", s->id,
                          strna(set_phase_to_string(s->phase)), strna(set_phase_to_string(to)));
                assert(!"illegal set phase transition");
        }
        log_debug("Set %s: %s -> %s.", s->id, set_phase_to_string(s->phase), set_phase_to_string(to));
        s->phase = to;
}

/* Drops the set: from the catalog, the bus and memory. */
void set_remove(Set *s) {
        assert(s);
        assert(s->manager);

        Manager *m = s->manager;
        int r;

        set_enter(s, SET_PHASE_REMOVED);
        r = catalog_remove_set(m->catalog, s->id_num);
        if (r < 0)
                log_error_errno(r, "Set %s: failed to remove it from the catalog: %s",
                                s->id, catalog_last_error(m->catalog));
        (void) sd_bus_emit_object_removed(m->bus, s->object_path);
        set_free(s);
        sets_export_refit(m);   /* sets left out of GetManagedObjects may fit now */
        if (m->read_only)
                (void) manager_check_room(m, NULL);     /* a removal may have made room */
}

void set_reply_error(Set *s, const char *name, const char *what, const char *detail) {
        assert(s);
        assert(name);
        assert(what);

        if (!s->pending)
                return;
        _cleanup_free_ char *safe = utf8_escape_invalid(strempty(detail));
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
        (void) sd_bus_error_setf(&e, name, "%s snapshot set %s failed: %s", what, s->id, safe ?: "(out of memory)");
        if (s->request_id && streq(what, "Creating")) {
                /* Remembered before the answer: a retry after a lost answer gets the same. */
                request_id_failed(s->manager, s->owner_uid, s->request_id, -EIO, &e);
                request_ids_answered(s->manager);
        }
        (void) sd_bus_reply_method_error(s->pending, &e);
        s->pending = sd_bus_message_unref(s->pending);
}

/* ---- the worker's side: runs in the child ---- */

static int worker_remove(int fd, void *userdata) {
        Set *s = userdata;
        return remove_run(fd, s->volumes, s->n_volumes);
}

/* ---- the daemon's side ---- */

static void on_remove_done(Worker *w, int status, const void *data, size_t size, void *userdata);
static void set_remove_result(Set *s, int status, const void *data, size_t size);

static int set_start_remove(Set *s) {
        char desc[64];
        snprintf(desc, sizeof desc, "remove-set-%s", s->id);
        int r = worker_spawn(s->manager->event, desc, s->manager->commit_timeout,
                             worker_remove, s, on_remove_done, NULL);
        if (r < 0)
                return r;
        set_enter(s, SET_PHASE_DELETING);
        s->manager->n_removing++;
        return 0;
}

/* The worker is gone for good. If it did not end its hold itself (the
 * watchdog stepped in, it crashed, someone killed it), thaw what it may have
 * left frozen, then drop the journal. */

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

        m->n_removing--;
        set_remove_result(s, status, data, size);     /* may free s */
        manager_commit_next(m);
}

static void set_remove_result(Set *s, int status, const void *data, size_t size) {
        CommitResult res;
        char msg[512];

        commit_result_parse(status, data, size, s->n_volumes, false, &res);
        if (res.outcome == COMMIT_SUCCEEDED) {
                log_info("Set %s deleted.", s->id);
                if (s->pending)
                        (void) sd_bus_reply_method_return(s->pending, "");
                if (s->was_created)
                        set_tell_writers_deleted(s);
                set_remove(s);
                return;
        }

        commit_result_describe(&res, "removing the snapshots", s->manager->commit_timeout, 0, msg, sizeof msg);
        set_enter(s, SET_PHASE_DELETE_WAITING);
        log_error("Set %s: deleting failed: %s", s->id, msg);
        set_set_error(s, msg);
        retention_set_gone(s, msg);
        set_reply_error(s, res.outcome == COMMIT_TIMED_OUT ? STASIS_ERROR_TIMEOUT : STASIS_ERROR_PROVIDER_FAILED,
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
        assert(s);
        assert(s->manager);

        int r;

        s->retry = sd_event_source_disable_unref(s->retry);
        if (s->manager->holding && !msg) {
                /* No catalog writes while file systems are frozen: after the hold. */
                s->release_requested = true;
                return 1;
        }
        if (set_phase_busy(s->phase))
                return sd_bus_error_setf(error, STASIS_ERROR_BUSY,
                                         "Snapshot set %s is busy (%s); try again when that ends",
                                         s->id, set_state_to_string(s->state));
        /* Someone asked: a mounted set stays until unmounted. A release
         * nobody asked for (auto-release, clean-up) unmounts it. */
        if (s->view && msg)
                return sd_bus_error_setf(error, STASIS_ERROR_BUSY,
                                         "Snapshot set %s is mounted at %s; unmount it first (stasis umount %s, "
                                         "or stasis delete --force)", s->id, s->view->root, s->id);
        /* ... and so is a set others hold views of (its caller's own views
         * do not keep it: it is done with them). */
        char views[512];
        if (msg && set_open_views_describe(s, sd_bus_message_get_sender(msg), views, sizeof views))
                return sd_bus_error_setf(error, STASIS_ERROR_BUSY,
                                         "Snapshot set %s has %s; delete it once they are closed (or stasis "
                                         "delete --force)", s->id, views);
        set_view_detach(s);
        s->release_after_views = false;
        set_open_views_forget(s, NULL);
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

static void set_requestor_gone(Set *s) {
        s->auto_release = false;
        s->requestor_check = sd_bus_slot_unref(s->requestor_check);
        if (set_phase_busy(s->phase) || s->manager->holding) {
                s->release_requested = true;
                return;
        }
        /* It left without reporting the backup: the writers hear it failed. */
        if (s->state == SET_CREATED && !s->completed && s->n_components > 0)
                set_complete_all_failed(s);
        /* Others still read it (its requestor's own views are gone): it
         * goes when they are done (stasisd-set-open-views.c). */
        char views[512];
        if (set_open_views_describe(s, NULL, views, sizeof views)) {
                log_info("Set %s: its requestor %s left; it is released once its %s are closed.", s->id,
                         strna(s->requestor), views);
                s->release_after_views = true;
                return;
        }
        log_info("Set %s: its requestor %s left; releasing it.", s->id, strna(s->requestor));
        (void) set_delete(s, NULL, NULL);
}

void manager_sets_requestor_gone(Manager *m, const char *requestor) {
        assert(m);
        assert(requestor);

        LIST_FOREACH_SAFE(sets, s, next, m->sets)
                if (s->auto_release && s->requestor && streq(s->requestor, requestor) && s->state != SET_DELETING)
                        set_requestor_gone(s);
}

/* NameOwnerChanged is watched from the start, but the requestor may have left
 * while the writers were asked: ask the bus whether it is still there. */
static int on_requestor_check(sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Set *s = userdata;

        s->requestor_check = sd_bus_slot_unref(s->requestor_check);
        if (s->auto_release && sd_bus_message_is_method_error(reply, NULL))
                set_requestor_gone(s);
        return 0;
}

static int set_watch_requestor(Set *s) {
        s->auto_release = true;
        return sd_bus_call_method_async(s->manager->bus, &s->requestor_check, BUS_DRIVER_NAME, BUS_DRIVER_PATH,
                                        BUS_DRIVER_NAME, "GetNameOwner", on_requestor_check, s, "s", s->requestor);
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
        LIST_FOREACH(sets, i, m->sets)
                if (!i->persistent && i->requestor && streq(i->requestor, requestor))
                        n++;
        return n;
}

int set_create(Manager *m, sd_bus_message *msg, StasisVolume *volumes, size_t n_volumes,
               const char *label, const char *request_id, bool persistent, uid_t owner_uid,
               SetWriter *writers, size_t n_writers, bool require_writers,
               const SetCreateExtras *extras, sd_bus_error *error) {
        static const SetCreateExtras none = {};
        if (!extras)
                extras = &none;
        char **excluded = extras->excluded;
        usec_t external = extras->external;
        const char *sender = sd_bus_message_get_sender(msg);
        size_t export_size;
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

        /* What it will show on the bus, with the longest reasons its writers' components may get. */
        export_size = set_export_estimate_new(label, volumes, n_volumes, writers, n_writers);
        r = set_export_check(m, export_size, error);
        if (r < 0)
                return r;

        r = manager_check_room(m, error);
        if (r < 0)
                return r;

        s = calloc(1, sizeof(Set));
        if (!s)
                return -ENOMEM;
        s->volumes = volumes;
        s->n_volumes = n_volumes;
        s->created = clock_realtime(m->test_clock);
        if (extras->expire_after > 0)
                s->expires = extras->expire_after > UINT64_MAX - s->created ? UINT64_MAX :
                             s->created + extras->expire_after;
        s->policy = extras->policy ? strdup(extras->policy) : NULL;
        s->persistent = persistent;
        s->owner_uid = owner_uid;
        s->state = SET_CREATING;
        s->external = external > 0;
        s->external_window = external == SET_EXTERNAL_WINDOW_DEFAULT ? 0 : external;
        s->label = strdup(strempty(label));
        s->requestor = sender ? strdup(sender) : NULL;
        s->request_id = request_id ? strdup(request_id) : NULL;
        s->excluded_writers = excluded ? strv_copy(excluded) : calloc(1, sizeof(char *));
        if (!s->label || (sender && !s->requestor) || (request_id && !s->request_id) || !s->excluded_writers ||
            (extras->policy && !s->policy)) {
                s->volumes = NULL;
                set_free(s);
                return -ENOMEM;
        }

        CatalogSet cs = {
                .created = s->created,
                .label = s->label,
                .persistent = persistent,
                .owner_uid = owner_uid,
                .request_id = s->request_id,
                .expires = s->expires,
                .policy = s->policy,
                .state = (char *) set_state_to_string(SET_CREATING),
                .volumes = volumes,
                .n_volumes = n_volumes,
        };
        r = catalog_add_set(m->catalog, &cs, prepare_volumes, s);
        if (r < 0) {
                log_error_errno(r, "Failed to record a new set in the catalog: %s", catalog_last_error(m->catalog));
                s->volumes = NULL;     /* still the caller's */
                s->n_volumes = 0;
                set_free(s);
                if (r == -ENOSPC)
                        return manager_check_room(m, error) < 0 ? -ENOSPC :
                               sd_bus_error_setf(error, STASIS_ERROR_NO_SPACE, "Failed to record the set in the "
                                                 "catalog: the file system of %s is full", m->state_dir);
                return sd_bus_error_set_errnof(error, r, "Failed to record the set in the catalog: %m");
        }
        set_link(m, s);
        set_export_add(s, export_size);

        if (!persistent && s->requestor) {
                r = set_watch_requestor(s);
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

        s->pending = sd_bus_message_ref(msg);
        (void) sd_bus_emit_object_added(m->bus, s->object_path);
        if (n_writers > 0) {
                /* The writers are the set's from here on. */
                s->writers = writers;
                s->n_writers = n_writers;
                s->require_writers = require_writers;
                log_info("Set %s: %zu volume(s), %zu writer(s).", s->id, n_volumes, n_writers);
        }
        r = set_life_start(s);
        if (r < 0) {
                set_reply_error(s, STASIS_ERROR_WRITER_FAILED, "Creating", "cannot send PrepareBackup to the writers");
                set_remove(s);
        }
        return 1;

fail:
        log_error_errno(r, "Set %s: failed to start: %m", s->id);
        s->volumes = NULL;
        s->n_volumes = 0;
        (void) catalog_remove_set(m->catalog, s->id_num);
        set_free(s);
        return sd_bus_error_set_errnof(error, r, "Failed to start the snapshot set: %m");
}

/* Names that are not UTF-8 can come only from an older stasisd's catalog:
 * they are sent with U+FFFD in place of the bad bytes (stasisd-strings.c),
 * and the set can still be deleted. Said once, at start-up. */
static void warn_not_utf8(const Set *s) {
        const char *what = !utf8_is_valid(strempty(s->label)) ? "label" : NULL;

        for (size_t i = 0; !what && i < s->n_volumes; i++) {
                const StasisVolume *v = &s->volumes[i];
                const char *names[] = { v->path, v->mount_point, v->device, v->fstype, v->source, v->handle };
                for (size_t j = 0; !what && j < ELEMENTSOF(names); j++)
                        if (!utf8_is_valid(strempty(names[j])))
                                what = "volume";
        }
        if (what)
                log_warning("Set %s: a %s name in the catalog is not UTF-8 (recorded by an older stasisd); "
                            "it is shown with U+FFFD in place of the bytes that are not.", s->id, what);
}

int set_load(Manager *m, CatalogSet *cs, Set **ret) {
        assert(m);
        assert(cs);
        assert(ret);

        Set *s = calloc(1, sizeof(Set));
        if (!s)
                return -ENOMEM;
        s->created = cs->created;
        s->persistent = cs->persistent;
        s->owner_uid = cs->owner_uid;
        s->phase = SET_PHASE_IDLE;
        s->state = set_state_from_string(cs->state);
        if (s->state == _SET_STATE_INVALID) {
                log_warning("Set %" PRIu64 " has unknown state '%s' in the catalog; treating it as half made.",
                            cs->id, cs->state);
                s->state = SET_CREATING;
        }
        s->was_created = s->state != SET_CREATING;
        int r = catalog_load_excluded_writers(m->catalog, cs->id, &s->excluded_writers);
        if (r >= 0)
                r = catalog_metadata_count(m->catalog, cs->id, &s->metadata_recorded);
        if (r < 0) {
                free(s);
                return log_error_errno(r, "Set %" PRIu64 ": cannot read the writers it left out or its backup "
                                       "metadata: %s", cs->id, catalog_last_error(m->catalog));
        }
        s->label = TAKE_PTR(cs->label);
        s->request_id = TAKE_PTR(cs->request_id);
        s->expires = cs->expires;
        s->policy = isempty(cs->policy) ? NULL : TAKE_PTR(cs->policy);
        if (strlen(strempty(s->label)) > MANAGER_LABEL_MAX) {
                /* Recorded by something that did not check it: ListSets sends every label. */
                char *cut = echo_strdup(s->label, MANAGER_LABEL_MAX);
                if (!cut) {
                        set_free(s);
                        return -ENOMEM;
                }
                log_warning("Set %" PRIu64 ": its label in the catalog is %zu bytes long, more than the %d a label "
                            "may have; it is shown cut.", cs->id, strlen(s->label), MANAGER_LABEL_MAX);
                free(s->label);
                s->label = cut;
        }
        s->consistency = isempty(cs->consistency) ? NULL : TAKE_PTR(cs->consistency);
        s->volumes = TAKE_PTR(cs->volumes);
        s->n_volumes = cs->n_volumes;
        cs->n_volumes = 0;
        s->components = TAKE_PTR(cs->components);
        s->n_components = cs->n_components;
        cs->n_components = 0;
        s->completed = cs->completed;
        s->hold_usec = cs->hold_usec;
        if (set_set_id(s, cs->id) < 0) {
                set_free(s);
                return -ENOMEM;
        }
        set_link(m, s);
        set_export_load(s);
        warn_not_utf8(s);
        *ret = s;
        return 0;
}

void set_reconcile(Set *s) {
        assert(s);
        assert(s->phase == SET_PHASE_IDLE);

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

        if (s->state == SET_FAILED)
                return;         /* an external set whose thaw came late: it stays what it was */
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
        /* An invalid snapshot does not come back: the set stays invalid. */
        SetState want = s->state == SET_INVALID ? SET_INVALID : any_missing ? SET_MISSING : SET_CREATED;
        if (want != s->state || changed)
                set_change_state(s, want, NULL);
}
