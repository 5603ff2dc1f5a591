/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-catalog-history.c - the catalog's history of the sets retention removed, and why */
#include <errno.h>
#include <stdlib.h>

#include "macro.h"
#include "stasisd-catalog-history.h"
#include "stasisd-catalog-internal.h"

typedef struct Removal {
        uint64_t set_id;
        const char *policy, *reason, *label;
        usec_t when, created;
} Removal;

static int add_removal(Catalog *c, void *userdata) {
        const Removal *x = userdata;
        _cleanup_stmt_ sqlite3_stmt *ins = NULL, *over = NULL;
        int r;

        if (sqlite3_prepare_v2(c->db, "INSERT INTO removals (set_id, policy, removed, reason, created, label) "
                                      "VALUES (?, ?, ?, ?, ?, ?)", -1, &ins, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(c->db, "DELETE FROM removals WHERE rowid NOT IN (SELECT rowid FROM removals "
                                      "ORDER BY rowid DESC LIMIT ?)", -1, &over, NULL) != SQLITE_OK)
                return catalog_fail(c, -EIO, "preparing the record of a removal");
        sqlite3_bind_int64(ins, 1, (sqlite3_int64) x->set_id);
        sqlite3_bind_text(ins, 2, x->policy, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 3, (sqlite3_int64) x->when);
        sqlite3_bind_text(ins, 4, x->reason, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 5, (sqlite3_int64) x->created);
        sqlite3_bind_text(ins, 6, x->label, -1, SQLITE_STATIC);
        r = catalog_step_done(c, ins, "recording a removal");
        if (r < 0)
                return r;
        sqlite3_bind_int(over, 1, CATALOG_HISTORY_MAX);
        return catalog_step_done(c, over, "forgetting removals beyond the bound");
}

int catalog_add_removal(Catalog *c, uint64_t set_id, const char *policy, usec_t when, const char *reason,
                        usec_t created, const char *label) {
        Removal x = { set_id, strempty(policy), strempty(reason), strempty(label), when, created };

        if (!c)
                return -EINVAL;
        return catalog_in_transaction(c, add_removal, &x);
}

void catalog_removals_free(CatalogRemoval *r, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(r[i].policy);
                free(r[i].reason);
                free(r[i].label);
        }
        free(r);
}

int catalog_list_removals(Catalog *c, const char *policy, unsigned max, CatalogRemoval **ret, size_t *ret_n) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        CatalogRemoval *list = NULL;
        size_t n = 0;
        int rc;

        if (sqlite3_prepare_v2(c->db, "SELECT set_id, policy, removed, reason, created, label FROM removals "
                                      "WHERE ?1 IS NULL OR policy = ?1 ORDER BY rowid DESC LIMIT ?2",
                               -1, &st, NULL) != SQLITE_OK)
                return catalog_fail(c, -EIO, "preparing the history of removals");
        if (policy)
                sqlite3_bind_text(st, 1, policy, -1, SQLITE_STATIC);
        else
                sqlite3_bind_null(st, 1);
        sqlite3_bind_int(st, 2, (int) MIN(max, (unsigned) CATALOG_HISTORY_MAX));
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                CatalogRemoval *nl = realloc(list, (n + 1) * sizeof(CatalogRemoval));
                if (!nl) {
                        catalog_removals_free(list, n);
                        return -ENOMEM;
                }
                list = nl;
                list[n] = (CatalogRemoval) {
                        .set_id = (uint64_t) sqlite3_column_int64(st, 0),
                        .removed = (usec_t) sqlite3_column_int64(st, 2),
                        .created = (usec_t) sqlite3_column_int64(st, 4),
                };
                n++;
                if (catalog_column_strdup(st, 1, &list[n - 1].policy) < 0 ||
                    catalog_column_strdup(st, 3, &list[n - 1].reason) < 0 ||
                    catalog_column_strdup(st, 5, &list[n - 1].label) < 0) {
                        catalog_removals_free(list, n);
                        return -ENOMEM;
                }
        }
        if (rc != SQLITE_DONE) {
                catalog_removals_free(list, n);
                return catalog_fail(c, -EIO, "reading the history of removals");
        }
        *ret = list;
        *ret_n = n;
        return 0;
}
