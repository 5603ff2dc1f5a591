/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mariadb-discover.c - asks the server, once at start, where its files are and what it is */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "mariadb-discover.h"
#include "mariadb-link.h"

void mariadb_server_done(MariadbServer *s) {
        for (size_t i = 0; s->paths[i]; i++)
                s->paths[i] = mfree(s->paths[i]);
        s->version = mfree(s->version);
}

/* A directory as the server names it: absolute, or relative to the data
 * directory ("./", ""); without trailing slashes. NULL if it names none. */
static char *resolve_dir(const char *datadir, const char *v, bool is_file_base) {
        char *p = NULL, *slash;
        size_t n;

        if (!v)
                return NULL;
        if (v[0] == '/')
                p = strdup(v);
        else if (asprintf(&p, "%s/%s", datadir, v) < 0)
                p = NULL;
        if (!p)
                return NULL;
        if (is_file_base && (slash = strrchr(p, '/')))         /* /var/log/mysql/mysql-bin -> /var/log/mysql */
                *slash = 0;
        for (n = strlen(p); n > 1 && p[n - 1] == '/'; n--)
                p[n - 1] = 0;
        for (n = strlen(p); n > 2 && streq(p + n - 2, "/."); n = strlen(p))     /* "datadir/." */
                p[n - 2] = 0;
        if (!*p) {
                free(p);
                return NULL;
        }
        return p;
}

static bool under(const char *path, const char *dir) {
        size_t n = strlen(dir);
        return strneq(path, dir, n) && (path[n] == 0 || path[n] == '/');
}

static void add_path(MariadbServer *s, char *p) {
        size_t i;

        if (!p)
                return;
        for (i = 0; s->paths[i]; i++)
                if (under(p, s->paths[i])) {
                        free(p);
                        return;
                }
        if (i < MARIADB_PATHS_MAX)
                s->paths[i] = p;
        else
                free(p);
}

int mariadb_discover(const MariadbConfig *c, MariadbServer *ret, char *why, size_t why_size) {
        static const char query[] =
                "SELECT @@datadir, @@version, IF(@@log_bin, @@log_bin_basename, NULL), "
                "@@innodb_log_group_home_dir, @@innodb_undo_directory, @@innodb_data_home_dir, "
                "@@innodb_flush_log_at_trx_commit";
        MariadbServer s = {};
        MYSQL *m = NULL;
        MYSQL_RES *res;
        MYSQL_ROW row;
        char *datadir;
        int r;

        r = mariadb_connect_sync(c, &m, why, why_size);
        if (r < 0)
                return r;
        if (mysql_query(m, query) != 0 || !(res = mysql_store_result(m))) {
                mariadb_format(why, why_size, "the server did not answer where its files are: %s", mysql_error(m));
                mysql_close(m);
                return -EIO;
        }
        row = mysql_fetch_row(res);
        if (!row || !row[0] || row[0][0] != '/' || !row[1]) {
                mariadb_format(why, why_size, "the server gave no absolute data directory (@@datadir)");
                mysql_free_result(res);
                mysql_close(m);
                return -EIO;
        }
        datadir = resolve_dir("/", row[0], false);
        add_path(&s, datadir);
        if (datadir) {
                add_path(&s, resolve_dir(datadir, row[2], true));
                for (unsigned i = 3; i < 6; i++)
                        add_path(&s, resolve_dir(datadir, row[i], false));
        }
        s.version = strdup(row[1]);
        s.flush_log_at_commit = row[6] ? atoi(row[6]) : 1;
        mysql_free_result(res);
        mysql_close(m);
        if (!datadir || !s.version) {
                mariadb_server_done(&s);
                return -ENOMEM;
        }
        s.mariadb = strstr(s.version, "MariaDB") != NULL;
        if (s.mariadb) {
                unsigned major = 0, minor = 0, patch = 0;
                (void) sscanf(s.version, "%u.%u.%u", &major, &minor, &patch);
                s.backup_stage = major > 10 || (major == 10 && (minor > 4 || (minor == 4 && patch >= 1)));
        }
        *ret = s;
        return 0;
}
