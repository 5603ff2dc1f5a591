/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-catalog-history.h - the catalog's history of the sets retention removed, and why */
#pragma once

#include <stdint.h>

#include "stasisd-catalog.h"

/* Entries kept; the oldest go beyond it. */
#define CATALOG_HISTORY_MAX 10000

typedef struct CatalogRemoval {
        uint64_t set_id;
        char *policy;           /* "" for an expiry of a set no policy made */
        usec_t removed;
        char *reason;
        usec_t created;         /* when the set was made */
        char *label;
} CatalogRemoval;

/* Records that set id (made at created, with label) was removed by policy
 * ("" if none) at when, for reason. */
int catalog_add_removal(Catalog *c, uint64_t set_id, const char *policy, usec_t when, const char *reason,
                        usec_t created, const char *label);

/* The removals of policy (NULL: all), newest first, at most max. */
int catalog_list_removals(Catalog *c, const char *policy, unsigned max, CatalogRemoval **ret, size_t *ret_n);
void catalog_removals_free(CatalogRemoval *r, size_t n);
