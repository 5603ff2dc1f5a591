/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sqlite-databases.h - one SQLite database as the writer holds it: checkpoint, write lock, release */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sqlite3.h>

typedef struct Database {
        char *path;
        char *component;        /* its component's name: the file name, made unique */
        sqlite3 *db;            /* open from the first event that needs it */
        bool locked;            /* BEGIN IMMEDIATE held */
} Database;

/* The write-ahead log copied into the database and truncated (a database
 * not in WAL mode has none: nothing to do), waiting at most busy_ms for
 * readers and writers. 0, or -errno with a message in err. */
int database_checkpoint(Database *d, int busy_ms, char *err, size_t err_size);
/* Takes the write lock (BEGIN IMMEDIATE), trying again and again for at
 * most busy_ms: 1 taken, 0 busy (another connection writes),
 * -errno with a message in err. */
int database_try_lock(Database *d, int busy_ms, char *err, size_t err_size);
/* Releases the write lock, if held (nothing was written: ROLLBACK). */
void database_unlock(Database *d);
void database_close(Database *d);
