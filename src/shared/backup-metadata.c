/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backup-metadata.c - writer backup metadata: its entries and the checks on them */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup-metadata.h"
#include "macro.h"
#include "utf8.h"
#include "writer-metadata.h"

int backup_metadata_check_name(const char *name, char *err, size_t err_size) {
        size_t n = name ? strlen(name) : 0;

        if (n == 0 || n > STASIS_METADATA_NAME_MAX) {
                snprintf(err, err_size, "a metadata name must have 1 to %d characters, not %zu",
                         STASIS_METADATA_NAME_MAX, n);
                return -EINVAL;
        }
        for (size_t i = 0; i < n; i++)
                if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-", name[i])) {
                        snprintf(err, err_size, "metadata name \"%.64s\" has a character other than "
                                 "A-Z, a-z, 0-9, '_', '.' and '-' at byte %zu", utf8_is_valid(name) ? name : "?", i);
                        return -EINVAL;
                }
        return 0;
}

int backup_metadata_check_value(const void *value, size_t size, char *err, size_t err_size) {
        if (size > STASIS_METADATA_VALUE_MAX) {
                snprintf(err, err_size, "a metadata value has %zu bytes; at most %d", size, STASIS_METADATA_VALUE_MAX);
                return -E2BIG;
        }
        if (size > 0 && (memchr(value, 0, size) || !utf8_is_valid_n(value, size))) {
                snprintf(err, err_size, "a metadata value is not UTF-8 text");
                return -EINVAL;
        }
        return 0;
}

/* Whether path is below dir (both absolute and normalized). */
static bool path_below(const char *path, const char *dir) {
        size_t n = strlen(dir);

        if (streq(dir, "/"))
                return path[0] == '/' && path[1] != 0;
        return strncmp(path, dir, n) == 0 && path[n] == '/' && path[n + 1] != 0;
}

int backup_metadata_check_path(const char *path, char *const *paths, char *err, size_t err_size) {
        size_t n = path ? strlen(path) : 0;

        if (n == 0 || path[0] != '/') {
                snprintf(err, err_size, "metadata file path \"%.256s\" is not absolute", strempty(path));
                return -EINVAL;
        }
        if (n > WRITER_PATH_MAX || !utf8_is_valid(path)) {
                snprintf(err, err_size, "a metadata file path is longer than %d bytes or not UTF-8", WRITER_PATH_MAX);
                return -EINVAL;
        }
        for (const char *p = path; *p; ) {
                const char *e = strchrnul(p + 1, '/');
                size_t len = (size_t) (e - p - 1);      /* the part after the '/' at p */
                if (len == 0 || (len == 1 && p[1] == '.') || (len == 2 && p[1] == '.' && p[2] == '.')) {
                        snprintf(err, err_size, "metadata file path \"%.256s\" is not normalized (an empty, "
                                 "\".\" or \"..\" part, or a trailing '/')", path);
                        return -EINVAL;
                }
                p = e;
        }
        for (size_t i = 0; paths && paths[i]; i++)
                if (path_below(path, paths[i]))
                        return 0;
        snprintf(err, err_size, "metadata file path \"%.256s\" is not below any path of its component", path);
        return -EINVAL;
}

int backup_metadata_check_file(const char *path, size_t size, uint32_t mode, char *err, size_t err_size) {
        if (size > STASIS_METADATA_FILE_MAX) {
                snprintf(err, err_size, "metadata file %.256s has %zu bytes; at most %d", path, size,
                         STASIS_METADATA_FILE_MAX);
                return -E2BIG;
        }
        if (mode & ~0777U) {
                snprintf(err, err_size, "metadata file %.256s: mode %#o has bits other than 0777", path, mode);
                return -EINVAL;
        }
        return 0;
}

void backup_metadata_entry_done(BackupMetadataEntry *e) {
        free(e->component);
        free(e->name);
        free(e->path);
        free(e->data);
        *e = (BackupMetadataEntry) {};
}

void backup_metadata_list_clear(BackupMetadataList *l) {
        for (size_t i = 0; i < l->n; i++)
                backup_metadata_entry_done(&l->entries[i]);
        free(l->entries);
        *l = (BackupMetadataList) {};
}

static bool same_entry(const BackupMetadataEntry *e, const char *component, const char *name, const char *path) {
        if (name)
                return e->name && streq(e->name, name) && streq(e->component, component);
        return e->path && streq(e->path, path);     /* a file's path is one for all components */
}

int backup_metadata_list_add(BackupMetadataList *l, const char *component, const char *name, const char *path,
                             const void *data, size_t size, uint32_t mode, bool replace, char *err, size_t err_size) {
        BackupMetadataEntry x = {}, *old = NULL;
        size_t bytes = l->bytes;

        for (size_t i = 0; i < l->n && !old; i++)
                if (same_entry(&l->entries[i], component, name, path))
                        old = &l->entries[i];
        if (old && !replace) {
                snprintf(err, err_size, "metadata %s %.256s is given twice", name ? "value" : "file", name ?: path);
                return -EEXIST;
        }
        if (old)
                bytes -= old->size;
        if (!old && l->n >= STASIS_METADATA_ENTRIES_MAX) {
                snprintf(err, err_size, "more than %d metadata entries", STASIS_METADATA_ENTRIES_MAX);
                return -E2BIG;
        }
        if (bytes + size > STASIS_METADATA_TOTAL_MAX) {
                snprintf(err, err_size, "the metadata would have %zu bytes; at most %d in one set",
                         bytes + size, STASIS_METADATA_TOTAL_MAX);
                return -E2BIG;
        }
        x.component = strdup(component);
        x.name = name ? strdup(name) : NULL;
        x.path = path ? strdup(path) : NULL;
        x.data = malloc(MAX(size, 1));
        x.size = size;
        x.mode = mode;
        if (!x.component || (name && !x.name) || (path && !x.path) || !x.data) {
                backup_metadata_entry_done(&x);
                snprintf(err, err_size, "out of memory");
                return -ENOMEM;
        }
        if (size > 0)
                memcpy(x.data, data, size);
        if (old) {
                backup_metadata_entry_done(old);
                *old = x;
        } else {
                BackupMetadataEntry *n = realloc(l->entries, sizeof(BackupMetadataEntry) * (l->n + 1));
                if (!n) {
                        backup_metadata_entry_done(&x);
                        snprintf(err, err_size, "out of memory");
                        return -ENOMEM;
                }
                l->entries = n;
                l->entries[l->n++] = x;
        }
        l->bytes = bytes + size;
        return 0;
}
