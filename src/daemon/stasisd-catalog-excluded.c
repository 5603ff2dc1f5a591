/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-catalog-excluded.c - the catalog's record of the writers a set's requestor left out */
#include <errno.h>
#include <stdlib.h>

#include "macro.h"
#include "stasisd-catalog-excluded.h"
#include "stasisd-catalog-internal.h"
#include "strv.h"

typedef struct AddExcluded {
        uint64_t id;
        char *const *writers;
} AddExcluded;

static int add_excluded(Catalog *c, void *userdata) {
        const AddExcluded *x = userdata;
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        sqlite3_int64 idx = 0;
        int r;

        if (sqlite3_prepare_v2(c->db, "INSERT OR REPLACE INTO excluded_writers (set_id, idx, name) VALUES (?, ?, ?)",
                               -1, &st, NULL) != SQLITE_OK)
                return catalog_fail(c, -EIO, "preparing the record of excluded writers");
        STRV_FOREACH(w, x->writers) {
                sqlite3_reset(st);
                sqlite3_bind_int64(st, 1, (sqlite3_int64) x->id);
                sqlite3_bind_int64(st, 2, idx++);
                sqlite3_bind_text(st, 3, *w, -1, SQLITE_STATIC);
                r = catalog_step_done(c, st, "recording an excluded writer");
                if (r < 0)
                        return r;
        }
        return 0;
}

int catalog_add_excluded_writers(Catalog *c, uint64_t id, char *const *writers) {
        AddExcluded x = { id, writers };

        if (strv_isempty(writers))
                return 0;
        return catalog_in_transaction(c, add_excluded, &x);
}

int catalog_load_excluded_writers(Catalog *c, uint64_t id, char ***ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        _cleanup_strv_free_ char **l = NULL;
        int rc;

        if (sqlite3_prepare_v2(c->db, "SELECT name FROM excluded_writers WHERE set_id = ? ORDER BY idx", -1, &st,
                               NULL) != SQLITE_OK)
                return catalog_fail(c, -EIO, "preparing to read the excluded writers");
        sqlite3_bind_int64(st, 1, (sqlite3_int64) id);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                const unsigned char *t = sqlite3_column_text(st, 0);
                if (strv_extend(&l, t ? (const char *) t : "") < 0)
                        return -ENOMEM;
        }
        if (rc != SQLITE_DONE)
                return catalog_fail(c, -EIO, "reading the excluded writers");
        if (!l && !(l = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret = TAKE_PTR(l);
        return 0;
}
