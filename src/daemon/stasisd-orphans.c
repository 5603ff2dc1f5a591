/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-orphans.c - snapshots in the providers' stores that the catalog does not know */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bus-errors.h"
#include "log.h"
#include "macro.h"
#include "stasisd-commit.h"
#include "stasisd-orphans-scan.h"
#include "stasisd-set-commit.h"
#include "stasisd-orphans.h"
#include "stasisd-set-bus.h"
#include "stasisd-set.h"
#include "stasisd-worker.h"

void orphans_free(Orphan *o, size_t n) {
        for (size_t i = 0; o && i < n; i++) {
                stasis_volume_done(&o[i].snapshot.volume);
                free(o[i].snapshot.set_id);
        }
        free(o);
}

Orphan *manager_find_orphan(Manager *m, const char *handle) {
        for (size_t i = 0; i < m->n_orphans; i++)
                if (streq(m->orphans[i].snapshot.volume.handle, handle))
                        return &m->orphans[i];
        return NULL;
}

void manager_drop_orphan(Manager *m, Orphan *o) {
        size_t i = (size_t) (o - m->orphans);
        assert(i < m->n_orphans);
        stasis_volume_done(&o->snapshot.volume);
        free(o->snapshot.set_id);
        memmove(o, o + 1, (m->n_orphans - i - 1) * sizeof *o);
        m->n_orphans--;
}

/* ---- deleting one ---- */

typedef struct OrphanRemoval {
        Manager *manager;
        sd_bus_message *msg;
        StasisVolume volume;            /* what the provider's remove takes: handle, key and what else is known */
} OrphanRemoval;

static void orphan_removal_free(OrphanRemoval *x) {
        sd_bus_message_unref(x->msg);
        stasis_volume_done(&x->volume);
        free(x);
}

static int worker_remove_orphan(int fd, void *userdata) {
        OrphanRemoval *x = userdata;
        return remove_run(fd, &x->volume, 1);
}

static void on_orphan_removed(Worker *w, int status, const void *data, size_t size, void *userdata) {
        OrphanRemoval *x = userdata;
        Manager *m = x->manager;
        const StasisProviderResult *res = data;
        Orphan *o = manager_find_orphan(m, x->volume.handle);
        char msg[512];

        m->n_removing--;
        if (o)
                o->removing = false;
        if (status == -ETIMEDOUT)
                snprintf(msg, sizeof msg, "deleting it did not finish within %g s; the worker was killed",
                         (double) m->commit_timeout / USEC_PER_SEC);
        else if (status < 0 || size != sizeof *res)
                snprintf(msg, sizeof msg, "the worker deleting it crashed or sent a malformed result (%zu bytes)", size);
        else if (res->error < 0)
                snprintf(msg, sizeof msg, "%.*s", (int) sizeof res->message, res->message);
        else
                msg[0] = 0;
        if (msg[0]) {
                log_error("Orphan snapshot %s: deleting failed: %s", x->volume.handle, msg);
                (void) sd_bus_reply_method_errorf(x->msg, status == -ETIMEDOUT ? STASIS_ERROR_TIMEOUT :
                                                  STASIS_ERROR_PROVIDER_FAILED,
                                                  "Deleting orphan snapshot %s failed: %s", x->volume.handle, msg);
        } else {
                log_info("Orphan snapshot %s deleted.", x->volume.handle);
                manager_scan_orphans_forget(m, x->volume.handle);
                if (o)
                        manager_drop_orphan(m, o);
                (void) sd_bus_reply_method_return(x->msg, "");
        }
        orphan_removal_free(x);
        manager_commit_next(m);
}

int orphan_delete(Manager *m, Orphan *o, sd_bus_message *msg, sd_bus_error *error) {
        OrphanRemoval *x;
        int r;

        if (o->removing)
                return sd_bus_error_setf(error, STASIS_ERROR_BUSY, "Orphan snapshot %s is being deleted already",
                                         o->snapshot.volume.handle);
        x = calloc(1, sizeof *x);
        if (!x)
                return -ENOMEM;
        x->manager = m;
        x->msg = sd_bus_message_ref(msg);
        x->volume.provider = o->provider;
        x->volume.handle = strdup(o->snapshot.volume.handle);
        x->volume.key = strdup(o->snapshot.volume.key);
        /* What the store told of it, which an external provider's delete gets too. */
        const StasisVolume *f = &o->snapshot.volume;
        bool ok = true;
        struct { const char *from; char **to; } more[] = {
                { f->source, &x->volume.source }, { f->path, &x->volume.path },
                { f->mount_point, &x->volume.mount_point }, { f->device, &x->volume.device },
                { f->fstype, &x->volume.fstype },
        };
        for (size_t i = 0; i < ELEMENTSOF(more); i++)
                if (more[i].from && !(*more[i].to = strdup(more[i].from)))
                        ok = false;
        if (!ok || !x->volume.handle || !x->volume.key) {
                orphan_removal_free(x);
                return -ENOMEM;
        }
        r = worker_spawn(m->event, "remove-orphan", m->commit_timeout, worker_remove_orphan, x,
                         on_orphan_removed, NULL);
        if (r < 0) {
                orphan_removal_free(x);
                log_error_errno(r, "Orphan snapshot %s: failed to start deleting it: %m", o->snapshot.volume.handle);
                return sd_bus_error_set_errnof(error, r, "Failed to start deleting orphan snapshot %s: %m",
                                               o->snapshot.volume.handle);
        }
        /* Commits wait for removals (no catalog write may fall in a hold). */
        m->n_removing++;
        o->removing = true;
        return 1;
}

/* ---- adopting ---- */

static int compare_index(const void *a, const void *b) {
        const Orphan *x = *(const Orphan * const *) a, *y = *(const Orphan * const *) b;
        return x->snapshot.index < y->snapshot.index ? -1 : x->snapshot.index > y->snapshot.index;
}

int orphans_adopt(Manager *m, const char *id, uid_t uid, Set **ret, sd_bus_error *error) {
        _cleanup_free_ Orphan **mine = NULL;
        CatalogSet cs = {};
        size_t n = 0;
        Set *s;
        int r;

        if (manager_find_set(m, id))
                return sd_bus_error_setf(error, STASIS_ERROR_SET_EXISTS,
                                         "Snapshot set %s exists; orphans with its id cannot be made a set. "
                                         "Delete them with DeleteOrphan", id);
        if (m->n_sets >= MANAGER_SETS_MAX)
                return sd_bus_error_setf(error, STASIS_ERROR_LIMIT_EXCEEDED,
                                         "There are already %u snapshot sets, the most stasisd keeps; delete some",
                                         m->n_sets);
        mine = calloc(MAX(m->n_orphans, (size_t) 1), sizeof *mine);
        if (!mine)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_orphans; i++)
                if (streq(m->orphans[i].snapshot.set_id, id)) {
                        if (m->orphans[i].removing)
                                return sd_bus_error_setf(error, STASIS_ERROR_BUSY,
                                                         "Orphan snapshot %s is being deleted",
                                                         m->orphans[i].snapshot.volume.handle);
                        mine[n++] = &m->orphans[i];
                }
        if (n == 0)
                return sd_bus_error_setf(error, STASIS_ERROR_NO_SUCH_ORPHAN,
                                         "No orphan snapshot has set id %s (see ListOrphans)", id);
        if (n > MANAGER_VOLUMES_PER_SET_MAX)
                return sd_bus_error_setf(error, STASIS_ERROR_LIMIT_EXCEEDED,
                                         "%zu orphan snapshots have set id %s; a set has at most %d volumes",
                                         n, id, MANAGER_VOLUMES_PER_SET_MAX);
        qsort(mine, n, sizeof *mine, compare_index);

        cs = (CatalogSet) {
                .id = strtoull(id, NULL, 10),
                .created = now_usec(CLOCK_REALTIME),
                .label = strdup(""),
                .persistent = true,
                .owner_uid = uid,
                .state = strdup(set_state_to_string(SET_CREATED)),
                /* Nothing says the volumes were held together or writers frozen. */
                .consistency = strdup("per-volume"),
                .volumes = calloc(n, sizeof(StasisVolume)),
                .n_volumes = n,
        };
        if (!cs.label || !cs.state || !cs.consistency || !cs.volumes) {
                catalog_set_done(&cs);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                StasisVolume *v = &cs.volumes[i];
                if (mine[i]->snapshot.created > 0)
                        cs.created = MIN(cs.created, mine[i]->snapshot.created);
                const StasisVolume *f = &mine[i]->snapshot.volume;
                v->provider = mine[i]->provider;
                if (!(v->handle = strdup(f->handle)) || !(v->key = strdup(f->key)) ||
                    !(v->path = strdup(strempty(f->path))) || !(v->mount_point = strdup(strempty(f->mount_point))) ||
                    !(v->device = strdup(strempty(f->device))) || !(v->fstype = strdup(strempty(f->fstype))) ||
                    !(v->source = strdup(strempty(f->source)))) {
                        catalog_set_done(&cs);
                        return -ENOMEM;
                }
        }
        r = catalog_adopt_set(m->catalog, &cs);
        if (r < 0) {
                log_error_errno(r, "Failed to record adopted set %s in the catalog: %s", id,
                                catalog_last_error(m->catalog));
                catalog_set_done(&cs);
                return sd_bus_error_set_errnof(error, r, "Failed to record set %s in the catalog: %m", id);
        }
        r = set_load(m, &cs, &s);
        catalog_set_done(&cs);
        if (r < 0)
                return log_oom();

        /* By handle: dropping one moves the others, which mine points to. */
        for (size_t i = 0; i < s->n_volumes; i++) {
                Orphan *o = manager_find_orphan(m, s->volumes[i].handle);
                if (o)
                        manager_drop_orphan(m, o);
        }
        log_info("Set %s adopted from %zu orphan snapshot(s).", s->id, s->n_volumes);
        (void) sd_bus_emit_object_added(m->bus, s->object_path);
        *ret = s;
        return 0;
}
