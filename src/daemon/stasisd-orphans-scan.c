/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-orphans-scan.c - asks the providers, in a worker, which snapshots their stores hold */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "bus-errors.h"
#include "exec-call.h"
#include "list.h"
#include "log.h"
#include "macro.h"
#include "stasisd-commit.h"
#include "stasisd-orphans-scan.h"
#include "stasisd-set-commit.h"
#include "stasisd-orphans.h"
#include "stasisd-set.h"
#include "stasisd-worker.h"

/* The worker sends back the orphans it found as one JSON object:
 *   {"max_set_id": "N", "dropped": N,
 *    "orphans": [{"provider", "handle", "key", "set_id", "index", "created",
 *                 "fstype", "device", "mount_point", "source", "path"}, ...]}
 * within WORKER_RESULT_MAX; what does not fit is counted in "dropped". */
#define SCAN_RESULT_BUDGET (WORKER_RESULT_MAX - 4096)

#define SCAN_FORGET_MAX 64

typedef struct OrphanScan {
        Manager *manager;
        sd_bus_message *msg;            /* RescanOrphans, answered when done; NULL at start-up */
        Worker *worker;
        /* Orphans deleted while it ran: the worker may have seen them still. */
        char *deleted[SCAN_FORGET_MAX];
        size_t n_deleted;
        bool deleted_overflow;          /* more than that: the result is stale, keep the old list */
} OrphanScan;

static void orphan_scan_free(OrphanScan *x) {
        sd_bus_message_unref(x->msg);
        for (size_t i = 0; i < x->n_deleted; i++)
                free(x->deleted[i]);
        free(x);
}

static bool scan_deleted(const OrphanScan *x, const char *handle) {
        for (size_t i = 0; i < x->n_deleted; i++)
                if (streq(x->deleted[i], handle))
                        return true;
        return false;
}

void manager_scan_orphans_forget(Manager *m, const char *handle) {
        OrphanScan *x = m->orphan_scan_running;
        if (!x)
                return;
        char *h = x->n_deleted < SCAN_FORGET_MAX ? strdup(handle) : NULL;
        if (h)
                x->deleted[x->n_deleted++] = h;
        else
                x->deleted_overflow = true;
}

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(const char * const *) a, *(const char * const *) b);
}

/* The handles of the snapshots of provider p that sets hold, sorted, to
 * look up each snapshot of its stores in. */
static int known_handles(Manager *m, const StasisProvider *p, const char ***ret, size_t *ret_n) {
        const char **h;
        size_t n = 0;

        LIST_FOREACH(sets, s, m->sets)
                for (size_t i = 0; i < s->n_volumes; i++)
                        n += s->volumes[i].provider == p && s->volumes[i].handle;
        h = malloc(MAX(n, (size_t) 1) * sizeof *h);
        if (!h)
                return -ENOMEM;
        n = 0;
        LIST_FOREACH(sets, s, m->sets)
                for (size_t i = 0; i < s->n_volumes; i++)
                        if (s->volumes[i].provider == p && s->volumes[i].handle)
                                h[n++] = s->volumes[i].handle;
        qsort(h, n, sizeof *h, compare_strings);
        *ret = h;
        *ret_n = n;
        return 0;
}

static bool handle_known(Manager *m, const StasisProvider *p, const char *handle) {
        LIST_FOREACH(sets, s, m->sets)
                for (size_t i = 0; i < s->n_volumes; i++)
                        if (s->volumes[i].provider == p && s->volumes[i].handle && streq(s->volumes[i].handle, handle))
                                return true;
        return false;
}

static void add_string(json_object *o, const char *key, const char *value) {
        if (value)
                json_object_object_add(o, key, json_object_new_string(value));
}

static json_object *stored_to_json(const StasisProvider *p, const StasisStoredSnapshot *s) {
        json_object *o = json_object_new_object();
        add_string(o, "provider", p->name);
        add_string(o, "handle", s->volume.handle);
        add_string(o, "key", s->volume.key);
        add_string(o, "set_id", s->set_id);
        json_object_object_add(o, "index", json_object_new_int64((int64_t) s->index));
        json_object_object_add(o, "created", json_object_new_int64((int64_t) s->created));
        add_string(o, "fstype", s->volume.fstype);
        add_string(o, "device", s->volume.device);
        add_string(o, "mount_point", s->volume.mount_point);
        add_string(o, "source", s->volume.source);
        add_string(o, "path", s->volume.path);
        return o;
}

/* ---- in the worker ---- */

typedef struct ScanOutput {
        json_object *orphans;
        size_t n, bytes, dropped;
        uint64_t max_set_id;
} ScanOutput;

static int scan_provider(Manager *m, const StasisProvider *p, ScanOutput *out) {
        StasisProviderResult res = {};
        StasisStoredSnapshot *found = NULL;
        _cleanup_free_ const char **known = NULL;
        size_t n = 0, n_known = 0;
        int r;

        r = known_handles(m, p, &known, &n_known);
        if (r < 0)
                return r;
        r = p->list(p, &found, &n, &res);
        if (r < 0)
                return log_warning_errno(r, "Cannot list the snapshots of provider %s: %s; its orphans are not "
                                         "looked for.", p->name, res.message[0] ? res.message : strerror(-r));
        if (res.error < 0)
                log_warning("Provider %s: %s; its snapshots there are not checked for orphans.", p->name,
                            res.message);
        for (size_t i = 0; i < n; i++) {
                uint64_t id = strtoull(found[i].set_id, NULL, 10);
                out->max_set_id = MAX(out->max_set_id, id);
                const char *h = found[i].volume.handle;
                if (bsearch(&h, known, n_known, sizeof *known, compare_strings))
                        continue;
                json_object *o = stored_to_json(p, &found[i]);
                size_t l = strlen(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)) + 1;
                if (out->n >= MANAGER_ORPHANS_MAX || out->bytes + l > SCAN_RESULT_BUDGET) {
                        json_object_put(o);
                        out->dropped++;
                        continue;
                }
                json_object_array_add(out->orphans, o);
                out->n++;
                out->bytes += l;
        }
        stasis_stored_snapshots_free(found, n);
        return 0;
}

static int worker_scan(int fd, void *userdata) {
        OrphanScan *x = userdata;
        const StasisProvider *all[256];
        size_t n = stasis_providers_list(&x->manager->providers, all, ELEMENTSOF(all));
        ScanOutput out = { .orphans = json_object_new_array() };
        char max[32];
        int r = 0;

        for (size_t i = 0; i < n && r != -ENOMEM; i++)
                if (all[i]->list)
                        r = scan_provider(x->manager, all[i], &out);
        if (r == -ENOMEM)
                return 1;
        json_object *o = json_object_new_object();
        snprintf(max, sizeof max, "%" PRIu64, out.max_set_id);
        add_string(o, "max_set_id", max);
        json_object_object_add(o, "dropped", json_object_new_int64((int64_t) out.dropped));
        json_object_object_add(o, "orphans", out.orphans);
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        return worker_write_all(fd, s, strlen(s)) < 0 ? 1 : 0;
}

/* ---- in the daemon ---- */

static int orphan_from_json(Manager *m, json_object *o, Orphan *ret) {
        const char *name = json_get_string(o, "provider"), *handle = json_get_string(o, "handle"),
                   *set_id = json_get_string(o, "set_id");
        const StasisProvider *p = name ? stasis_provider_find(&m->providers, name) : NULL;
        json_object *j;

        if (!p || !handle || !set_id || !json_get_string(o, "key"))
                return -EBADMSG;
        *ret = (Orphan) { .provider = p };
        StasisStoredSnapshot *s = &ret->snapshot;
        if (json_object_object_get_ex(o, "index", &j))
                s->index = (uint64_t) json_object_get_int64(j);
        if (json_object_object_get_ex(o, "created", &j))
                s->created = (usec_t) json_object_get_int64(j);
        s->volume.provider = p;
        s->set_id = strdup(set_id);
        struct { const char *key; char **to; } fields[] = {
                { "handle", &s->volume.handle }, { "key", &s->volume.key }, { "fstype", &s->volume.fstype },
                { "device", &s->volume.device }, { "mount_point", &s->volume.mount_point },
                { "source", &s->volume.source }, { "path", &s->volume.path },
        };
        bool ok = s->set_id;
        for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                const char *v = json_get_string(o, fields[i].key);
                if (v && !(*fields[i].to = strdup(v)))
                        ok = false;
        }
        if (!ok) {
                stasis_volume_done(&s->volume);
                free(s->set_id);
                return -ENOMEM;
        }
        return 0;
}

/* By set id as a number, then index: the order people read them in. */
static int compare_orphans(const void *a, const void *b) {
        const Orphan *x = a, *y = b;
        uint64_t i = strtoull(x->snapshot.set_id, NULL, 10), j = strtoull(y->snapshot.set_id, NULL, 10);
        if (i != j)
                return i < j ? -1 : 1;
        if (x->snapshot.index != y->snapshot.index)
                return x->snapshot.index < y->snapshot.index ? -1 : 1;
        return strcmp(x->snapshot.volume.handle, y->snapshot.volume.handle);
}

void manager_orphans_raise_next_id(Manager *m) {
        uint64_t id = m->orphans_max_set_id;
        if (id == 0 || m->holding)
                return;         /* no catalog write in a hold: manager_hold_ended() comes back */
        m->orphans_max_set_id = 0;
        /* Set ids are never handed out twice, not even when the catalog lost
         * the sets that had them. */
        int r = catalog_raise_next_id(m->catalog, id);
        if (r < 0)
                log_error_errno(r, "Failed to keep new set ids above %" PRIu64 ", the largest in the snapshot "
                                "stores: %s", id, catalog_last_error(m->catalog));
}

/* Makes the manager's orphans the worker's, less those a set took or a
 * DeleteOrphan deleted meanwhile. */
static int scan_apply(Manager *m, const OrphanScan *x, json_object *result) {
        json_object *arr, *j;
        Orphan *orphans;
        size_t n = 0, dropped = 0;

        if (!json_object_is_type(result, json_type_object) ||
            !json_object_object_get_ex(result, "orphans", &arr) || !json_object_is_type(arr, json_type_array))
                return -EBADMSG;
        size_t total = MIN(json_object_array_length(arr), (size_t) MANAGER_ORPHANS_MAX);
        orphans = calloc(MAX(total, (size_t) 1), sizeof *orphans);
        if (!orphans)
                return -ENOMEM;
        for (size_t i = 0; i < total; i++) {
                Orphan *o = &orphans[n];
                int r = orphan_from_json(m, json_object_array_get_idx(arr, i), o);
                if (r == -ENOMEM) {
                        orphans_free(orphans, n);
                        return r;
                }
                if (r < 0)
                        continue;
                bool twice = false;
                for (size_t k = 0; k < n && !twice; k++)
                        twice = streq(orphans[k].snapshot.volume.handle, o->snapshot.volume.handle);
                if (twice)
                        log_warning("Providers %s and another both list snapshot %s; only the first is listed as "
                                    "an orphan.", o->provider->name, o->snapshot.volume.handle);
                if (twice || handle_known(m, o->provider, o->snapshot.volume.handle) ||
                    scan_deleted(x, o->snapshot.volume.handle)) {
                        stasis_volume_done(&o->snapshot.volume);
                        free(o->snapshot.set_id);
                        continue;
                }
                Orphan *old = manager_find_orphan(m, o->snapshot.volume.handle);
                o->removing = old && old->removing;
                n++;
        }
        if (n > 1)
                qsort(orphans, n, sizeof *orphans, compare_orphans);
        orphans_free(m->orphans, m->n_orphans);
        m->orphans = orphans;
        m->n_orphans = n;

        const char *max = json_get_string(result, "max_set_id");
        uint64_t id = max ? strtoull(max, NULL, 10) : 0;
        m->orphans_max_set_id = MAX(m->orphans_max_set_id, id);
        manager_orphans_raise_next_id(m);
        if (json_object_object_get_ex(result, "dropped", &j))
                dropped = (size_t) json_object_get_int64(j);
        if (dropped > 0)
                log_warning("%zu more orphan snapshot(s) are not listed: stasisd lists at most %d.",
                            dropped, MANAGER_ORPHANS_MAX);
        return (int) n;
}

static void on_scan_done(Worker *w, int status, const void *data, size_t size, void *userdata) {
        OrphanScan *x = userdata;
        Manager *m = x->manager;
        int r = status;

        m->orphan_scan_running = NULL;
        m->n_removing--;
        if (r >= 0) {
                /* The worker is ours: its result is text it wrote, NUL-terminated here. */
                char *text = strndup(data ? (const char *) data : "", size);
                json_object *result = text ? json_tokener_parse(text) : NULL;
                r = !text ? -ENOMEM : x->deleted_overflow ? -ESTALE : scan_apply(m, x, result);
                json_object_put(result);
                free(text);
        }
        if (r < 0) {
                if (r == -ETIMEDOUT)
                        log_error("Looking for orphan snapshots did not finish in time; the worker was killed. "
                                  "The list of orphans is unchanged.");
                else if (r == -ESTALE)
                        log_warning("More than %d orphans were deleted while stasisd looked for orphan "
                                    "snapshots; the list of orphans is unchanged: rescan.", SCAN_FORGET_MAX);
                else
                        log_error_errno(r, "Looking for orphan snapshots failed (%s); the list of orphans is "
                                        "unchanged.", r == -ECHILD ? "the worker crashed" : strerror(-r));
                if (x->msg)
                        (void) sd_bus_reply_method_errorf(x->msg, r == -ETIMEDOUT ? STASIS_ERROR_TIMEOUT :
                                                          STASIS_ERROR_PROVIDER_FAILED,
                                                          "Looking for orphan snapshots failed; see stasisd's log");
        } else if (x->msg)
                (void) sd_bus_reply_method_return(x->msg, "u", (uint32_t) r);
        else if (r > 0)
                log_warning("Found %d snapshot(s) in the snapshot stores that no set in the catalog holds "
                            "(orphans); they are kept. See them with 'stasis list --orphans', then "
                            "'stasis adopt SET-ID' or 'stasis delete-orphan HANDLE'.", r);
        orphan_scan_free(x);
        manager_commit_next(m);
}

int manager_scan_orphans_start(Manager *m, sd_bus_message *msg) {
        const StasisProvider *all[256];
        size_t n = stasis_providers_list(&m->providers, all, ELEMENTSOF(all)), n_list = 0;
        OrphanScan *x;
        int r;

        if (m->orphan_scan_running)
                return -EBUSY;
        for (size_t i = 0; i < n; i++)
                n_list += !!all[i]->list;
        x = calloc(1, sizeof *x);
        if (!x)
                return -ENOMEM;
        x->manager = m;
        x->msg = sd_bus_message_ref(msg);
        /* Each provider has its own time limit; the worker has them all, and a little. */
        r = worker_spawn(m->event, "list-orphans", n_list * STASIS_PROVIDER_LIST_TIMEOUT + 10 * USEC_PER_SEC,
                         worker_scan, x, on_scan_done, &x->worker);
        if (r < 0) {
                sd_bus_message_unref(x->msg);
                free(x);
                return log_error_errno(r, "Failed to start looking for orphan snapshots: %m");
        }
        /* Commits wait for it, as for removals: its end writes the catalog. */
        m->n_removing++;
        m->orphan_scan_running = x;
        return 0;
}

void manager_scan_orphans_cancel(Manager *m) {
        OrphanScan *x = m->orphan_scan_running;
        if (!x)
                return;
        worker_set_userdata(x->worker, NULL);
        orphan_scan_free(x);
        m->orphan_scan_running = NULL;
}

int manager_scan_orphans(Manager *m) {
        int r = manager_scan_orphans_start(m, NULL);
        if (r < 0)
                return r;
        /* At start-up, before the bus name is taken: nothing else waits on the loop yet. */
        while (m->orphan_scan_running) {
                r = sd_event_run(m->event, UINT64_MAX);
                if (r < 0 || sd_event_get_state(m->event) == SD_EVENT_FINISHED) {
                        manager_scan_orphans_cancel(m);
                        return r < 0 ? r : -ECANCELED;
                }
        }
        return 0;
}
