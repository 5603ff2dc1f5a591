/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-writer-memory.c - the writers stasisd remembers: recorded in the catalog, missing after a restart */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bus-errors.h"
#include "bus-util.h"
#include "echo.h"
#include "log.h"
#include "macro.h"
#include "stasisd-auth.h"
#include "stasisd-catalog-writers.h"
#include "stasisd-config.h"
#include "stasisd-writer-memory.h"

static void missing_unlink(Manager *m, Writer *w) {
        LIST_REMOVE(writers, m->missing_writers, m->missing_writers_tail, w);
        m->n_missing_writers--;
        writer_unref(w);
}

void writer_memory_free(Manager *m) {
        assert(m);
        m->writer_grace = sd_event_source_disable_unref(m->writer_grace);
        while (m->missing_writers)
                missing_unlink(m, m->missing_writers);
}

Writer *manager_find_missing_writer(Manager *m, const char *name, const char *instance) {
        assert(m);
        assert(name);

        LIST_FOREACH(writers, w, m->missing_writers)
                if (streq(w->meta->writer, name) && streq(w->meta->instance, strempty(instance)))
                        return w;
        return NULL;
}

static int on_grace_over(sd_event_source *es, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        m->writer_grace = sd_event_source_disable_unref(m->writer_grace);
        LIST_FOREACH(writers, w, m->missing_writers)
                log_warning("Writer %s (uid %u) registered before stasisd restarted and has not come back within "
                            "%" PRIu64 " s: it is missing. Sets that would involve its components record them "
                            "crash-consistent (or fail, with require-writers) until it registers again or "
                            "'stasis forget-writer %s' forgets it.", w->display, (unsigned) w->uid,
                            (uint64_t) (config_writer_grace_usec(m->config) / USEC_PER_SEC), w->display);
        return 0;
}

/* A Writer for a record of the catalog: not registered (no manager, no
 * owner), its last metadata. */
static int missing_from_record(const CatalogWriter *cw, Writer **ret) {
        _cleanup_writer_metadata_ WriterMetadata *meta = NULL;
        char err[512];
        Writer *w;
        int r;

        r = writer_metadata_parse(cw->metadata, strlen(cw->metadata), &meta, err, sizeof err);
        if (r < 0) {
                log_warning("Writer %s%s%s in the catalog has metadata that cannot be read (%s); it is forgotten.",
                            cw->name, isempty(cw->instance) ? "" : "@", cw->instance, err);
                return 0;
        }
        w = calloc(1, sizeof(Writer));
        if (!w)
                return -ENOMEM;
        w->n_ref = 1;
        w->channel_fd = -EBADF;
        w->uid = cw->uid;
        r = writer_update_metadata(w, meta, err, sizeof err);
        if (r < 0) {
                writer_unref(w);
                return r;
        }
        meta = NULL;
        writer_mark_failed(w, STASIS_EVENT_IDENTIFY, "registered before stasisd restarted, and not back since");
        *ret = w;
        return 1;
}

int writer_memory_load(Manager *m) {
        CatalogWriter *l = NULL;
        size_t n = 0, bytes = 0;
        int r;

        assert(m);
        r = catalog_writers_load(m->catalog, &l, &n);
        if (r < 0)
                return log_error_errno(r, "Failed to read the writers from the catalog: %s",
                                       catalog_last_error(m->catalog));
        for (size_t i = 0; i < n; i++) {
                Writer *w = NULL;
                /* Bounded as the registered writers are: by number and by their metadata together. */
                if (m->n_missing_writers >= MANAGER_WRITERS_MAX ||
                    bytes + strlen(l[i].metadata) > MANAGER_WRITERS_METADATA_TOTAL_MAX) {
                        log_warning("The catalog records more writers than stasisd keeps (%u, or %u bytes of "
                                    "metadata); writer %s%s%s and those after it are not waited for.",
                                    MANAGER_WRITERS_MAX, MANAGER_WRITERS_METADATA_TOTAL_MAX, l[i].name,
                                    isempty(l[i].instance) ? "" : "@", l[i].instance);
                        break;
                }
                bytes += strlen(l[i].metadata);
                r = missing_from_record(&l[i], &w);
                if (r < 0) {
                        catalog_writers_free(l, n);
                        return log_oom();
                }
                if (r == 0)
                        continue;
                LIST_APPEND(writers, m->missing_writers, m->missing_writers_tail, w);
                m->n_missing_writers++;
        }
        catalog_writers_free(l, n);
        if (m->n_missing_writers == 0)
                return 0;
        log_info("%u writer(s) registered before stasisd restarted; waiting %" PRIu64 " s for them to come back.",
                 m->n_missing_writers, (uint64_t) (config_writer_grace_usec(m->config) / USEC_PER_SEC));
        r = sd_event_add_time_relative(m->event, &m->writer_grace, CLOCK_MONOTONIC,
                                       config_writer_grace_usec(m->config), 0, on_grace_over, m);
        if (r < 0)
                return log_error_errno(r, "Failed to arm the writers' grace period: %m");
        return 0;
}

static void record_from(const Writer *w, CatalogWriter *ret) {
        *ret = (CatalogWriter) {
                .name = w->meta->writer,
                .instance = w->meta->instance,
                .uid = w->uid,
                .metadata = w->meta_json,
                .registered = now_usec(CLOCK_REALTIME),
        };
}

/* Rewrites the catalog's writers from memory: the registered, then the missing. */
static void sync_all(Manager *m) {
        _cleanup_free_ CatalogWriter *l = calloc(MAX(m->n_writers + m->n_missing_writers, 1), sizeof(CatalogWriter));
        size_t n = 0;
        int r;

        if (!l) {
                log_oom();
                return;
        }
        LIST_FOREACH(writers, w, m->writers)
                record_from(w, &l[n++]);
        LIST_FOREACH(writers, w, m->missing_writers)
                record_from(w, &l[n++]);
        r = catalog_writers_replace(m->catalog, l, n);
        if (r < 0)
                log_error_errno(r, "Failed to record the writers in the catalog: %s", catalog_last_error(m->catalog));
        else
                m->writers_catalog_dirty = false;
}

static void record(Manager *m, Writer *w) {
        CatalogWriter cw;
        int r;

        if (m->holding) {
                m->writers_catalog_dirty = true;        /* no catalog writes in a hold: after it */
                return;
        }
        if (m->writers_catalog_dirty) {
                sync_all(m);
                return;
        }
        record_from(w, &cw);
        r = catalog_writer_record(m->catalog, &cw);
        if (r < 0)
                log_error_errno(r, "Writer %s: failed to record it in the catalog: %s", w->display,
                                catalog_last_error(m->catalog));
}

static void forget(Manager *m, const char *name, const char *instance) {
        int r;

        if (m->holding) {
                m->writers_catalog_dirty = true;
                return;
        }
        if (m->writers_catalog_dirty) {
                sync_all(m);            /* the writer is already out of memory */
                return;
        }
        r = catalog_writer_forget(m->catalog, name, instance);
        if (r < 0)
                log_error_errno(r, "Writer %s%s%s: failed to forget it in the catalog: %s", name,
                                isempty(instance) ? "" : "@", instance, catalog_last_error(m->catalog));
}

void writer_memory_registered(Manager *m, Writer *w) {
        assert(m);
        assert(w);

        Writer *old = manager_find_missing_writer(m, w->meta->writer, w->meta->instance);
        if (old) {
                if (old->uid != w->uid)
                        log_warning("Writer %s is back, registered by uid %u; before stasisd restarted uid %u "
                                    "had registered it.", w->display, (unsigned) w->uid, (unsigned) old->uid);
                else
                        log_info("Writer %s is back.", w->display);
                missing_unlink(m, old);
        }
        record(m, w);
}

void writer_memory_changed(Manager *m, Writer *w) {
        assert(m);
        assert(w);
        if (w->manager)
                record(m, w);
}

void writer_memory_gone(Manager *m, Writer *w) {
        assert(m);
        assert(w);
        forget(m, w->meta->writer, w->meta->instance);
}

void writer_memory_hold_ended(Manager *m) {
        assert(m);
        if (m->writers_catalog_dirty && !m->holding)
                sync_all(m);
}

int writer_memory_add_missing(Manager *m, WriterBatch *b) {
        WriterReply *replies;
        size_t n;

        assert(m);
        assert(b);
        if (m->n_missing_writers == 0)
                return 0;
        n = b->n + m->n_missing_writers;
        replies = realloc(b->replies, n * sizeof(WriterReply));
        if (!replies)
                return -ENOMEM;
        b->replies = replies;
        LIST_FOREACH(writers, w, m->missing_writers) {
                WriterReply *r = &b->replies[b->n];
                *r = (WriterReply) {
                        .batch = b,
                        .writer = writer_ref(w),
                        .done = true,
                        .not_called = true,
                        .error = -EHOSTDOWN,
                        .message = strdup(WRITER_MISSING_REASON),
                };
                b->n++;
                if (!r->message)
                        return -ENOMEM;
        }
        return 0;
}

int writer_memory_append_list(Manager *m, sd_bus_message *reply) {
        int r;

        assert(m);
        assert(reply);
        LIST_FOREACH(writers, w, m->missing_writers) {
                r = sd_bus_message_append(reply, "(ssssuusssuu)", w->meta->writer, w->meta->instance,
                                          writer_level_to_string(w->meta->level), "", (uint32_t) 0,
                                          (uint32_t) w->uid, "missing", "", strempty(w->last_error),
                                          (uint32_t) w->meta->n_components, (uint32_t) strlen(w->meta_json));
                if (r < 0)
                        return r;
        }
        return 0;
}

int method_forget_writer(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *name, *instance;
        Writer *w;
        int r;

        r = auth_check(m, msg, AUTH_FORGET_WRITER, NULL, error);
        if (r != 0)
                return r;
        r = manager_defer_if_holding(m, msg, method_forget_writer, m);
        if (r != 0)
                return r;
        r = sd_bus_message_read(msg, "ss", &name, &instance);
        if (r < 0)
                return r;
        w = manager_find_missing_writer(m, name, instance);
        if (!w) {
                if (manager_find_writer(m, name, instance))
                        return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                                 "Writer %s%s%s is registered, not missing; it is forgotten when "
                                                 "it unregisters or leaves", ECHO(name), isempty(instance) ? "" : "@",
                                                 ECHO(instance));
                return sd_bus_error_setf(error, STASIS_ERROR_NO_SUCH_WRITER, "No writer %s%s%s is missing",
                                         ECHO(name), isempty(instance) ? "" : "@", ECHO(instance));
        }
        log_info("Writer %s forgotten: it is no longer missing.", w->display);
        writer_ref(w);
        missing_unlink(m, w);
        forget(m, w->meta->writer, w->meta->instance);
        writer_unref(w);
        return sd_bus_reply_method_return(msg, "");
}
