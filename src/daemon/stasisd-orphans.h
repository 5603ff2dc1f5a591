/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-orphans.h - snapshots in the providers' stores that the catalog does not know */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "provider.h"
#include "stasisd-manager.h"

#define MANAGER_ORPHANS_MAX 4096        /* orphans kept in the list; more are counted, not kept */

typedef struct Orphan {
        const StasisProvider *provider;
        StasisStoredSnapshot snapshot;
        bool removing;                  /* a worker is deleting it */
} Orphan;

void orphans_free(Orphan *o, size_t n);

Orphan *manager_find_orphan(Manager *m, const char *handle);
void manager_drop_orphan(Manager *m, Orphan *o);

/* Starts deleting orphan o through its provider, in a worker; msg is
 * answered when done. */
int orphan_delete(Manager *m, Orphan *o, sd_bus_message *msg, sd_bus_error *error);
/* Makes a set of the orphans with set id id (state created, consistency
 * per-volume, owned by uid). Fails if a set has that id. */
int orphans_adopt(Manager *m, const char *id, uid_t uid, Set **ret, sd_bus_error *error);
