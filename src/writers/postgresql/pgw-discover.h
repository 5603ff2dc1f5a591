/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pgw-discover.h - where a PostgreSQL cluster keeps its files, asked of the server itself */
#pragma once

#include <libpq-fe.h>

#define PGW_TABLESPACES_QUERY                                                   \
        "SELECT pg_tablespace_location(oid) FROM pg_tablespace "                \
        "WHERE spcname NOT IN ('pg_default', 'pg_global') ORDER BY oid"

typedef struct PgwCluster {
        char *data_directory;   /* real path */
        char *wal_directory;    /* real path of <data_directory>/pg_wal */
        char **paths;           /* the component's paths: data directory, WAL directory if elsewhere, tablespaces */
        int server_version;     /* PQserverVersion(): 150004 */
} PgwCluster;

/* Connects with conninfo (blocking: at start-up, before the writer's loop
 * runs), asks data_directory and every tablespace's location, and resolves
 * pg_wal. On failure returns a negative errno and *ret_error says what failed
 * (malloc'd). */
int pgw_discover(const char *conninfo, PgwCluster *ret, char **ret_error);
/* Adds the tablespace locations in res (the answer to PGW_TABLESPACES_QUERY)
 * that are not among c's paths yet; returns how many. */
int pgw_cluster_add_tablespaces(PgwCluster *c, const PGresult *res, char **ret_error);
void pgw_cluster_done(PgwCluster *c);
