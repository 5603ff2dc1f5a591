/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-catalog-writers.h - the catalog's record of the registered writers, for the next start */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "stasisd-catalog.h"
#include "time-util.h"

/* A writer as the catalog keeps it. Strings owned. */
typedef struct CatalogWriter {
        char *name;
        char *instance;         /* "" if none */
        uid_t uid;
        char *metadata;         /* its last metadata, canonical JSON */
        usec_t registered;      /* CLOCK_REALTIME */
} CatalogWriter;

void catalog_writers_free(CatalogWriter *w, size_t n);

/* Records (or replaces) writer name@instance. Not synced: a writer's record
 * is a hint for the next start, and a power cut may lose the last change;
 * it is on disk with the next synced commit. */
int catalog_writer_record(Catalog *c, const CatalogWriter *w);
/* Forgets writer name@instance (not synced either); 0 if it was not recorded. */
int catalog_writer_forget(Catalog *c, const char *name, const char *instance);
/* Replaces all records with these n (after changes that had to wait for the
 * end of a hold). */
int catalog_writers_replace(Catalog *c, const CatalogWriter *w, size_t n);
/* All records, in the order they were registered. */
int catalog_writers_load(Catalog *c, CatalogWriter **ret, size_t *ret_n);
