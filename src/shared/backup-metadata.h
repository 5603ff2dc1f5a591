/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backup-metadata.h - writer backup metadata: its entries and the checks on them, the same in libstasis and stasisd */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stasis/stasis.h"

/* One value (name set, path NULL) or one file (path set, name NULL) of a component. */
typedef struct BackupMetadataEntry {
        char *component;
        char *name;
        char *path;
        void *data;             /* a value's text (without its NUL) or a file's content */
        size_t size;
        uint32_t mode;          /* a file's permission bits; 0 for a value */
} BackupMetadataEntry;

/* A writer's metadata in one set, within the limits of stasis.h. */
typedef struct BackupMetadataList {
        BackupMetadataEntry *entries;
        size_t n;
        size_t bytes;           /* of all the data */
} BackupMetadataList;

/* The checks: 0, or -EINVAL (-E2BIG over a limit) with a message naming the fault in err. */
int backup_metadata_check_name(const char *name, char *err, size_t err_size);
int backup_metadata_check_value(const void *value, size_t size, char *err, size_t err_size);
/* path: absolute, normalized (no "", "." or ".." part, no trailing "/") and
 * strictly below one of paths (NULL-terminated). */
int backup_metadata_check_path(const char *path, char *const *paths, char *err, size_t err_size);
int backup_metadata_check_file(const char *path, size_t size, uint32_t mode, char *err, size_t err_size);

/* Adds a copy of an entry that passed the checks, within the count and
 * total limits (-E2BIG). With replace, an entry of the same component and
 * name (or path) is replaced; without, it is -EEXIST. */
int backup_metadata_list_add(BackupMetadataList *l, const char *component, const char *name, const char *path,
                             const void *data, size_t size, uint32_t mode, bool replace, char *err, size_t err_size);
void backup_metadata_list_clear(BackupMetadataList *l);
void backup_metadata_entry_done(BackupMetadataEntry *e);
