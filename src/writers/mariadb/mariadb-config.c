/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mariadb-config.c - reads /etc/stasis/writers/mariadb.conf and the password file it names */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ini.h"
#include "log.h"
#include "macro.h"
#include "mariadb-config.h"
#include "writer-config.h"

const char *mariadb_method_to_string(MariadbMethod m) {
        static const char *const names[] = { "auto", "backup-stage", "ftwrl" };
        return m < ELEMENTSOF(names) ? names[m] : NULL;
}

MariadbConfig *mariadb_config_free(MariadbConfig *c) {
        if (!c)
                return NULL;
        writer_server_config_done(&c->server);
        free(c);
        return NULL;
}

static void mariadb_config_freep(MariadbConfig **c) {
        mariadb_config_free(*c);
}

static int parse_assignment(IniParser *p, const char *section, const char *key, const char *value) {
        MariadbConfig *c = p->data;
        char q[80];
        int r;

        r = writer_server_config_assignment(p, &c->server, "MariaDB", section, key, value);
        if (r != 0)
                return r < 0 ? r : 0;
        if (streq(key, "Method")) {
                for (MariadbMethod m = 0; mariadb_method_to_string(m); m++)
                        if (streq(value, mariadb_method_to_string(m))) {
                                c->method = m;
                                return 0;
                        }
                ini_report(p, LOG_ERR, "Method=: '%s' is not auto, backup-stage or ftwrl", ini_quote(value, strlen(value), q, sizeof q));
                return 0;
        }
        return writer_config_unknown_key(p, section, key);
}

int mariadb_config_load(const char *path, int must_exist, MariadbConfig **ret) {
        static const char *const sections[] = { "MariaDB", "Writer", NULL };
        _cleanup_(mariadb_config_freep) MariadbConfig *c = calloc(1, sizeof(MariadbConfig));
        int r;

        if (!c)
                return log_oom();
        c->server.port = 3306;
        c->server.timeout_sec = 30;
        c->server.freeze_timeout_sec = 60;
        r = writer_config_parse_file(path, must_exist, sections, parse_assignment, c);
        if (r >= 0)
                r = writer_server_config_finish(&c->server, path, MARIADB_DEFAULT_SOCKET, NULL);
        if (r < 0)
                return r;
        if (!c->server.user && !(c->server.user = strdup("root")))
                return log_oom();
        *ret = TAKE_PTR(c);
        return 0;
}
