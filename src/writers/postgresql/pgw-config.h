/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pgw-config.h - postgresql.conf of the writer: how to reach the server, which instance it is */
#pragma once

#include <stdbool.h>

#define PGW_CONFIG_FILE "/etc/stasis/writers/postgresql.conf"

typedef struct PgwConfig {
        char *conninfo;         /* [PostgreSQL] ConnInfo=: a libpq connection string or URI; NULL: libpq's environment */
        char *instance;         /* [PostgreSQL] Instance=: the writer's instance name; NULL: none */
} PgwConfig;

/* Reads path (root's or this user's, writable by nobody else). A file that
 * does not exist is an empty configuration unless must_exist. Each problem
 * is logged with file and line; returns -EINVAL if there was any. */
int pgw_config_load(const char *path, bool must_exist, PgwConfig *ret);
void pgw_config_done(PgwConfig *c);
