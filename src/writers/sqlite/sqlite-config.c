/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sqlite-config.c - stasis-writer-sqlite's configuration file: [Writer] and [Database] sections */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "ini.h"
#include "macro.h"
#include "sqlite-config.h"
#include "strv.h"
#include "writer-config.h"

static int on_assignment(IniParser *p, const char *section, const char *key, const char *value) {
        SqliteConfig *c = p->data;
        char q[128];

        if (streq(section, "Writer")) {
                if (streq(key, "Instance")) {
                        free(c->instance);
                        c->instance = isempty(value) ? NULL : strdup(value);
                        return isempty(value) || c->instance ? 0 : -ENOMEM;
                }
                if (streq(key, "BusyTimeoutSec") || streq(key, "FreezeTimeoutSec")) {
                        uint64_t *t = streq(key, "BusyTimeoutSec") ? &c->busy_timeout_usec : &c->freeze_timeout_usec;
                        return writer_config_set_seconds(p, t, key, value);
                }
        } else if (streq(section, "Database") && streq(key, "Path")) {
                if (value[0] != '/') {
                        ini_report(p, LOG_ERR, "Path=%s: not an absolute path",
                                   ini_quote(value, strlen(value), q, sizeof q));
                        return 0;
                }
                if (c->n_paths >= SQLITE_WRITER_DATABASES_MAX) {
                        ini_report(p, LOG_ERR, "more than %d databases", SQLITE_WRITER_DATABASES_MAX);
                        return 0;
                }
                STRV_FOREACH(x, c->paths)
                        if (streq(*x, value)) {
                                ini_report(p, LOG_ERR, "Path=%s is given twice",
                                           ini_quote(value, strlen(value), q, sizeof q));
                                return 0;
                        }
                if (strv_extend(&c->paths, value) < 0)
                        return -ENOMEM;
                c->n_paths++;
                return 0;
        }
        ini_report(p, LOG_ERR, "unknown key %s in section [%s]", ini_quote(key, strlen(key), q, sizeof q),
                   strempty(section));
        return 0;
}

int sqlite_config_read(const char *path, SqliteConfig *ret) {
        static const char *const sections[] = { "Writer", "Database", NULL };
        _cleanup_free_ char *text = NULL;
        SqliteConfig c = {
                .busy_timeout_usec = SQLITE_WRITER_BUSY_TIMEOUT_USEC_DEFAULT,
                .freeze_timeout_usec = SQLITE_WRITER_FREEZE_TIMEOUT_USEC_DEFAULT,
        };
        size_t size;
        int r;

        r = ini_read_trusted(path, true, writer_config_report_stderr, NULL, &text, &size);
        if (r < 0)
                return r;
        r = ini_parse(text, size, path, sections, on_assignment, &c, writer_config_report_stderr, NULL);
        if (r >= 0 && c.n_paths == 0) {
                fprintf(stderr, "%s: no database: give at least one [Database] Path=\n", path);
                r = -EINVAL;
        }
        if (r < 0) {
                sqlite_config_done(&c);
                return r;
        }
        *ret = c;
        return 0;
}

void sqlite_config_done(SqliteConfig *c) {
        free(c->instance);
        strv_free(c->paths);
        *c = (SqliteConfig) {};
}
