/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-catalog-events.c - the catalog's record of what happened to a set after it was made */
#include <errno.h>

#include "macro.h"
#include "stasisd-catalog-events.h"
#include "stasisd-catalog-internal.h"

typedef struct NewEvent {
        uint64_t id;
        usec_t at;
        const char *event;
        unsigned keep;
} NewEvent;

static int add(Catalog *c, void *userdata) {
        const NewEvent *e = userdata;
        _cleanup_stmt_ sqlite3_stmt *ins = NULL, *trim = NULL;
        int r;

        if (sqlite3_prepare_v2(c->db, "INSERT INTO set_events (set_id, at, event) VALUES (?, ?, ?)", -1, &ins,
                               NULL) != SQLITE_OK)
                return catalog_fail(c, -EIO, "preparing the record of a set's event");
        sqlite3_bind_int64(ins, 1, (sqlite3_int64) e->id);
        sqlite3_bind_int64(ins, 2, (sqlite3_int64) e->at);
        sqlite3_bind_text(ins, 3, e->event, -1, SQLITE_STATIC);
        r = catalog_step_done(c, ins, "recording a set's event");
        if (r < 0)
                return r;
        if (sqlite3_prepare_v2(c->db, "DELETE FROM set_events WHERE set_id = ?1 AND rowid NOT IN "
                                      "(SELECT rowid FROM set_events WHERE set_id = ?1 ORDER BY rowid DESC LIMIT ?2)",
                               -1, &trim, NULL) != SQLITE_OK)
                return catalog_fail(c, -EIO, "preparing the trim of a set's events");
        sqlite3_bind_int64(trim, 1, (sqlite3_int64) e->id);
        sqlite3_bind_int64(trim, 2, (sqlite3_int64) e->keep);
        return catalog_step_done(c, trim, "dropping a set's oldest events");
}

int catalog_add_set_event(Catalog *c, uint64_t id, usec_t at, const char *event, unsigned keep) {
        NewEvent e = { .id = id, .at = at, .event = event, .keep = keep };
        return catalog_in_transaction(c, add, &e);
}

int catalog_load_set_events(Catalog *c, catalog_event_found_t found, void *userdata) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int rc, r;

        if (sqlite3_prepare_v2(c->db, "SELECT set_id, at, event FROM set_events ORDER BY rowid", -1, &st, NULL) !=
            SQLITE_OK)
                return catalog_fail(c, -EIO, "preparing the reading of the sets' events");
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                const unsigned char *t = sqlite3_column_text(st, 2);
                r = found((uint64_t) sqlite3_column_int64(st, 0), (usec_t) sqlite3_column_int64(st, 1),
                          t ? (const char *) t : "", userdata);
                if (r < 0)
                        return r;
        }
        if (rc != SQLITE_DONE)
                return catalog_fail(c, -EIO, "reading the sets' events");
        return 0;
}
