/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-event-paths.c - where each component path is inside the snapshots: sent with PrepareSnapshot, told at PostSnapshot */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stasis-writer-internal.h"

void path_snapshots_free(PathSnapshots *p) {
        if (!p)
                return;
        for (size_t i = 0; i < p->n; i++) {
                free(p->items[i].path);
                free(p->items[i].in_snapshot);
        }
        free(p->items);
        free(p->set_id);
        free(p);
}

/* Option "paths" (a(sus)) of PrepareSnapshot for set, kept until its PostSnapshot or Abort. */
int writer_read_paths(StasisWriter *w, const char *set, sd_bus_message *m) {
        PathSnapshots *p = calloc(1, sizeof(PathSnapshots));
        const char *path, *rel;
        uint32_t index;
        int r;

        if (!p || !(p->set_id = strdup(set))) {
                path_snapshots_free(p);
                return -ENOMEM;
        }
        r = sd_bus_message_enter_container(m, 'v', "a(sus)");
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "(sus)");
        while (r >= 0 && (r = sd_bus_message_read(m, "(sus)", &path, &index, &rel)) > 0) {
                PathSnapshot *l;
                if (p->n >= WRITER_EVENT_ITEMS_MAX) {
                        r = -EBADMSG;
                        break;
                }
                l = realloc(p->items, sizeof(PathSnapshot) * (p->n + 1));
                if (!l) {
                        r = -ENOMEM;
                        break;
                }
                p->items = l;
                l[p->n] = (PathSnapshot) { strdup(path), index, strdup(rel) };
                if (!l[p->n].path || !l[p->n].in_snapshot) {
                        free(l[p->n].path);
                        free(l[p->n].in_snapshot);
                        r = -ENOMEM;
                        break;
                }
                p->n++;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0) {
                path_snapshots_free(p);
                return r;
        }
        /* One per set; the oldest goes when too many sets are prepared at once. */
        path_snapshots_free(writer_take_paths(w, set));
        if (w->n_paths >= WRITER_PATHS_SETS_MAX) {
                path_snapshots_free(w->paths[0]);
                memmove(w->paths, w->paths + 1, sizeof(PathSnapshots *) * (w->n_paths - 1));
                w->n_paths--;
        }
        w->paths[w->n_paths++] = p;
        return 0;
}

PathSnapshots *writer_take_paths(StasisWriter *w, const char *set) {
        for (size_t i = 0; i < w->n_paths; i++)
                if (streq(w->paths[i]->set_id, set)) {
                        PathSnapshots *p = w->paths[i];
                        memmove(w->paths + i, w->paths + i + 1, sizeof(PathSnapshots *) * (w->n_paths - i - 1));
                        w->n_paths--;
                        return p;
                }
        return NULL;
}

void writer_paths_clear(StasisWriter *w) {
        for (size_t i = 0; i < w->n_paths; i++)
                path_snapshots_free(w->paths[i]);
        w->n_paths = 0;
}

int stasis_event_get_path_snapshot(const StasisEvent *e, const char *path, const char **ret_snapshot,
                                   const char **ret_path_in_snapshot) {
        if (!e || !path)
                return -EINVAL;
        if (e->type != STASIS_EVENT_POST_SNAPSHOT)
                return -EOPNOTSUPP;
        for (size_t i = 0; e->paths && i < e->paths->n; i++) {
                const PathSnapshot *x = &e->paths->items[i];
                if (!streq(x->path, path))
                        continue;
                if (x->index >= e->n_snapshots)
                        return -ENOENT;         /* stasisd said otherwise at PostSnapshot */
                if (ret_snapshot)
                        *ret_snapshot = e->snapshots[x->index].snapshot;
                if (ret_path_in_snapshot)
                        *ret_path_in_snapshot = x->in_snapshot;
                return 0;
        }
        return -ENOENT;
}
