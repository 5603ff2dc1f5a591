/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pgw-config.c - postgresql.conf of the writer: how to reach the server, which instance it is */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "ini.h"
#include "log.h"
#include "macro.h"
#include "pgw-config.h"
#include "writer-config.h"

/* What the writer metadata accepts for an instance: a-z, 0-9, '.', '_', '-',
 * the first a letter or a digit, at most 64. */
static bool valid_instance(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n > 64 || s[0] == '.' || s[0] == '_' || s[0] == '-')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || strchr("._-", s[i])))
                        return false;
        return true;
}

static int set_string(char **field, const char *value) {
        char *s = strdup(value);
        if (!s)
                return -ENOMEM;
        free(*field);
        *field = s;
        return 0;
}

static int on_assignment(IniParser *p, const char *section, const char *key, const char *value) {
        PgwConfig *c = p->data;

        if (!section) {
                ini_report(p, LOG_ERR, "%s= comes before any section ([PostgreSQL])", key);
                return 0;
        }
        if (streq(key, "ConnInfo"))
                return set_string(&c->conninfo, value);
        if (streq(key, "Instance")) {
                if (*value && !valid_instance(value)) {
                        char q[80];
                        ini_report(p, LOG_ERR, "Instance=: '%s' is not an instance name "
                                   "(1 to 64 of a-z, 0-9, '.', '_', '-', first a letter or a digit)",
                                   ini_quote(value, strlen(value), q, sizeof q));
                        return 0;
                }
                return set_string(&c->instance, value);
        }
        ini_report(p, LOG_ERR, "unknown key %s= in [%s]", key, section);
        return 0;
}

int pgw_config_load(const char *path, bool must_exist, PgwConfig *ret) {
        static const char *const sections[] = { "PostgreSQL", NULL };
        _cleanup_free_ char *text = NULL;
        PgwConfig c = {};
        size_t size = 0;
        int r;

        r = ini_read_trusted(path, must_exist, writer_config_report, NULL, &text, &size);
        if (r == -ENOENT && !must_exist) {
                *ret = c;
                return 0;
        }
        if (r < 0)
                return r;
        r = ini_parse(text, size, path, sections, on_assignment, &c, writer_config_report, NULL);
        if (r < 0) {
                pgw_config_done(&c);
                return r;
        }
        if (c.conninfo && !*c.conninfo)
                c.conninfo = mfree(c.conninfo);
        if (c.instance && !*c.instance)
                c.instance = mfree(c.instance);
        *ret = c;
        return 0;
}

void pgw_config_done(PgwConfig *c) {
        c->conninfo = mfree(c->conninfo);
        c->instance = mfree(c->instance);
}
