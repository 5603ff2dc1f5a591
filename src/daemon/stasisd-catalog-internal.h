/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-catalog-internal.h - what the catalog's files share: the connection and its helpers */
#pragma once

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "stasisd-catalog.h"

enum {
        STMT_INSERT_SET,
        STMT_INSERT_COMPONENT,
        STMT_RECORD_CREATED,
        STMT_INSERT_VOLUME,
        STMT_UPDATE_STATE,
        STMT_REMOVE_SET,
        STMT_NEXT_ID,
        _STMT_MAX,
};

struct Catalog {
        sqlite3 *db;
        sqlite3_stmt *stmts[_STMT_MAX];     /* prepared once, reused */
        char *path;
        char error[1024];
        char *dir;
        char *reserve_path;                 /* dir/catalog.reserve */
        bool not_durable;                   /* synchronous=NORMAL, for benchmarks only */
        uint64_t reserved_id;               /* the ids up to it are reserved, durably */
        bool raise_pending;                 /* raise the next id above reserved_id first */
        bool made_sets;                     /* sets were recorded since the catalog was opened */
};

/* Sets c->error from SQLite's message (what names the step) and returns r
 * (-ENOSPC when the disk is full). */
int catalog_fail(Catalog *c, int r, const char *what);
/* Steps st to its end and resets it; an error names what. */
int catalog_step_done(Catalog *c, sqlite3_stmt *st, const char *what);
/* Runs body in one transaction: all of it is recorded, or none. */
int catalog_in_transaction(Catalog *c, int (*body)(Catalog *c, void *userdata), void *userdata);
/* A copy of the text of column col ("" for NULL). */
int catalog_column_strdup(sqlite3_stmt *st, int col, char **ret);

static inline void catalog_finalizep(sqlite3_stmt **st) {
        sqlite3_finalize(*st);
}
#define _cleanup_stmt_ _cleanup_(catalog_finalizep)
