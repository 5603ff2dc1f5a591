/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-create-request.c - a CreateSet with writers: Identify, then which volumes and writers take part */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-errors.h"
#include "bus-util.h"
#include "echo.h"
#include "log.h"
#include "macro.h"
#include "stasisd-create-request.h"
#include "stasisd-request-id.h"
#include "stasisd-resolve.h"
#include "stasisd-select.h"
#include "stasisd-set-external.h"
#include "stasisd-set-writers.h"
#include "stasisd-set.h"
#include "stasisd-writer-call.h"
#include "stasisd-writer-memory.h"
#include "strv.h"

struct CreateRequest {
        Manager *manager;
        LIST_FIELDS(CreateRequest, requests);
        sd_bus_message *msg;
        char **paths;
        char **selectors;
        char **exclude;         /* writers left out: WRITER[@INSTANCE]; never NULL */
        char *label;
        char *request_id;       /* NULL if none */
        bool persistent;
        bool require_writers;
        uid_t uid;
        usec_t external;        /* an external set (set_create()); 0: not */
        usec_t answer_by;       /* an external set: its writers' Freeze ends by then (0: no limit) */
        WriterBatch *identify;
        usec_t expire_after;
        char *policy;           /* NULL if none */
};

/* An external set's volumes are all provider external's. */
static const StasisProviders *request_providers(const CreateRequest *req) {
        return req->external ? &stasis_providers_external_only : &req->manager->providers;
}

static CreateRequest *create_request_free(CreateRequest *req) {
        if (!req)
                return NULL;
        LIST_REMOVE(requests, req->manager->requests, req->manager->requests_tail, req);
        writer_batch_free(req->identify);
        sd_bus_message_unref(req->msg);
        strv_free(req->paths);
        strv_free(req->selectors);
        strv_free(req->exclude);
        free(req->label);
        free(req->policy);
        if (req->request_id) {
                free(req->request_id);
                request_ids_answered(req->manager);     /* those waiting for it look again */
        }
        free(req);
        return NULL;
}

bool create_request_in_flight(Manager *m, uid_t uid, const char *request_id) {
        assert(m);
        assert(request_id);

        LIST_FOREACH(requests, req, m->requests)
                if (req->request_id && req->uid == uid && streq(req->request_id, request_id))
                        return true;
        return false;
}

bool create_request_external_in_flight(Manager *m) {
        assert(m);

        LIST_FOREACH(requests, req, m->requests)
                if (req->external)
                        return true;
        return false;
}

void create_requests_free(Manager *m) {
        assert(m);

        while (m->requests)
                create_request_free(m->requests);
}

/* Takes the metadata each writer sent; one that sent none or bad metadata
 * keeps what it had and fails Identify. */
static void take_identities(WriterBatch *b) {
        for (size_t i = 0; i < b->n; i++) {
                WriterReply *r = &b->replies[i];
                _cleanup_writer_metadata_ WriterMetadata *meta = NULL;
                const char *json;
                char err[512];
                int k;

                if (r->error < 0 || r->skipped)       /* skipped: its metadata is current */
                        continue;
                k = sd_bus_message_read(r->reply, "s", &json);
                if (k >= 0 && r->writer->meta_json && streq(json, r->writer->meta_json))
                        continue;       /* unchanged (libstasis sends the canonical form) */
                if (k < 0)
                        snprintf(err, sizeof err, "answered Identify without metadata: %s", strerror(-k));
                else if (writer_metadata_parse(json, strlen(json), &meta, err, sizeof err) >= 0 &&
                         writer_update_metadata(r->writer, meta, err, sizeof err) >= 0) {
                        meta = NULL;
                        if (r->writer->manager)
                                writer_memory_changed(r->writer->manager, r->writer);
                        continue;
                }
                r->error = -EBADMSG;
                free(r->message);
                if (asprintf(&r->message, "sent bad metadata at Identify: %s", err) < 0)
                        r->message = NULL;
                writer_mark_failed(r->writer, STASIS_EVENT_IDENTIFY, r->message);
        }
}

/* The error name to fail the set with when a component path did not resolve. */
static const char *resolve_error_name(const sd_bus_error *e) {
        static const char *const known[] = {
                STASIS_ERROR_NO_SUCH_PATH, STASIS_ERROR_NOT_A_DIRECTORY, STASIS_ERROR_NO_PROVIDER,
                STASIS_ERROR_INVALID_ARGUMENT, STASIS_ERROR_LIMIT_EXCEEDED,
        };
        for (size_t i = 0; i < ELEMENTSOF(known); i++)
                if (sd_bus_error_has_name(e, known[i]))
                        return known[i];
        return STASIS_ERROR_NO_PROVIDER;
}

static size_t hash_path(const char *p) {
        size_t h = 14695981039346656037ULL;
        for (; *p; p++)
                h = (h ^ (unsigned char) *p) * 1099511628211ULL;
        return h;
}

/* Resolves pv's path, or finds that an earlier one has the same path (many
 * writers of one application share directories). */
static int resolve_once(const CreateRequest *req, Resolution *x, PathVolume *pv, const char *path) {
        Manager *m = req->manager;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        size_t slot = hash_path(path) % x->n_by_path;
        int r;

        pv->path = path;
        for (; x->by_path[slot]; slot = (slot + 1) % x->n_by_path) {
                PathVolume *o = &x->pv[x->by_path[slot] - 1];
                if (!streq(o->path, path))
                        continue;
                pv->same = o->same ?: o;
                pv->owner = o->owner;
                pv->error_name = o->error_name;
                pv->key = o->key ? strdup(o->key) : NULL;
                pv->error = o->error ? strdup(o->error) : NULL;
                return pv->key || pv->error ? 0 : -ENOMEM;
        }
        x->by_path[slot] = (size_t) (pv - x->pv) + 1;

        r = resolve_path(&m->mounts, request_providers(req), path, true, &pv->volume, &pv->owner, &e);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                pv->error_name = resolve_error_name(&e);
                pv->error = strdup(e.message ?: strerror(-r));
        } else
                pv->key = strdup(pv->volume.key);
        sd_bus_error_free(&e);
        return pv->error || pv->key ? 0 : -ENOMEM;
}

/* Where every component path of every writer is; errors are kept, and
 * matter only for components that join the set. */
static int resolve_candidates(const CreateRequest *req, Resolution *x) {
        size_t n_cands = 0, n_paths = 0;

        for (size_t i = 0; i < x->b->n; i++) {
                const WriterMetadata *meta = x->b->replies[i].writer->meta;
                n_cands += meta->n_components;
                for (size_t c = 0; c < meta->n_components; c++)
                        n_paths += strv_length(meta->components[c].paths);
        }
        x->cands = calloc(MAX(n_cands, 1), sizeof(Candidate));
        x->pv = calloc(MAX(n_paths, 1), sizeof(PathVolume));
        x->n_by_path = 2 * n_paths + 1;
        x->by_path = calloc(x->n_by_path, sizeof(size_t));
        if (!x->cands || !x->pv || !x->by_path)
                return -ENOMEM;

        for (size_t i = 0; i < x->b->n; i++) {
                const WriterMetadata *meta = x->b->replies[i].writer->meta;
                for (size_t c = 0; c < meta->n_components; c++) {
                        Candidate *k = &x->cands[x->n_cands++];
                        *k = (Candidate) { .writer = i, .component = &meta->components[c], .first_path = x->n_pv };
                        STRV_FOREACH(p, k->component->paths) {
                                PathVolume *pv = &x->pv[x->n_pv++];
                                int r = resolve_once(req, x, pv, *p);
                                if (r < 0)
                                        return r;
                                k->n_paths++;
                        }
                }
        }
        return 0;
}

/* The writers taking part, with their components and volumes. */
static int make_set_writers(const Resolution *x, SetWriter **ret, size_t *ret_n) {
        SetWriter *sw = calloc(MAX(x->b->n, 1), sizeof(SetWriter));
        size_t n = 0;

        if (!sw)
                return -ENOMEM;
        for (size_t w = 0; w < x->b->n; w++) {
                const WriterReply *r = &x->b->replies[w];
                SetWriter *s = &sw[n];

                if (!resolution_writer_included(x, w))
                        continue;
                n++;
                s->writer = writer_ref(r->writer);
                s->volumes = calloc(x->n_vols, sizeof(size_t));
                if (!s->volumes)
                        goto oom;
                for (size_t i = 0; i < x->n_cands; i++) {
                        const Candidate *k = &x->cands[i];
                        if (k->writer != w || !k->included)
                                continue;
                        if (strv_extend(&s->components, k->component->name) < 0)
                                goto oom;
                        for (size_t p = 0; p < k->n_paths; p++) {
                                size_t v = (size_t) resolution_volume_index(x, x->pv[k->first_path + p].key);
                                bool dup = false;
                                for (size_t j = 0; j < s->n_volumes; j++)
                                        dup = dup || s->volumes[j] == v;
                                if (!dup)
                                        s->volumes[s->n_volumes++] = v;
                        }
                }
                if (r->error < 0) {
                        s->failed = true;
                        s->retryable = r->retryable;
                        s->error = strdup(strempty(r->message));
                        if (!s->error)
                                goto oom;
                }
        }
        *ret = sw;
        *ret_n = n;
        return 0;
oom:
        set_writers_free(sw, n);
        return -ENOMEM;
}

static int create_request_resume(sd_bus_message *msg, void *userdata, sd_bus_error *error);

/* Whether the requestor left the writer of meta out. */
static bool excluded(char **exclude, const WriterMetadata *meta) {
        STRV_FOREACH(e, exclude) {
                Selector x;
                if (selector_parse(*e, &x) >= 0 && selector_matches(&x, meta))
                        return true;
        }
        return false;
}

/* The writers left out are not in the set at all, not even those missing. */
static void drop_excluded(WriterBatch *b, char **exclude) {
        size_t k = 0;

        for (size_t i = 0; i < b->n; i++) {
                WriterReply *r = &b->replies[i];
                if (excluded(exclude, r->writer->meta)) {
                        writer_unref(r->writer);
                        sd_bus_message_unref(r->reply);
                        free(r->message);
                        continue;
                }
                b->replies[k++] = *r;
        }
        b->n = b->n_sent = b->n_done = k;
}

/* -EINVAL (the message in error) for an entry that is not WRITER[@INSTANCE],
 * or a component asked for of a writer left out. */
static int check_exclude(char **exclude, char **selectors, sd_bus_error *error) {
        if (strv_length(exclude) > CREATE_EXCLUDE_WRITERS_MAX)
                return sd_bus_error_setf(error, STASIS_ERROR_LIMIT_EXCEEDED, "%zu writers to exclude; at most %d",
                                         strv_length(exclude), CREATE_EXCLUDE_WRITERS_MAX);
        STRV_FOREACH(e, exclude) {
                Selector x;
                if (selector_parse(*e, &x) < 0 || x.component)
                        return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                                 "Writer to exclude '%s' is not WRITER[@INSTANCE] (a writer name is "
                                                 "a-z, 0-9, '.', '_' and '-')", ECHO(*e));
                STRV_FOREACH(sel, selectors) {
                        Selector y;
                        if (selector_parse(*sel, &y) < 0)
                                continue;
                        if (x.writer_len == y.writer_len && strneq(x.writer, y.writer, x.writer_len) &&
                            (!x.instance || (y.instance && x.instance_len == y.instance_len &&
                                             strneq(x.instance, y.instance, x.instance_len))))
                                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                                         "Component '%s' is asked for, but its writer is excluded "
                                                         "('%s')", ECHO(*sel), ECHO(*e));
                }
        }
        return 0;
}

static void on_identified(WriterBatch *b, void *userdata) {
        CreateRequest *req = userdata;
        Manager *m = req->manager;
        /* The request goes with create_request_resume(); its call stays for the answer. */
        _cleanup_bus_message_unref_ sd_bus_message *msg = sd_bus_message_ref(req->msg);
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        take_identities(b);
        /* The writers of stasisd's previous life that are not back take part as failed. */
        r = writer_memory_add_missing(m, b);
        if (r >= 0)
                drop_excluded(b, req->exclude);
        if (r < 0) {
                (void) sd_bus_reply_method_errno(msg, r, NULL);
                create_request_free(req);
                return;
        }
        /* Recording the set writes the catalog: not during another set's hold. */
        if (m->holding && m->n_deferred >= MANAGER_DEFERRED_MAX) {
                (void) sd_bus_reply_method_errorf(msg, STASIS_ERROR_BUSY,
                                                  "stasisd is holding file systems frozen and %u calls already "
                                                  "wait for it to end; try again", m->n_deferred);
                create_request_free(req);
                return;
        }
        r = manager_defer_if_holding(m, msg, create_request_resume, req);
        if (r == 0)
                r = create_request_resume(msg, req, &error);
        else if (r < 0)
                create_request_free(req);
        if (r < 0)
                (void) sd_bus_reply_method_errno(msg, r, &error);
}

static int create_request_resume(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        CreateRequest *req = userdata;
        Manager *m = req->manager;
        Resolution x = { .b = req->identify };
        SetWriter *sw = NULL;
        size_t n_sw = 0;
        int r;

        x.vols = calloc(MANAGER_VOLUMES_PER_SET_MAX, sizeof(StasisVolume));
        if (!x.vols) {
                r = -ENOMEM;
                goto finish;
        }
        if (!strv_isempty(req->paths)) {
                StasisVolume *v = NULL;
                r = resolve_paths(&m->mounts, request_providers(req), req->paths, true, MANAGER_VOLUMES_PER_SET_MAX, &v, &x.n_vols, error);
                if (r < 0)
                        goto finish;
                memcpy(x.vols, v, x.n_vols * sizeof(StasisVolume));
                free(v);
        }
        r = resolve_candidates(req, &x);
        if (r >= 0 && req->external && strv_isempty(req->paths) && strv_isempty(req->selectors))
                /* An external set of the whole machine (a hypervisor freezes every file system): every
                 * component of every writer. */
                for (size_t i = 0; i < x.n_cands; i++)
                        x.cands[i].included = true;
        else if (r >= 0)
                r = resolution_select(&x, req->selectors, error);
        if (r >= 0)
                r = resolution_close_over(&x, error);
        if (r >= 0)
                r = make_set_writers(&x, &sw, &n_sw);
        if (r < 0)
                goto finish;

        for (size_t i = 0; req->require_writers && i < n_sw; i++)
                if (sw[i].failed) {
                        r = sd_bus_error_setf(error, sw[i].retryable ? STASIS_ERROR_WRITER_RETRYABLE
                                                                     : STASIS_ERROR_WRITER_FAILED,
                                              "Creating the snapshot set failed: writer %s %s",
                                              sw[i].writer->display, sw[i].error);
                        goto finish;
                }

        if (n_sw == 0)          /* no writer takes part: a plain set */
                sw = mfree(sw);
        SetCreateExtras extras = { .excluded = req->exclude, .external = req->external,
                                   .expire_after = req->expire_after, .policy = req->policy };
        r = set_create(m, msg, x.vols, x.n_vols, req->label, req->request_id, req->persistent, req->uid,
                       sw, n_sw, req->require_writers, &extras, error);
        if (r >= 0 && req->external) {
                Set *s = manager_external_set(m);       /* the one just made; no Freeze was sent yet */
                if (s)
                        s->external_answer_by = req->answer_by;
        }
        if (r >= 0) {
                x.vols = NULL;          /* the set's now */
                x.n_vols = 0;
                sw = NULL;
                n_sw = 0;
        }
finish:
        if (r < 0)
                request_id_failed(m, req->uid, req->request_id, r, error);
        set_writers_free(sw, n_sw);
        resolution_done(&x);
        create_request_free(req);
        return r;
}

static int request_start(Manager *m, sd_bus_message *msg, char **paths, char **selectors, const char *label,
                         const char *request_id, bool persistent, bool require_writers, uid_t uid,
                         const SetCreateExtras *extras, usec_t answer_by, sd_bus_error *error) {
        _cleanup_free_ Writer **ws = NULL;
        CreateRequest *req;
        size_t n = 0;
        int r;

        STRV_FOREACH(sel, selectors) {
                Selector x;
                if (selector_parse(*sel, &x) < 0)
                        return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                                 "Component '%s' is not WRITER[@INSTANCE][:COMPONENT] (a writer "
                                                 "name is a-z, 0-9, '.', '_' and '-')", ECHO(*sel));
        }
        char **exclude = extras->excluded;
        if (strv_isempty(paths) && strv_isempty(selectors) && !extras->external)
                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT, "No paths or components given");
        r = check_exclude(exclude, selectors, error);
        if (r < 0)
                return r;

        ws = calloc(MAX(m->n_writers, 1), sizeof(Writer *));
        req = calloc(1, sizeof(CreateRequest));
        if (!ws || !req) {
                free(req);
                return -ENOMEM;
        }
        LIST_FOREACH(writers, w, m->writers)
                if (!excluded(exclude, w->meta))
                        ws[n++] = w;    /* an excluded writer is not called at all */
        req->manager = m;
        req->msg = sd_bus_message_ref(msg);
        req->paths = strv_copy(paths);
        req->selectors = strv_copy(selectors);
        req->exclude = exclude ? strv_copy(exclude) : calloc(1, sizeof(char *));
        req->label = label ? strdup(label) : NULL;
        req->request_id = request_id ? strdup(request_id) : NULL;
        req->persistent = persistent;
        req->require_writers = require_writers;
        req->uid = uid;
        req->external = extras->external;
        req->answer_by = answer_by;
        req->expire_after = extras->expire_after;
        req->policy = extras->policy ? strdup(extras->policy) : NULL;
        LIST_PREPEND(requests, m->requests, m->requests_tail, req);
        if ((paths && !req->paths) || (selectors && !req->selectors) || !req->exclude || (label && !req->label) ||
            (request_id && !req->request_id) || (extras->policy && !req->policy)) {
                create_request_free(req);
                return -ENOMEM;
        }
        WriterBatchSpec spec = {
                .event = STASIS_EVENT_IDENTIFY,
                .timeout = m->identify_timeout,
                .done = on_identified,
                .userdata = req,
                .owned = true,
        };
        r = writer_batch_start(m, &spec, ws, n, &req->identify);
        if (r < 0) {
                create_request_free(req);
                return r;
        }
        return 1;
}

int create_request_start(Manager *m, sd_bus_message *msg, char **paths, char **selectors, const char *label,
                         const char *request_id, bool persistent, bool require_writers, uid_t uid,
                         const SetCreateExtras *extras, sd_bus_error *error) {
        static const SetCreateExtras none = {};
        return request_start(m, msg, paths, selectors, label, request_id, persistent, require_writers, uid,
                             extras ? extras : &none, 0, error);
}

int create_request_start_external(Manager *m, sd_bus_message *msg, char **paths, char **selectors,
                                  const char *label, uid_t uid, usec_t window, usec_t freeze_timeout,
                                  sd_bus_error *error) {
        assert(window > 0);
        SetCreateExtras extras = { .external = window };
        /* Persistent: the set is not tied to the caller's connection (a hook exits once frozen). */
        return request_start(m, msg, paths, selectors, label, NULL, true, false, uid, &extras,
                             freeze_timeout > 0 ? now_usec(CLOCK_MONOTONIC) + freeze_timeout : 0, error);
}
