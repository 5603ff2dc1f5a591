/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-catalog-requests.c - the catalog's memory of creates that failed, by their requestor's id */
#include <errno.h>
#include <stdlib.h>

#include "macro.h"
#include "stasisd-catalog-internal.h"
#include "stasisd-catalog-requests.h"

typedef struct FailedRequest {
        uid_t uid;
        const char *request_id;
        usec_t when;
        const char *name, *message;
} FailedRequest;

static int add_failed_request(Catalog *c, void *userdata) {
        const FailedRequest *x = userdata;
        _cleanup_stmt_ sqlite3_stmt *ins = NULL, *old = NULL, *over = NULL;
        int r;

        if (sqlite3_prepare_v2(c->db, "INSERT OR REPLACE INTO failed_requests (owner_uid, request_id, failed, "
                                      "error_name, error_message) VALUES (?, ?, ?, ?, ?)", -1, &ins, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(c->db, "DELETE FROM failed_requests WHERE failed < ?", -1, &old, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(c->db, "DELETE FROM failed_requests WHERE rowid NOT IN (SELECT rowid FROM "
                                      "failed_requests ORDER BY failed DESC, rowid DESC LIMIT ?)",
                               -1, &over, NULL) != SQLITE_OK)
                return catalog_fail(c, -EIO, "preparing the record of a failed request");
        sqlite3_bind_int64(ins, 1, (sqlite3_int64) x->uid);
        sqlite3_bind_text(ins, 2, x->request_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 3, (sqlite3_int64) x->when);
        sqlite3_bind_text(ins, 4, x->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 5, x->message, -1, SQLITE_STATIC);
        r = catalog_step_done(c, ins, "recording a failed request");
        if (r < 0)
                return r;
        sqlite3_bind_int64(old, 1, (sqlite3_int64) (x->when > CATALOG_FAILED_REQUESTS_AGE_USEC ?
                                                    x->when - CATALOG_FAILED_REQUESTS_AGE_USEC : 0));
        r = catalog_step_done(c, old, "forgetting old failed requests");
        if (r < 0)
                return r;
        sqlite3_bind_int(over, 1, CATALOG_FAILED_REQUESTS_MAX);
        return catalog_step_done(c, over, "forgetting failed requests beyond the bound");
}

int catalog_add_failed_request(Catalog *c, uid_t uid, const char *request_id, usec_t when,
                               const char *error_name, const char *error_message) {
        FailedRequest x = { uid, request_id, when, strempty(error_name), strempty(error_message) };

        if (!c || !request_id || !error_name)
                return -EINVAL;
        return catalog_in_transaction(c, add_failed_request, &x);
}

int catalog_find_failed_request(Catalog *c, uid_t uid, const char *request_id, usec_t now,
                                char **ret_name, char **ret_message) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        _cleanup_free_ char *name = NULL, *message = NULL;
        int rc;

        if (!c || !request_id || !ret_name || !ret_message)
                return -EINVAL;
        if (sqlite3_prepare_v2(c->db, "SELECT error_name, error_message FROM failed_requests "
                                      "WHERE owner_uid = ? AND request_id = ? AND failed >= ?",
                               -1, &st, NULL) != SQLITE_OK)
                return catalog_fail(c, -EIO, "preparing the look-up of a failed request");
        sqlite3_bind_int64(st, 1, (sqlite3_int64) uid);
        sqlite3_bind_text(st, 2, request_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (sqlite3_int64) (now > CATALOG_FAILED_REQUESTS_AGE_USEC ?
                                                   now - CATALOG_FAILED_REQUESTS_AGE_USEC : 0));
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
                return 0;
        if (rc != SQLITE_ROW)
                return catalog_fail(c, -EIO, "looking up a failed request");
        if (catalog_column_strdup(st, 0, &name) < 0 || catalog_column_strdup(st, 1, &message) < 0)
                return -ENOMEM;
        *ret_name = TAKE_PTR(name);
        *ret_message = TAKE_PTR(message);
        return 1;
}
