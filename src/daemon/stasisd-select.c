/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-select.c - which writer components and volumes take part in a set: selectors, then the closure */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-errors.h"
#include "echo.h"
#include "macro.h"
#include "stasisd-manager.h"
#include "stasisd-resolve.h"
#include "stasisd-select.h"
#include "stasisd-writer.h"
#include "strv.h"

void resolution_done(Resolution *x) {
        assert(x);
        for (size_t i = 0; i < x->n_pv; i++) {
                stasis_volume_done(&x->pv[i].volume);
                free(x->pv[i].key);
                free(x->pv[i].error);
        }
        free(x->pv);
        free(x->by_path);
        free(x->cands);
        volumes_free(x->vols, x->n_vols);
}

static bool name_valid(const char *s, size_t n) {
        if (n == 0 || n > WRITER_NAME_MAX || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || strchr("._-", s[i])))
                        return false;
        return true;
}

int selector_parse(const char *sel, Selector *ret) {
        const char *colon = strchr(sel, ':'), *end = colon ? colon : sel + strlen(sel);
        const char *at = memchr(sel, '@', (size_t) (end - sel));
        Selector x = { .writer = sel, .writer_len = (size_t) ((at ? at : end) - sel) };

        assert(ret);
        if (at) {
                x.instance = at + 1;
                x.instance_len = (size_t) (end - at - 1);
                if (!name_valid(x.instance, x.instance_len))
                        return -EINVAL;
        }
        if (colon) {
                x.component = colon + 1;
                if (isempty(x.component))
                        return -EINVAL;
        }
        if (!name_valid(x.writer, x.writer_len))
                return -EINVAL;
        *ret = x;
        return 0;
}

bool selector_matches(const Selector *x, const WriterMetadata *meta) {
        return strlen(meta->writer) == x->writer_len && strneq(meta->writer, x->writer, x->writer_len) &&
               (!x->instance || (strlen(meta->instance) == x->instance_len &&
                                 strneq(meta->instance, x->instance, x->instance_len)));
}

static bool have_volume(const Resolution *x, const char *key) {
        for (size_t i = 0; i < x->n_vols; i++)
                if (streq(x->vols[i].key, key))
                        return true;
        return false;
}

int resolution_select(Resolution *x, char **selectors, sd_bus_error *error) {
        assert(x);
        assert(x->b);
        STRV_FOREACH(sel, selectors) {
                Selector s;
                bool writer_found = false, found = false, unselectable = false;

                (void) selector_parse(*sel, &s);        /* checked when the call came */
                for (size_t i = 0; i < x->n_cands; i++) {
                        Candidate *k = &x->cands[i];
                        if (!selector_matches(&s, x->b->replies[k->writer].writer->meta))
                                continue;
                        writer_found = true;
                        if (s.component && !streq(s.component, k->component->name))
                                continue;
                        if (s.component && !k->component->selectable) {
                                unselectable = true;    /* it only comes along with its writer */
                                continue;
                        }
                        k->included = found = true;
                }
                if (!writer_found)
                        return sd_bus_error_setf(error, STASIS_ERROR_NO_SUCH_COMPONENT,
                                                 "Component %s: no writer %.*s%s%.*s is registered", ECHO(*sel),
                                                 (int) MIN(s.writer_len, ECHO_MAX), s.writer, s.instance ? "@" : "",
                                                 (int) MIN(s.instance_len, ECHO_MAX), strempty(s.instance));
                if (!found && unselectable)
                        return sd_bus_error_setf(error, STASIS_ERROR_NO_SUCH_COMPONENT,
                                                 "Component %s: component \"%s\" of writer %.*s is not selectable "
                                                 "(it comes along when its writer takes part)", ECHO(*sel), ECHO(s.component),
                                                 (int) MIN(s.component - 1 - *sel, ECHO_MAX), *sel);
                if (!found)
                        return sd_bus_error_setf(error, STASIS_ERROR_NO_SUCH_COMPONENT,
                                                 "Component %s: writer %.*s has no component \"%s\"", ECHO(*sel),
                                                 (int) MIN(s.component - 1 - *sel, ECHO_MAX), *sel, ECHO(s.component));
        }
        return 0;
}

bool resolution_writer_included(const Resolution *x, size_t writer) {
        for (size_t i = 0; i < x->n_cands; i++)
                if (x->cands[i].writer == writer && x->cands[i].included)
                        return true;
        return false;
}

/* Components join the set when selected, when one of their paths is on a
 * volume of the set, or when they are not selectable and their writer takes
 * part; every volume of a component that joins joins too. Until nothing
 * changes. */
int resolution_close_over(Resolution *x, sd_bus_error *error) {
        bool changed;

        assert(x);
        assert(x->b);
        assert(x->vols);
        do {
                changed = false;
                for (size_t i = 0; i < x->n_cands; i++) {
                        Candidate *k = &x->cands[i];
                        for (size_t p = 0; !k->included && p < k->n_paths; p++) {
                                const PathVolume *pv = &x->pv[k->first_path + p];
                                if (pv->key && have_volume(x, pv->key))
                                        k->included = changed = true;
                        }
                        if (!k->included && !k->component->selectable && resolution_writer_included(x, k->writer))
                                k->included = changed = true;
                }
                for (size_t i = 0; i < x->n_cands; i++) {
                        Candidate *k = &x->cands[i];
                        for (size_t p = 0; k->included && p < k->n_paths; p++) {
                                PathVolume *pv = &x->pv[k->first_path + p];
                                const Writer *w = x->b->replies[k->writer].writer;
                                if (pv->error)
                                        return sd_bus_error_setf(error, pv->error_name, "Component %s:%s: %s",
                                                                 w->display, k->component->name, pv->error);
                                /* The path may have changed since the writer
                                 * registered (a directory swapped for a
                                 * symbolic link): checked on the lookup that
                                 * found the volume. */
                                if (w->uid != 0 && pv->owner != w->uid)
                                        return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                                                 "Component %s:%s: %s is owned by uid %u, not by "
                                                                 "the writer's user (uid %u); a writer other than "
                                                                 "root may only name directories its user owns",
                                                                 w->display, k->component->name, ECHO(pv->path),
                                                                 (unsigned) pv->owner, (unsigned) w->uid);
                                if (have_volume(x, pv->key))
                                        continue;
                                if (x->n_vols >= MANAGER_VOLUMES_PER_SET_MAX)
                                        return sd_bus_error_setf(error, STASIS_ERROR_LIMIT_EXCEEDED,
                                                                 "The paths and components lie on more than %d "
                                                                 "volumes, the most one set may have",
                                                                 MANAGER_VOLUMES_PER_SET_MAX);
                                PathVolume *has = pv->same ?: pv;
                                x->vols[x->n_vols++] = has->volume;
                                has->volume = (StasisVolume) {};
                                changed = true;
                        }
                }
        } while (changed);
        return 0;
}

ssize_t resolution_volume_index(const Resolution *x, const char *key) {
        for (size_t i = 0; i < x->n_vols; i++)
                if (streq(x->vols[i].key, key))
                        return (ssize_t) i;
        return -1;
}

