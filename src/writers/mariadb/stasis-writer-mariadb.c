/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-writer-mariadb.c - a stasis writer for a MariaDB or MySQL server: commits blocked in one session across each freeze */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-event.h>

#include <mysql.h>

#include "log.h"
#include "macro.h"
#include "mariadb-config.h"
#include "mariadb-discover.h"
#include "mariadb-writer.h"
#include "stasis/stasis.h"
#include "writer-main.h"

static void help(void) {
        printf("Usage: stasis-writer-mariadb [OPTION...]\n\n"
               "A stasis writer for a MariaDB or MySQL server (see stasis-writer-mariadb(8)).\n\n"
               "  --config PATH        the configuration (default " MARIADB_CONFIG_FILE ")\n"
               "  --bus-address ADDR   the bus to register on (default: the system bus)\n"
               "  -h, --help           this help\n");
}

int main(int argc, char *argv[]) {
        WriterArgs args = { .help = help, .config = MARIADB_CONFIG_FILE };
        MariadbServer server = {};
        MariadbConfig *c = NULL;
        StasisWriter *w = NULL;
        MariadbWriter *mw = NULL;
        sd_event *event = NULL;
        MariadbMethod method;
        char why[800];
        int r;

        log_set_prefix("stasis-writer-mariadb");
        r = writer_parse_argv(argc, argv, &args);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        if (mysql_library_init(0, NULL, NULL) != 0) {
                log_error("Cannot initialize libmariadb.");
                return 1;
        }

        r = mariadb_config_load(args.config, args.config != (const char *) MARIADB_CONFIG_FILE, &c);
        if (r < 0)
                goto finish;
        r = mariadb_discover(c, &server, why, sizeof why);
        if (r < 0) {
                log_error("%s.", why);
                goto finish;
        }
        method = c->method != MARIADB_METHOD_AUTO ? c->method :
                 server.backup_stage ? MARIADB_METHOD_BACKUP_STAGE : MARIADB_METHOD_FTWRL;
        if (method == MARIADB_METHOD_BACKUP_STAGE && !server.backup_stage) {
                r = log_error_errno(EINVAL, "%s: Method=backup-stage, but the server (%s) has no BACKUP STAGE (MariaDB 10.4.1 and later have).",
                                    args.config, server.version);
                goto finish;
        }

        r = writer_server_new("mariadb", &c->server, args.bus, &event, &w);
        if (r < 0)
                goto finish;
        r = stasis_writer_add_component(w, MARIADB_COMPONENT, (const char *const *) server.paths, 1,
                                        "Data directory, with the binary log and InnoDB's logs if elsewhere");
        if (r >= 0)
                r = mariadb_writer_new(&mw, w, event, c, method, server.mariadb);
        if (r < 0) {
                log_error_errno(r, "Cannot set up the writer: %m");
                goto finish;
        }
        r = writer_start(w, event);
        if (r < 0)
                goto finish;
        log_info("Writing for %s (%s), method %s.", c->server.socket ?: c->server.host, server.version, mariadb_method_to_string(method));
        for (size_t i = 0; server.paths[i]; i++)
                log_info("Component data: %s", server.paths[i]);
        if (server.flush_log_at_commit == 0)
                log_warning("The server has innodb_flush_log_at_trx_commit=0: transactions committed in the second "
                            "before a freeze may be missing from its snapshots; set it to 1 or 2.");
        r = writer_loop(event);

finish:
        mw = mariadb_writer_free(mw);
        w = stasis_writer_unref(w);
        event = sd_event_unref(event);
        mariadb_server_done(&server);
        mariadb_config_free(c);
        mysql_library_end();
        return r < 0 ? 1 : 0;
}
