/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mariadb-discover.h - what the server says about itself at start: its directories, its kind and version */
#pragma once

#include <stdbool.h>

#include "mariadb-config.h"

#define MARIADB_PATHS_MAX 8

typedef struct MariadbServer {
        char *paths[MARIADB_PATHS_MAX + 1];     /* the data directory first, then the binary-log, redo, undo
                                                 * and system tablespace directories that are not inside it */
        char *version;                          /* @@version */
        bool mariadb;                           /* else MySQL */
        int flush_log_at_commit;                /* @@innodb_flush_log_at_trx_commit */
        bool backup_stage;                      /* BACKUP STAGE is there (MariaDB 10.4.1 and later) */
} MariadbServer;

/* Connects (blocking), asks, and closes. Fails with a message in why. */
int mariadb_discover(const MariadbConfig *c, MariadbServer *ret, char *why, size_t why_size);
void mariadb_server_done(MariadbServer *s);
