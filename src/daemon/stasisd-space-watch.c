/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-space-watch.c - snapshots that fill up: grow them, release sets that are not persistent to make room, mark the lost ones invalid */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <json-c/json.h>

#include "exec-call.h"
#include "list.h"
#include "log.h"
#include "macro.h"
#include "stasisd-config.h"
#include "stasisd-set-commit.h"
#include "stasisd-set-events.h"
#include "stasisd-set-phase.h"
#include "stasisd-set.h"
#include "stasisd-space-watch.h"
#include "stasisd-worker.h"

#define WATCH_PROVIDERS_MAX 256
#define WATCH_VOLUMES_MAX   4096        /* asked about in one round; the oldest sets first */

typedef struct SpaceWatch {
        Manager *manager;
        sd_event_source *timer;
        Worker *worker;
        usec_t interval;
        unsigned extend_at, extend_by;          /* percent */
        /* Providers that do not know the space verb, and the last failure
         * logged of each other one (logged again only when it changes). */
        const StasisProvider *unsupported[WATCH_PROVIDERS_MAX];
        size_t n_unsupported;
        struct { const StasisProvider *provider; char *message; } failures[WATCH_PROVIDERS_MAX];
        size_t n_failures;
} SpaceWatch;

static bool unsupported(const SpaceWatch *w, const StasisProvider *p) {
        for (size_t i = 0; i < w->n_unsupported; i++)
                if (w->unsupported[i] == p)
                        return true;
        return false;
}

static bool watched(const Set *s) {
        return (s->state == SET_CREATED || s->state == SET_MISSING) && s->phase == SET_PHASE_IDLE;
}

/* Whether a round has anything to ask: a made set with a snapshot of a
 * provider that can tell how full it is. */
static bool anything_to_watch(const SpaceWatch *w) {
        LIST_FOREACH(sets, s, w->manager->sets)
                for (size_t i = 0; watched(s) && i < s->n_volumes; i++) {
                        const StasisProvider *p = s->volumes[i].provider;
                        if (p && p->space && !unsupported(w, p))
                                return true;
                }
        return false;
}

/* ---- in the worker ---- */

static void add_string(json_object *o, const char *key, const char *value) {
        if (value && *value)
                json_object_object_add(o, key, json_object_new_string(value));
}

static void add_int(json_object *o, const char *key, int64_t value) {
        json_object_object_add(o, key, json_object_new_int64(value));
}

/* The size a snapshot of size grows to: by extend_by percent, in whole steps. */
static uint64_t grown_size(uint64_t size, unsigned extend_by, uint64_t step) {
        uint64_t add = size / 100 * extend_by + size % 100 * extend_by / 100;
        if (step > 0)
                add = (add + step - 1) / step * step;
        return size + MAX(add, (uint64_t) 1);
}

static json_object *entry_of(const Set *s, size_t idx, const StasisSpace *sp) {
        json_object *o = json_object_new_object();
        add_int(o, "set", (int64_t) s->id_num);
        add_int(o, "index", (int64_t) idx);
        json_object_object_add(o, "exists", json_object_new_boolean(sp->exists));
        json_object_object_add(o, "growable", json_object_new_boolean(sp->growable));
        json_object_object_add(o, "invalid", json_object_new_boolean(sp->invalid));
        add_int(o, "used", sp->used);
        add_int(o, "size", (int64_t) sp->size);
        add_int(o, "room", (int64_t) sp->room);
        add_string(o, "group", sp->group);
        add_string(o, "pool", sp->pool);
        add_int(o, "pool_data", sp->pool_data);
        add_int(o, "pool_metadata", sp->pool_metadata);
        return o;
}

/* Asks p about the snapshots of the watched sets, grows those that need it
 * and can, and adds what it found to out. */
static int watch_provider(SpaceWatch *w, const StasisProvider *p, json_object *out, json_object *failures) {
        const StasisVolume **vols = NULL;
        const Set **owners = NULL;
        size_t *idx = NULL, n = 0;
        StasisSpace *space = NULL;
        StasisProviderResult res = {};
        int r = 0;

        vols = calloc(WATCH_VOLUMES_MAX, sizeof *vols);
        owners = calloc(WATCH_VOLUMES_MAX, sizeof *owners);
        idx = calloc(WATCH_VOLUMES_MAX, sizeof *idx);
        if (!vols || !owners || !idx) {
                r = -ENOMEM;
                goto done;
        }
        LIST_FOREACH(sets, s, w->manager->sets) {
                if (!watched(s))
                        continue;
                for (size_t i = 0; i < s->n_volumes && n < WATCH_VOLUMES_MAX; i++)
                        if (s->volumes[i].provider == p && s->volumes[i].handle && !s->volumes[i].missing) {
                                vols[n] = &s->volumes[i];
                                owners[n] = s;
                                idx[n++] = i;
                        }
        }
        if (n == 0)
                goto done;
        space = calloc(n, sizeof *space);
        if (!space) {
                r = -ENOMEM;
                goto done;
        }
        r = p->space(p, vols, n, space, &res);
        if (r < 0) {
                json_object *f = json_object_new_object();
                add_string(f, "provider", p->name);
                add_string(f, "message", res.message[0] ? res.message : strerror(-r));
                json_object_object_add(f, "unsupported", json_object_new_boolean(strstr(res.message, "unknown verb") != NULL));
                json_object_array_add(failures, f);
                r = 0;
                goto done;
        }
        for (size_t i = 0; i < n; i++) {
                StasisSpace *sp = &space[i];
                json_object *o = entry_of(owners[i], idx[i], sp);
                if (sp->known && sp->exists && sp->growable && !sp->invalid && p->extend &&
                    sp->used >= (int) w->extend_at * 100) {
                        uint64_t want = grown_size(sp->size, w->extend_by, sp->step), now = 0;
                        if (want - sp->size <= sp->room) {
                                StasisProviderResult er = {};
                                if (p->extend(p, vols[i], want, &now, &er) < 0)
                                        add_string(o, "extend_error", er.message[0] ? er.message : "failed");
                                else
                                        add_int(o, "grown_to", (int64_t) now);
                        }
                }
                json_object_array_add(out, o);
        }
done:
        free(vols);
        free(owners);
        free(idx);
        free(space);
        return r;
}

static int worker_watch(int fd, void *userdata) {
        SpaceWatch *w = userdata;
        const StasisProvider *all[WATCH_PROVIDERS_MAX];
        size_t n = stasis_providers_list(&w->manager->providers, all, ELEMENTSOF(all));
        json_object *o = json_object_new_object(), *out = json_object_new_array(), *failures = json_object_new_array();

        for (size_t i = 0; i < n; i++)
                if (all[i]->space && !unsupported(w, all[i]) && watch_provider(w, all[i], out, failures) < 0)
                        return 1;
        json_object_object_add(o, "snapshots", out);
        json_object_object_add(o, "failures", failures);
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        return worker_write_all(fd, s, strlen(s)) < 0 ? 1 : 0;
}

/* ---- in the daemon ---- */

static int64_t get_int(json_object *o, const char *key) {
        json_object *j;
        return json_object_object_get_ex(o, key, &j) && json_object_is_type(j, json_type_int) ?
               json_object_get_int64(j) : -1;
}

static bool get_bool(json_object *o, const char *key) {
        json_object *j;
        return json_object_object_get_ex(o, key, &j) && json_object_get_boolean(j);
}

static Set *set_of(Manager *m, json_object *o, StasisVolume **ret_v) {
        char id[24];
        int64_t n = get_int(o, "set"), i = get_int(o, "index");
        snprintf(id, sizeof id, "%" PRId64, n);
        Set *s = n > 0 ? manager_find_set(m, id) : NULL;
        if (!s || !watched(s) || i < 0 || (size_t) i >= s->n_volumes)
                return NULL;
        *ret_v = &s->volumes[i];
        return s;
}

static void log_failure(SpaceWatch *w, json_object *f) {
        const char *name = json_get_string(f, "provider"), *message = json_get_string(f, "message");
        const StasisProvider *p = name ? stasis_provider_find(&w->manager->providers, name) : NULL;
        size_t i;

        if (!p || !message)
                return;
        if (get_bool(f, "unsupported")) {
                if (w->n_unsupported < WATCH_PROVIDERS_MAX)
                        w->unsupported[w->n_unsupported++] = p;
                log_debug("Provider %s does not tell how full its snapshots are; the space watch leaves them be.",
                          p->name);
                return;
        }
        for (i = 0; i < w->n_failures && w->failures[i].provider != p; i++)
                ;
        if (i < w->n_failures && w->failures[i].message && streq(w->failures[i].message, message))
                return;
        if (i == w->n_failures) {
                if (i == WATCH_PROVIDERS_MAX)
                        return;
                w->failures[w->n_failures++].provider = p;
        }
        free(w->failures[i].message);
        w->failures[i].message = strdup(message);
        log_warning("Cannot tell how full the snapshots of provider %s are: %s", p->name, message);
}

static const char *percent(int64_t hundredths, char buf[static 48]) {
        snprintf(buf, 48, "%" PRId64 ".%02" PRId64 "%%", hundredths / 100, hundredths % 100);
        return buf;
}

static const char *bytes(int64_t b, char buf[static 32]) {
        static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
        double x = (double) b;
        size_t u = 0;
        while (x >= 1024 && u + 1 < ELEMENTSOF(units)) {
                x /= 1024;
                u++;
        }
        snprintf(buf, 32, u == 0 ? "%.0f %s" : "%.1f %s", x, units[u]);
        return buf;
}

/* The oldest set that is not persistent, not busy, not mounted and has no
 * open view, with a
 * snapshot in the same group (or thin pool) as entry o says. */
static Set *expendable(Manager *m, json_object *all, const char *key, const char *value) {
        LIST_FOREACH(sets, c, m->sets) {
                if (c->persistent || !watched(c) || c->view || c->n_open_views > 0)
                        continue;
                for (size_t k = 0; k < json_object_array_length(all); k++) {
                        json_object *e = json_object_array_get_idx(all, k);
                        const char *v = json_get_string(e, key);
                        if (get_int(e, "set") == (int64_t) c->id_num && v && streq(v, value))
                                return c;
                }
        }
        return NULL;
}

/* Whether a and b say the same but for their figures. */
static bool same_but_figures(const char *a, const char *b) {
        for (;;) {
                while (*a >= '0' && *a <= '9')
                        a++;
                while (*b >= '0' && *b <= '9')
                        b++;
                if (*a != *b)
                        return false;
                if (!*a)
                        return true;
                a++;
                b++;
        }
}

/* Whether the set's newest event already says text, figures aside (so that
 * a state that lasts is told once, not at every look). */
static bool told(const Set *s, const char *text) {
        const char *last = set_last_event(s);
        return last && same_but_figures(last, text);
}

/* Releases a set to make room for the snapshot of v in s, or says it cannot. */
static void make_room(Manager *m, json_object *all, Set *s, StasisVolume *v, const char *key, const char *where,
                      const char *what) {
        char text[SET_EVENT_TEXT_MAX];
        Set *c = expendable(m, all, key, where);

        if (!c) {
                snprintf(text, sizeof text, "snapshot %s of %s: %s, and no set that is not persistent has a "
                         "snapshot there to release for room; it is lost when full", v->handle, v->path, what);
                if (!told(s, text))
                        (void) set_add_event(s, LOG_WARNING, "%s", text);
                return;
        }
        if (c != s)
                (void) set_add_event(s, LOG_WARNING, "snapshot %s of %s: %s; released set %s (not persistent, the "
                                     "oldest with a snapshot there) to make room", v->handle, v->path, what, c->id);
        else
                log_warning("Set %s: snapshot %s of %s: %s; releasing the set (not persistent, the oldest with a "
                            "snapshot there) before the snapshot is lost.", s->id, v->handle, v->path, what);
        (void) set_delete(c, NULL, NULL);
}

static void apply_one(SpaceWatch *w, json_object *all, json_object *o, bool *released) {
        Manager *m = w->manager;
        StasisVolume *v = NULL;
        Set *s = set_of(m, o, &v);
        char p1[48], p2[48], b1[32], b2[32], what[256];
        const char *group = json_get_string(o, "group"), *pool = json_get_string(o, "pool");
        int64_t used = get_int(o, "used"), size = get_int(o, "size"), grown = get_int(o, "grown_to");
        int64_t at = (int64_t) w->extend_at * 100;

        if (!s || !get_bool(o, "exists"))
                return;         /* a vanished snapshot is the reconciliation's to tell */
        if (get_bool(o, "invalid")) {
                char reason[SET_EVENT_TEXT_MAX];
                snprintf(reason, sizeof reason, "snapshot %s of %s is invalid: it filled up (%s) and its provider "
                         "dropped it; the set cannot be read, only deleted", v->handle, v->path, bytes(size, b1));
                free(s->error);
                s->error = strdup(reason);
                set_change_state(s, SET_INVALID, NULL);
                (void) set_add_event(s, LOG_ERR, "%s", reason);
                return;
        }
        if (grown > 0) {
                (void) set_add_event(s, LOG_NOTICE, "snapshot %s of %s was %s full: grown from %s to %s", v->handle,
                                     v->path, percent(used, p1), bytes(size, b1), bytes(grown, b2));
                return;
        }
        if (json_get_string(o, "extend_error")) {
                snprintf(what, sizeof what, "%s full, and it could not be grown: %s", percent(used, p1),
                         json_get_string(o, "extend_error"));
                char text[SET_EVENT_TEXT_MAX];
                snprintf(text, sizeof text, "snapshot %s of %s is %s", v->handle, v->path, what);
                if (!told(s, text))
                        (void) set_add_event(s, LOG_WARNING, "%s", text);
                return;
        }
        if (get_bool(o, "growable") && used >= at && group && !*released) {
                snprintf(what, sizeof what, "%s full, and volume group %s has %s free, too little to grow it",
                         percent(used, p1), group, bytes(get_int(o, "room"), b1));
                make_room(m, all, s, v, "group", group, what);
                *released = true;
                return;
        }
        int64_t pd = get_int(o, "pool_data"), pm = get_int(o, "pool_metadata");
        if (pool && (pd >= at || pm >= at) && !*released) {
                snprintf(what, sizeof what, "its thin pool %s is %s full (data) and %s (metadata)", pool,
                         percent(MAX(pd, 0), p1), percent(MAX(pm, 0), p2));
                make_room(m, all, s, v, "pool", pool, what);
                *released = true;
        }
}

static void arm(SpaceWatch *w);

static void on_watch_done(Worker *wk, int status, const void *data, size_t size, void *userdata) {
        SpaceWatch *w = userdata;
        Manager *m = w->manager;
        json_object *result = NULL, *snaps, *failures;
        bool released = false;

        w->worker = NULL;
        m->n_removing--;
        if (status >= 0) {
                char *text = strndup(data ? (const char *) data : "", size);
                result = text ? json_tokener_parse(text) : NULL;
                free(text);
        }
        /* File systems were frozen meanwhile (an external set): nothing may
         * be written now; the next round sees the same again. */
        if (result && m->holding) {
                json_object_put(result);
                result = NULL;
                status = 0;
                log_debug("The space watch's round ended while file systems are held; its findings wait for "
                          "the next round.");
        } else if (!result)
                log_warning("The space watch failed (%s); it looks again in %" PRIu64 " s.",
                            status == -ETIMEDOUT ? "it did not finish in time" :
                            status < 0 ? strerror(-status) : "its result cannot be read",
                            (uint64_t) (w->interval / USEC_PER_SEC));
        if (result && json_object_object_get_ex(result, "failures", &failures))
                for (size_t i = 0; i < json_object_array_length(failures); i++)
                        log_failure(w, json_object_array_get_idx(failures, i));
        /* At most one set is released a round: the next round sees what it freed. */
        if (result && json_object_object_get_ex(result, "snapshots", &snaps))
                for (size_t i = 0; i < json_object_array_length(snaps); i++)
                        apply_one(w, snaps, json_object_array_get_idx(snaps, i), &released);
        json_object_put(result);
        manager_commit_next(m);
        arm(w);
}

static int on_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        SpaceWatch *w = userdata;
        Manager *m = w->manager;
        int r;

        /* Never next to a commit: growing an LV suspends its origin. */
        if (m->committing || m->holding || w->worker || !anything_to_watch(w)) {
                arm(w);
                return 0;
        }
        r = worker_spawn(m->event, "space-watch", 2 * STASIS_PROVIDER_SPACE_TIMEOUT + 120 * USEC_PER_SEC,
                         worker_watch, w, on_watch_done, &w->worker);
        if (r < 0) {
                log_warning_errno(r, "Failed to start the space watch: %m");
                arm(w);
                return 0;
        }
        m->n_removing++;
        return 0;
}

static void arm(SpaceWatch *w) {
        int r = sd_event_source_set_time_relative(w->timer, w->interval);
        if (r >= 0)
                r = sd_event_source_set_enabled(w->timer, SD_EVENT_ONESHOT);
        if (r < 0)
                log_error_errno(r, "Failed to re-arm the space watch: %m");
}

int manager_space_watch_start(Manager *m) {
        usec_t interval = config_space_watch_usec(m->config);
        SpaceWatch *w;
        int r;

        if (interval == 0) {
                log_info("The space watch is off ([Space] WatchIntervalSec=0).");
                return 0;
        }
        w = calloc(1, sizeof *w);
        if (!w)
                return log_oom();
        *w = (SpaceWatch) {
                .manager = m,
                .interval = interval,
                .extend_at = config_extend_at_percent(m->config),
                .extend_by = config_extend_by_percent(m->config),
        };
        r = sd_event_add_time_relative(m->event, &w->timer, CLOCK_MONOTONIC, interval, interval / 10, on_timer, w);
        if (r < 0) {
                free(w);
                return log_error_errno(r, "Failed to start the space watch: %m");
        }
        m->space_watch = w;
        return 0;
}

void manager_space_watch_free(Manager *m) {
        SpaceWatch *w = m->space_watch;
        if (!w)
                return;
        if (w->worker)
                worker_set_userdata(w->worker, NULL);
        sd_event_source_disable_unref(w->timer);
        for (size_t i = 0; i < w->n_failures; i++)
                free(w->failures[i].message);
        free(w);
        m->space_watch = NULL;
}
