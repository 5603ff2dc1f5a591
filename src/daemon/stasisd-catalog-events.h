/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-catalog-events.h - the catalog's record of what happened to a set after it was made */
#pragma once

#include <stdint.h>

#include "stasisd-catalog.h"

/* Records one event of set id (at: CLOCK_REALTIME), and drops the set's
 * oldest ones beyond keep. Synced, as every record of a set. */
int catalog_add_set_event(Catalog *c, uint64_t id, usec_t at, const char *event, unsigned keep);

/* Hands every recorded event, oldest first, to found. */
typedef int (*catalog_event_found_t)(uint64_t id, usec_t at, const char *event, void *userdata);
int catalog_load_set_events(Catalog *c, catalog_event_found_t found, void *userdata);
