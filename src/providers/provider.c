/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* provider.c - the registry of built-in providers and probing by priority */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "macro.h"
#include "provider.h"

const StasisProvider * const stasis_providers[] = {
        &provider_btrfs,
        NULL,
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
        *v = (StasisVolume) {};
}

int stasis_provider_result_set(StasisProviderResult *res, int error, const char *fmt, ...) {
        va_list ap;

        res->error = error;
        va_start(ap, fmt);
        vsnprintf(res->message, sizeof res->message, fmt, ap);
        va_end(ap);
        return error;
}

const StasisProvider *stasis_provider_find(const char *name) {
        for (size_t i = 0; stasis_providers[i]; i++)
                if (streq(stasis_providers[i]->name, name))
                        return stasis_providers[i];
        return NULL;
}

int stasis_provider_probe(const MountEntry *m, const char *path, StasisVolume *v, StasisProviderResult *res) {
        const StasisProvider *best = NULL;
        int best_prio = 0;

        for (size_t i = 0; stasis_providers[i]; i++) {
                const StasisProvider *p = stasis_providers[i];
                StasisVolume probe = {};
                int r;

                if (p->version != STASIS_PROVIDER_OPS_VERSION || p->size != sizeof(StasisProvider))
                        continue;
                r = p->probe(m, path, &probe, res);
                if (r < 0) {
                        stasis_volume_done(&probe);
                        return r;     /* its kind, but it cannot take it: that reason wins */
                }
                if (r > best_prio) {
                        stasis_volume_done(v);
                        *v = probe;
                        best = p;
                        best_prio = r;
                } else
                        stasis_volume_done(&probe);
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
