/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sqlite-databases.c - one SQLite database as the writer holds it: checkpoint, write lock, release */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sqlite-databases.h"

/* Opens d if it is not open yet: an existing database, read-write, not
 * through a symbolic link. */
static int database_open(Database *d, char *err, size_t err_size) {
        int rc;

        if (d->db)
                return 0;
        rc = sqlite3_open_v2(d->path, &d->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_EXRESCODE,
                             NULL);
        if (rc != SQLITE_OK) {
                snprintf(err, err_size, "cannot open database %s: %s", d->path,
                         d->db ? sqlite3_errmsg(d->db) : sqlite3_errstr(rc));
                sqlite3_close_v2(d->db);
                d->db = NULL;
                return rc == SQLITE_CANTOPEN ? -ENOENT : -EIO;
        }
        return 0;
}

int database_checkpoint(Database *d, int busy_ms, char *err, size_t err_size) {
        sqlite3_stmt *st = NULL;
        int rc, r, busy;

        r = database_open(d, err, err_size);
        if (r < 0)
                return r;
        sqlite3_busy_timeout(d->db, busy_ms);
        rc = sqlite3_prepare_v2(d->db, "PRAGMA wal_checkpoint(TRUNCATE)", -1, &st, NULL);
        if (rc == SQLITE_OK)
                rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
                snprintf(err, err_size, "checkpoint of %s failed: %s", d->path, sqlite3_errmsg(d->db));
                sqlite3_finalize(st);
                return (rc & 0xff) == SQLITE_BUSY ? -EBUSY : -EIO;
        }
        /* (busy, frames in the log, frames copied): busy 1 means it could not finish. */
        busy = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        if (busy) {
                snprintf(err, err_size, "checkpoint of %s could not finish within %d ms: other connections "
                         "kept it busy", d->path, busy_ms);
                return -EBUSY;
        }
        return 0;
}

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

/* SQLite's own busy handler sleeps 1, 2, 5, 10, 15 ms … between attempts,
 * and its locks have no queue: an application that writes transaction
 * after transaction frees the write lock for some microseconds between
 * them, and such sparse attempts miss that gap for seconds (median 0.24 s,
 * 3.4 s under load, measured against test/helpers/sqlite-app.py). Tries
 * every 20-100 us, jittered so as not to fall into step with the
 * application, until the deadline (in *userdata). */
static int lock_busy_handler(void *userdata, int attempts) {
        const uint64_t *deadline = userdata;
        struct timespec pause = { .tv_nsec = (20 + random() % 80) * 1000L };

        if (now_usec() >= *deadline)
                return 0;
        (void) nanosleep(&pause, NULL);
        return 1;
}

int database_try_lock(Database *d, int busy_ms, char *err, size_t err_size) {
        uint64_t deadline = now_usec() + (uint64_t) busy_ms * 1000ULL;
        char *msg = NULL;
        int r, rc;

        if (d->locked)
                return 1;
        r = database_open(d, err, err_size);
        if (r < 0)
                return r;
        sqlite3_busy_handler(d->db, lock_busy_handler, &deadline);
        rc = sqlite3_exec(d->db, "BEGIN IMMEDIATE", NULL, NULL, &msg);
        sqlite3_busy_handler(d->db, NULL, NULL);        /* deadline is on this stack */
        if (rc == SQLITE_OK) {
                d->locked = true;
                return 1;
        }
        if ((rc & 0xff) == SQLITE_BUSY) {
                sqlite3_free(msg);
                return 0;
        }
        snprintf(err, err_size, "cannot lock %s for writing: %s", d->path, msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return -EIO;
}

void database_unlock(Database *d) {
        if (!d->locked)
                return;
        (void) sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
        d->locked = false;
}

void database_close(Database *d) {
        database_unlock(d);
        sqlite3_close_v2(d->db);
        d->db = NULL;
}
