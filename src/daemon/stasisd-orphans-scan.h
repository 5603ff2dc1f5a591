/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-orphans-scan.h - looking for orphans: every provider that can list its stores, in a worker */
#pragma once

#include <systemd/sd-bus.h>

#include "stasisd-manager.h"

/* Asks every provider that can list its stores, in
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
