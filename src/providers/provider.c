/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* provider.c - the registry of built-in providers and probing by priority */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "macro.h"
#include "provider.h"
#include "strv.h"

static const StasisProvider * const builtin_providers[] = {
        &provider_btrfs,
};


void stasis_volume_done(StasisVolume *v) {
        if (!v)
                return;
        free(v->path);
        free(v->mount_point);
        free(v->device);
        free(v->fstype);
        free(v->source);
        free(v->key);
        free(v->handle);
        strv_free(v->details);
        *v = (StasisVolume) {};
}

void stasis_stored_snapshots_free(StasisStoredSnapshot *s, size_t n) {
        for (size_t i = 0; s && i < n; i++) {
                stasis_volume_done(&s[i].volume);
                free(s[i].set_id);
        }
        free(s);
}

int stasis_provider_result_set(StasisProviderResult *res, int error, const char *fmt, ...) {
        va_list ap;

        res->error = error;
        va_start(ap, fmt);
        vsnprintf(res->message, sizeof res->message, fmt, ap);
        va_end(ap);
        return error;
}

size_t stasis_providers_list(const StasisProviders *providers, const StasisProvider **ret, size_t max) {
        size_t n = 0;
        for (size_t i = 0; i < ELEMENTSOF(builtin_providers) && n < max; i++)
                ret[n++] = builtin_providers[i];
        for (size_t i = 0; providers && i < providers->n_external && n < max; i++)
                ret[n++] = providers->external[i];
        return n;
}

const StasisProvider *stasis_provider_find(const StasisProviders *providers, const char *name) {
        const StasisProvider *all[ELEMENTSOF(builtin_providers) + STASIS_PROVIDERS_EXTERNAL_MAX];
        size_t n = stasis_providers_list(providers, all, ELEMENTSOF(all));
        if (streq(name, provider_external.name))
                return &provider_external;      /* in sets, never listed nor probed with the others */
        for (size_t i = 0; i < n; i++)
                if (streq(all[i]->name, name))
                        return all[i];
        return NULL;
}

static int probe_one(const StasisProvider *p, const MountEntry *m, const char *path, StasisVolume *v,
                     const StasisProvider **best, int *best_prio, StasisProviderResult *res) {
        StasisVolume probe = {};
        int r;

        if (p->version != STASIS_PROVIDER_OPS_VERSION || p->size != sizeof(StasisProvider))
                return 0;
        r = p->probe(p, m, path, &probe, res);
        if (r < 0) {
                stasis_volume_done(&probe);
                return r;     /* its kind, but it cannot take it: that reason wins */
        }
        if (r > *best_prio) {
                stasis_volume_done(v);
                *v = probe;
                *best = p;
                *best_prio = r;
        } else
                stasis_volume_done(&probe);
        return 0;
}

int stasis_provider_probe(const StasisProviders *providers, const MountEntry *m, const char *path, StasisVolume *v,
                          StasisProviderResult *res) {
        const StasisProvider *best = NULL;
        int best_prio = 0, r;

        if (providers && providers->only) {
                r = probe_one(providers->only, m, path, v, &best, &best_prio, res);
                if (r < 0)
                        return r;
                if (!best)
                        return stasis_provider_result_set(res, -EOPNOTSUPP, "%s cannot be taken by provider %s",
                                                          path, providers->only->name);
                v->provider = best;
                res->error = 0;
                res->message[0] = 0;
                return 0;
        }

        /* Built-in providers first; external ones are asked only about volumes
         * no built-in provider takes, so running executables costs nothing for
         * the common case. */
        for (size_t i = 0; i < ELEMENTSOF(builtin_providers); i++) {
                r = probe_one(builtin_providers[i], m, path, v, &best, &best_prio, res);
                if (r < 0)
                        return r;
        }
        bool builtin = best != NULL;
        for (size_t i = 0; !builtin && providers && i < providers->n_external; i++) {
                r = probe_one(providers->external[i], m, path, v, &best, &best_prio, res);
                if (r < 0)
                        return r;
        }

        if (!best)
                return stasis_provider_result_set(res, -EOPNOTSUPP,
                                "%s is on a %s file system (%s at %s), which no provider can snapshot",
                                path, m->fstype, m->source, m->mount_point);
        v->provider = best;
        res->error = 0;
        res->message[0] = 0;
        return 0;
}

const char *stasis_volume_view_path(const StasisVolume *v) {
        if (v->provider && v->provider->snapshots_directory && v->source && v->source[0] == '/')
                return v->source;
        return v->mount_point;
}
