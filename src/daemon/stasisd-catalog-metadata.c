/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-catalog-metadata.c - the catalog's record of the writers' backup metadata of each set */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "stasisd-catalog-internal.h"
#include "stasisd-catalog-metadata.h"

void set_metadata_free(SetMetadata *m, size_t n) {
        for (size_t i = 0; m && i < n; i++) {
                free(m[i].writer);
                free(m[i].instance);
                backup_metadata_list_clear(&m[i].list);
        }
        free(m);
}

typedef struct AddMetadata {
        uint64_t id;
        const SetMetadata *m;
        size_t n;
} AddMetadata;

static int add_metadata(Catalog *c, void *userdata) {
        const AddMetadata *x = userdata;
        _cleanup_stmt_ sqlite3_stmt *q = NULL, *st = NULL;
        sqlite3_int64 idx = 0;
        int r;

        if (sqlite3_prepare_v2(c->db, "SELECT COALESCE(MAX(idx) + 1, 0) FROM metadata WHERE set_id = ?", -1, &q,
                               NULL) != SQLITE_OK)
                return catalog_fail(c, -EIO, "preparing to count the backup metadata");
        sqlite3_bind_int64(q, 1, (sqlite3_int64) x->id);
        if (sqlite3_step(q) != SQLITE_ROW)
                return catalog_fail(c, -EIO, "counting the backup metadata");
        idx = sqlite3_column_int64(q, 0);

        if (sqlite3_prepare_v2(c->db, "INSERT INTO metadata (set_id, idx, writer, instance, component, name, path, "
                                      "data, mode) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
                return catalog_fail(c, -EIO, "preparing the record of backup metadata");
        for (size_t w = 0; w < x->n; w++)
                for (size_t i = 0; i < x->m[w].list.n; i++) {
                        const BackupMetadataEntry *e = &x->m[w].list.entries[i];
                        sqlite3_reset(st);
                        sqlite3_bind_int64(st, 1, (sqlite3_int64) x->id);
                        sqlite3_bind_int64(st, 2, idx++);
                        sqlite3_bind_text(st, 3, x->m[w].writer, -1, SQLITE_STATIC);
                        sqlite3_bind_text(st, 4, strempty(x->m[w].instance), -1, SQLITE_STATIC);
                        sqlite3_bind_text(st, 5, e->component, -1, SQLITE_STATIC);
                        if (e->name)
                                sqlite3_bind_text(st, 6, e->name, -1, SQLITE_STATIC);
                        else
                                sqlite3_bind_null(st, 6);
                        if (e->path)
                                sqlite3_bind_text(st, 7, e->path, -1, SQLITE_STATIC);
                        else
                                sqlite3_bind_null(st, 7);
                        sqlite3_bind_blob64(st, 8, e->data, e->size, SQLITE_STATIC);
                        sqlite3_bind_int64(st, 9, e->mode);
                        r = catalog_step_done(c, st, "recording backup metadata");
                        if (r < 0)
                                return r;
                }
        return 0;
}

int catalog_add_metadata(Catalog *c, uint64_t id, const SetMetadata *m, size_t n) {
        AddMetadata x = { id, m, n };
        size_t total = 0;

        for (size_t i = 0; i < n; i++)
                total += m[i].list.n;
        if (total == 0)
                return 0;
        return catalog_in_transaction(c, add_metadata, &x);
}

static const char *column_text(sqlite3_stmt *st, int col) {
        const unsigned char *t = sqlite3_column_text(st, col);
        return t ? (const char *) t : NULL;
}

int catalog_foreach_metadata(Catalog *c, uint64_t id, bool with_data, catalog_metadata_cb_t f, void *userdata) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int rc, r;

        if (sqlite3_prepare_v2(c->db, with_data ?
                               "SELECT writer, instance, component, name, path, data, length(data), mode "
                               "FROM metadata WHERE set_id = ? ORDER BY idx" :
                               "SELECT writer, instance, component, name, path, "
                               "CASE WHEN name IS NULL THEN NULL ELSE data END, length(data), mode "
                               "FROM metadata WHERE set_id = ? ORDER BY idx", -1, &st, NULL) != SQLITE_OK)
                return catalog_fail(c, -EIO, "preparing to read the backup metadata");
        sqlite3_bind_int64(st, 1, (sqlite3_int64) id);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                BackupMetadataEntry e = {
                        .component = (char *) column_text(st, 2),
                        .name = (char *) column_text(st, 3),
                        .path = (char *) column_text(st, 4),
                        .data = (void *) sqlite3_column_blob(st, 5),
                        .size = (size_t) sqlite3_column_int64(st, 6),
                        .mode = (uint32_t) sqlite3_column_int64(st, 7),
                };
                if (!e.component || (!e.name == !e.path))
                        continue;       /* not what stasisd writes: left out */
                r = f(strempty(column_text(st, 0)), strempty(column_text(st, 1)), &e, userdata);
                if (r < 0)
                        return r;
        }
        if (rc != SQLITE_DONE)
                return catalog_fail(c, -EIO, "reading the backup metadata");
        return 0;
}

int catalog_metadata_file(Catalog *c, uint64_t id, const char *path, void **ret_data, size_t *ret_size,
                          uint32_t *ret_mode) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        const void *blob;
        size_t size;
        void *d;

        if (sqlite3_prepare_v2(c->db, "SELECT data, length(data), mode FROM metadata WHERE set_id = ? AND path = ? "
                               "ORDER BY idx LIMIT 1", -1, &st, NULL) != SQLITE_OK)
                return catalog_fail(c, -EIO, "preparing to read a backup metadata file");
        sqlite3_bind_int64(st, 1, (sqlite3_int64) id);
        sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
        switch (sqlite3_step(st)) {
        case SQLITE_ROW:
                break;
        case SQLITE_DONE:
                return -ENOENT;
        default:
                return catalog_fail(c, -EIO, "reading a backup metadata file");
        }
        blob = sqlite3_column_blob(st, 0);
        size = (size_t) sqlite3_column_int64(st, 1);
        d = malloc(MAX(size, 1));
        if (!d)
                return -ENOMEM;
        if (size > 0)
                memcpy(d, blob, size);
        *ret_data = d;
        *ret_size = size;
        *ret_mode = (uint32_t) sqlite3_column_int64(st, 2);
        return 0;
}

int catalog_metadata_usage(Catalog *c, uint64_t id, const char *writer, const char *instance, size_t *ret_n,
                           size_t *ret_bytes) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;

        if (sqlite3_prepare_v2(c->db, "SELECT count(*), COALESCE(sum(length(data)), 0) FROM metadata "
                               "WHERE set_id = ? AND writer = ? AND instance = ?", -1, &st, NULL) != SQLITE_OK)
                return catalog_fail(c, -EIO, "preparing to sum up backup metadata");
        sqlite3_bind_int64(st, 1, (sqlite3_int64) id);
        sqlite3_bind_text(st, 2, writer, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, strempty(instance), -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_ROW)
                return catalog_fail(c, -EIO, "summing up backup metadata");
        *ret_n = (size_t) sqlite3_column_int64(st, 0);
        *ret_bytes = (size_t) sqlite3_column_int64(st, 1);
        return 0;
}

int catalog_metadata_has(Catalog *c, uint64_t id, const char *writer, const char *instance, const char *component,
                         const char *name, const char *path) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;

        if (sqlite3_prepare_v2(c->db, path ? "SELECT 1 FROM metadata WHERE set_id = ? AND path = ?4" :
                               "SELECT 1 FROM metadata WHERE set_id = ? AND writer = ? AND instance = ? "
                               "AND component = ? AND name = ?", -1, &st, NULL) != SQLITE_OK)
                return catalog_fail(c, -EIO, "preparing to look for backup metadata");
        sqlite3_bind_int64(st, 1, (sqlite3_int64) id);
        if (path)
                sqlite3_bind_text(st, 4, path, -1, SQLITE_STATIC);
        else {
                sqlite3_bind_text(st, 2, writer, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 3, strempty(instance), -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 4, component, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 5, name, -1, SQLITE_STATIC);
        }
        switch (sqlite3_step(st)) {
        case SQLITE_ROW:
                return 1;
        case SQLITE_DONE:
                return 0;
        default:
                return catalog_fail(c, -EIO, "looking for backup metadata");
        }
}
