/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-writer-postgresql.c - the PostgreSQL writer: main, options, start-up */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "pgw-config.h"
#include "pgw-discover.h"
#include "pgw-set.h"
#include "writer-main.h"

static const char *arg_config = PGW_CONFIG_FILE;
static bool arg_config_given = false;
static const char *arg_bus_address = NULL;

static void help(void) {
        printf("stasis-writer-postgresql [OPTIONS...]\n\n"
               "Takes part in stasis snapshot sets for a PostgreSQL cluster: CHECKPOINT before\n"
               "the snapshots, and PostgreSQL's backup mode when they are not taken at one instant.\n\n"
               "  -h --help              Show this help\n"
               "     --version           Show the version\n"
               "     --config=PATH       Read PATH instead of %s\n"
               "     --bus-address=ADDR  Connect to the bus at ADDR instead of the system bus\n"
               "     --log-level=LEVEL   debug, info (the default), notice, warning, err\n\n"
               "The server is reached with [PostgreSQL] ConnInfo= of the configuration, or with\n"
               "libpq's environment (PGHOST, PGPORT, PGUSER, ...). See stasis-writer-postgresql(8).\n",
               PGW_CONFIG_FILE);
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_CONFIG, ARG_BUS_ADDRESS, ARG_LOG_LEVEL };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "config", required_argument, NULL, ARG_CONFIG },
                { "bus-address", required_argument, NULL, ARG_BUS_ADDRESS },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                {}
        };
        int c, l;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("stasis-writer-postgresql %s\n", stasis_version());
                        return 0;
                case ARG_CONFIG:
                        arg_config = optarg;
                        arg_config_given = true;
                        break;
                case ARG_BUS_ADDRESS:
                        arg_bus_address = optarg;
                        break;
                case ARG_LOG_LEVEL:
                        l = log_level_from_string(optarg);
                        if (l < 0) {
                                log_error("--log-level: '%s' is not a log level.", optarg);
                                return -EINVAL;
                        }
                        log_set_max_level(l);
                        break;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                log_error("Unexpected argument '%s'; see --help.", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

static int set_component(Pgw *p) {
        int r;

        r = stasis_writer_clear_components(p->writer);
        if (r >= 0)
                r = stasis_writer_add_component(p->writer, p->component, (const char *const *) p->cluster.paths, 1,
                                                "data directory, write-ahead log and tablespaces");
        if (r < 0)
                return log_error_errno(r, "Cannot set the component's paths: %s", *stasis_writer_last_error(p->writer) ?
                                       stasis_writer_last_error(p->writer) : strerror(-r));
        for (char **i = p->cluster.paths; *i; i++)
                log_info("Component %s: %s.", p->component, *i);
        return 0;
}

static int run(Pgw *p, const PgwConfig *cfg) {
        StasisWriter *w = NULL;
        int r;

        r = stasis_writer_new(&w, "postgresql", cfg->instance);
        if (r < 0)
                return log_error_errno(r, "Cannot make the writer postgresql%s%s: %m", cfg->instance ? "@" : "",
                                       strempty(cfg->instance));
        p->writer = w;
        p->paths_changed = set_component;
        r = set_component(p);
        if (r >= 0)
                r = stasis_writer_set_restore_method(w, "stop-restore-start");
        if (r >= 0 && arg_bus_address)
                r = stasis_writer_set_bus_address(w, arg_bus_address);
        if (r >= 0)
                r = pgw_set_handlers(p, w);
        if (r < 0) {
                log_error_errno(r, "Cannot set up the writer: %s", *stasis_writer_last_error(w) ?
                                stasis_writer_last_error(w) : strerror(-r));
                goto finish;
        }
        r = writer_start(w, p->event);
        if (r >= 0)
                r = writer_loop(p->event);
finish:
        pgw_sets_free(p);
        stasis_writer_unref(w);
        return r;
}

int main(int argc, char *argv[]) {
        PgwConfig cfg = {};
        Pgw p = { .component = "cluster" };
        _cleanup_free_ char *error = NULL;
        int r;

        log_set_prefix("stasis-writer-postgresql");
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : 0;

        r = pgw_config_load(arg_config, arg_config_given, &cfg);
        if (r < 0)
                return 1;

        r = pgw_discover(cfg.conninfo, &p.cluster, &error);
        if (r < 0) {
                log_error("%s%s", error ?: strerror(-r), error && strchr("?!", error[strlen(error) - 1]) ? "" : ".");
                goto finish;
        }
        p.conninfo = cfg.conninfo;

        r = sd_event_default(&p.event);
        if (r < 0) {
                log_error_errno(r, "Cannot make the event loop: %m");
                goto finish;
        }
        r = run(&p, &cfg);
finish:
        sd_event_unref(p.event);
        pgw_cluster_done(&p.cluster);
        pgw_config_done(&cfg);
        return r < 0 ? 1 : 0;
}
