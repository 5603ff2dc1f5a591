/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-catalog-writers.c - the catalog's record of the registered writers, for the next start */
#include <errno.h>
#include <stdlib.h>

#include "macro.h"
#include "stasisd-catalog-internal.h"
#include "stasisd-catalog-writers.h"

void catalog_writers_free(CatalogWriter *w, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(w[i].name);
                free(w[i].instance);
                free(w[i].metadata);
        }
        free(w);
}

/* Runs body in a transaction whose commit is not synced (see the header). */
static int unsynced(Catalog *c, int (*body)(Catalog *c, void *userdata), void *userdata) {
        int r, q;

        if (sqlite3_exec(c->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) != SQLITE_OK)
                return catalog_fail(c, -EIO, "PRAGMA synchronous=NORMAL");
        r = catalog_in_transaction(c, body, userdata);
        q = sqlite3_exec(c->db, c->not_durable ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL",
                         NULL, NULL, NULL) == SQLITE_OK ? 0 : catalog_fail(c, -EIO, "PRAGMA synchronous=FULL");
        return r < 0 ? r : q;
}

static int insert(Catalog *c, const CatalogWriter *w) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;

        if (sqlite3_prepare_v2(c->db, "INSERT OR REPLACE INTO writers (name, instance, owner_uid, metadata, "
                                      "registered) VALUES (?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
                return catalog_fail(c, -EIO, "preparing the record of a writer");
        sqlite3_bind_text(st, 1, w->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, strempty(w->instance), -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (sqlite3_int64) w->uid);
        sqlite3_bind_text(st, 4, strempty(w->metadata), -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, (sqlite3_int64) w->registered);
        return catalog_step_done(c, st, "recording a writer");
}

static int record_one(Catalog *c, void *userdata) {
        return insert(c, userdata);
}

int catalog_writer_record(Catalog *c, const CatalogWriter *w) {
        if (!c || !w || !w->name)
                return -EINVAL;
        return unsynced(c, record_one, (void *) w);
}

typedef struct Forget {
        const char *name, *instance;
        int changes;
} Forget;

static int forget_one(Catalog *c, void *userdata) {
        Forget *f = userdata;
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        if (sqlite3_prepare_v2(c->db, "DELETE FROM writers WHERE name = ? AND instance = ?", -1, &st, NULL) != SQLITE_OK)
                return catalog_fail(c, -EIO, "preparing to forget a writer");
        sqlite3_bind_text(st, 1, f->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, strempty(f->instance), -1, SQLITE_STATIC);
        r = catalog_step_done(c, st, "forgetting a writer");
        if (r >= 0)
                f->changes = sqlite3_changes(c->db);
        return r;
}

int catalog_writer_forget(Catalog *c, const char *name, const char *instance) {
        Forget f = { name, instance, 0 };
        int r;

        if (!c || !name)
                return -EINVAL;
        r = unsynced(c, forget_one, &f);
        return r < 0 ? r : f.changes > 0;
}

typedef struct Replace {
        const CatalogWriter *w;
        size_t n;
} Replace;

static int replace_all(Catalog *c, void *userdata) {
        const Replace *x = userdata;
        int r;

        if (sqlite3_exec(c->db, "DELETE FROM writers", NULL, NULL, NULL) != SQLITE_OK)
                return catalog_fail(c, -EIO, "forgetting the writers");
        for (size_t i = 0; i < x->n; i++) {
                r = insert(c, &x->w[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

int catalog_writers_replace(Catalog *c, const CatalogWriter *w, size_t n) {
        Replace x = { w, n };

        if (!c || (n > 0 && !w))
                return -EINVAL;
        return unsynced(c, replace_all, &x);
}

int catalog_writers_load(Catalog *c, CatalogWriter **ret, size_t *ret_n) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        CatalogWriter *l = NULL;
        size_t n = 0;
        int rc;

        if (!c || !ret || !ret_n)
                return -EINVAL;
        if (sqlite3_prepare_v2(c->db, "SELECT name, instance, owner_uid, metadata, registered FROM writers "
                                      "ORDER BY registered, rowid", -1, &st, NULL) != SQLITE_OK)
                return catalog_fail(c, -EIO, "preparing to read the writers");
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                CatalogWriter *nl = realloc(l, (n + 1) * sizeof(CatalogWriter));
                if (!nl)
                        goto oom;
                l = nl;
                l[n] = (CatalogWriter) {
                        .uid = (uid_t) sqlite3_column_int64(st, 2),
                        .registered = (usec_t) sqlite3_column_int64(st, 4),
                };
                n++;
                if (catalog_column_strdup(st, 0, &l[n - 1].name) < 0 ||
                    catalog_column_strdup(st, 1, &l[n - 1].instance) < 0 ||
                    catalog_column_strdup(st, 3, &l[n - 1].metadata) < 0)
                        goto oom;
        }
        if (rc != SQLITE_DONE) {
                catalog_writers_free(l, n);
                return catalog_fail(c, -EIO, "reading the writers");
        }
        *ret = l;
        *ret_n = n;
        return 0;
oom:
        catalog_writers_free(l, n);
        return -ENOMEM;
}
