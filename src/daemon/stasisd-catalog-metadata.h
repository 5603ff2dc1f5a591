/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-catalog-metadata.h - the catalog's record of the writers' backup metadata of each set */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "backup-metadata.h"
#include "stasisd-catalog.h"

/* One writer's metadata in one set. */
typedef struct SetMetadata {
        char *writer;
        char *instance;         /* "" if none */
        BackupMetadataList list;
} SetMetadata;

void set_metadata_free(SetMetadata *m, size_t n);

/* Records the metadata of writers (n of them) with set id, after what it
 * has already, in one transaction. Removed with the set (ON DELETE CASCADE). */
int catalog_add_metadata(Catalog *c, uint64_t id, const SetMetadata *m, size_t n);

/* Calls f for each entry of set id, in the order recorded; with_data: the
 * files' contents too (else data is NULL for files, size their size). */
typedef int (*catalog_metadata_cb_t)(const char *writer, const char *instance, const BackupMetadataEntry *e,
                                     void *userdata);
int catalog_foreach_metadata(Catalog *c, uint64_t id, bool with_data, catalog_metadata_cb_t f, void *userdata);

/* The file at path of set id: its content (malloc'd) and mode; -ENOENT if none. */
int catalog_metadata_file(Catalog *c, uint64_t id, const char *path, void **ret_data, size_t *ret_size,
                          uint32_t *ret_mode);

/* What writer[@instance] has recorded in set id already: entries and bytes of data. */
int catalog_metadata_usage(Catalog *c, uint64_t id, const char *writer, const char *instance, size_t *ret_n,
                           size_t *ret_bytes);
/* 1 if set id records a file at path (any writer), or a value of that name
 * for component of writer[@instance] (path NULL); 0 if not. */
int catalog_metadata_has(Catalog *c, uint64_t id, const char *writer, const char *instance, const char *component,
                         const char *name, const char *path);
