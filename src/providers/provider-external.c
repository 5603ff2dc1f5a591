/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* provider-external.c - the provider of volumes someone else snapshots (a hypervisor): records, takes nothing */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "provider.h"

/* Every volume is its kind, but only when asked alone (external sets use
 * stasis_providers_external_only): it never takes a volume of another set. */
static int external_probe(const StasisProvider *self, const MountEntry *m, const char *path, StasisVolume *v,
                          StasisProviderResult *res) {
        /* One volume per mounted file system: its device numbers, as the kernel names it. */
        if (asprintf(&v->key, "external:%u:%u", m->major, m->minor) < 0) {
                v->key = NULL;
                return -ENOMEM;
        }
        v->source = strdup(m->mount_point);
        if (!v->source)
                return -ENOMEM;
        v->hold = STASIS_HOLD_NONE;     /* whoever snapshots freezes, not stasis */
        return 1;
}

static int external_prepare(const StasisProvider *self, StasisVolume *v, const char *set_id, size_t index,
                            StasisProviderResult *res) {
        return 0;       /* no handle: the snapshot is not stasis's */
}

static int external_commit(const StasisProvider *self, StasisVolume * const *volumes, size_t n, usec_t timeout,
                           int abort_fd, StasisProviderResult *results) {
        for (size_t i = 0; i < n; i++)
                stasis_provider_result_set(&results[i], -EOPNOTSUPP,
                                           "the snapshot of %s is taken by someone else (provider external)",
                                           volumes[i]->mount_point);
        return -EOPNOTSUPP;
}

static int external_remove(const StasisProvider *self, const StasisVolume *v, StasisProviderResult *res) {
        return 0;       /* stasis made nothing: deleting the set forgets the record only */
}

static int external_exists(const StasisProvider *self, const StasisVolume *v) {
        return 1;       /* stasis cannot look at a hypervisor's snapshots: taken on trust */
}

const StasisProvider provider_external = {
        .version = STASIS_PROVIDER_OPS_VERSION,
        .size = sizeof(StasisProvider),
        .name = "external",
        .probe = external_probe,
        .prepare = external_prepare,
        .commit = external_commit,
        .remove = external_remove,
        .exists = external_exists,
};

const StasisProviders stasis_providers_external_only = {
        .only = &provider_external,
};
