/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pgw-discover.c - where a PostgreSQL cluster keeps its files, asked of the server itself */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "pgw-conn.h"
#include "pgw-discover.h"
#include "strv.h"

/* The real path of p, which must exist. */
static int resolve(const char *p, char **ret, char **ret_error) {
        char *r = realpath(p, NULL);
        if (!r) {
                int e = errno;
                char *m = NULL;
                (void) asprintf(&m, "cannot resolve %s: %s", p, strerror(e));
                *ret_error = m;
                return -e;
        }
        *ret = r;
        return 0;
}

static int add_path(char ***paths, const char *p) {
        for (char **i = *paths; i && *i; i++)
                if (streq(*i, p))
                        return 0;
        return strv_extend(paths, p);
}

int pgw_discover(const char *conninfo, PgwCluster *ret, char **ret_error) {
        const char *keys[] = { "dbname", "fallback_application_name", NULL };
        const char *values[] = { conninfo ?: "", "stasis-writer-postgresql", NULL };
        _cleanup_(pgw_cluster_done) PgwCluster c = {};
        _cleanup_free_ char *datadir = NULL, *wal = NULL;
        PGresult *res;
        PGconn *pg;
        int r;

        *ret_error = NULL;
        pg = PQconnectdbParams(keys, values, 1);
        if (!pg)
                return -ENOMEM;
        if (PQstatus(pg) != CONNECTION_OK) {
                *ret_error = pgw_one_line("cannot connect to PostgreSQL: ", PQerrorMessage(pg));
                PQfinish(pg);
                return -ECONNREFUSED;
        }
        c.server_version = PQserverVersion(pg);

        res = PQexec(pg, "SELECT current_setting('data_directory')");
        if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
                *ret_error = pgw_one_line("cannot read data_directory from PostgreSQL: ", PQresultErrorMessage(res));
                PQclear(res);
                PQfinish(pg);
                return -EIO;
        }
        datadir = strdup(PQgetvalue(res, 0, 0));
        PQclear(res);

        res = PQexec(pg, PGW_TABLESPACES_QUERY);
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                *ret_error = pgw_one_line("cannot list the tablespaces of PostgreSQL: ", PQresultErrorMessage(res));
                PQclear(res);
                PQfinish(pg);
                return -EIO;
        }
        if (!datadir) {
                PQclear(res);
                PQfinish(pg);
                return -ENOMEM;
        }

        r = resolve(datadir, &c.data_directory, ret_error);
        if (r >= 0 && asprintf(&wal, "%s/pg_wal", c.data_directory) < 0)
                r = -ENOMEM;
        if (r >= 0)
                r = resolve(wal, &c.wal_directory, ret_error);
        if (r >= 0)
                r = add_path(&c.paths, c.data_directory);
        /* pg_wal a symbolic link to another directory (initdb --waldir). */
        if (r >= 0 && !streq(c.wal_directory, wal))
                r = add_path(&c.paths, c.wal_directory);
        if (r >= 0)
                r = pgw_cluster_add_tablespaces(&c, res, ret_error);
        PQclear(res);
        PQfinish(pg);
        if (r < 0)
                return r;
        *ret = c;
        c = (PgwCluster) {};
        return 0;
}

int pgw_cluster_add_tablespaces(PgwCluster *c, const PGresult *res, char **ret_error) {
        int r, n = 0;

        for (int i = 0; i < PQntuples(res); i++) {
                const char *loc = PQgetvalue(res, i, 0);
                _cleanup_free_ char *real = NULL;
                size_t before = strv_length(c->paths);

                /* In-place tablespaces (a relative location) live in the data directory. */
                if (loc[0] != '/')
                        continue;
                r = resolve(loc, &real, ret_error);
                if (r >= 0)
                        r = add_path(&c->paths, real);
                if (r < 0)
                        return r;
                if (strv_length(c->paths) > before)
                        n++;
        }
        return n;
}

void pgw_cluster_done(PgwCluster *c) {
        c->data_directory = mfree(c->data_directory);
        c->wal_directory = mfree(c->wal_directory);
        c->paths = strv_free(c->paths);
}
