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

/* stasisd-orphans-scan.c: asks every provider that can list its stores, in
 * a worker (each provider within STASIS_PROVIDER_LIST_TIMEOUT), keeps what
 * no set of the catalog holds as the manager's orphans, and makes the next
 * set id larger than every set id found in the stores. msg (RescanOrphans)
 * is answered with the number of orphans when done; with msg NULL, the
 * number is logged. -EBUSY while a scan runs. Commits wait for it. */
int manager_scan_orphans_start(Manager *m, sd_bus_message *msg);
/* The same at start-up: runs the event loop until the scan is done. */
int manager_scan_orphans(Manager *m);
/* Orphan handle was deleted: a scan under way must not list it again. */
void manager_scan_orphans_forget(Manager *m, const char *handle);
/* Forgets a scan under way (the manager is going away). */
void manager_scan_orphans_cancel(Manager *m);
/* Raises the catalog's next set id above the largest id the last scan
 * found, unless file systems are held (then at the hold's end). */
void manager_orphans_raise_next_id(Manager *m);

Orphan *manager_find_orphan(Manager *m, const char *handle);
void manager_drop_orphan(Manager *m, Orphan *o);

/* Starts deleting orphan o through its provider, in a worker; msg is
 * answered when done. */
int orphan_delete(Manager *m, Orphan *o, sd_bus_message *msg, sd_bus_error *error);
/* Makes a set of the orphans with set id id (state created, consistency
 * per-volume, owned by uid). Fails if a set has that id. */
int orphans_adopt(Manager *m, const char *id, uid_t uid, Set **ret, sd_bus_error *error);

/* stasisd-orphans-bus.c: the Manager methods ListOrphans, RescanOrphans,
 * DeleteOrphan and AdoptOrphans. */
int method_list_orphans(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_rescan_orphans(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_delete_orphan(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_adopt_orphans(sd_bus_message *msg, void *userdata, sd_bus_error *error);
