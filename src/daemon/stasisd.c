/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd.c - the stasis coordinator daemon: parse the command line, run the manager */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "log.h"
#include "macro.h"
#include "stasisd-manager.h"

static const char *arg_state_dir = NULL;
static usec_t arg_commit_timeout = 60 * USEC_PER_SEC;

static void help(void) {
        printf("stasisd [OPTIONS...]\n\n"
               "The stasis coordinator: takes application-consistent snapshot sets.\n\n"
               "  -h --help              Show this help\n"
               "     --version           Show the version\n"
               "     --state-dir=DIR     Keep the catalog in DIR (default $STASIS_STATE_DIR or %s)\n"
               "     --log-level=LEVEL   emerg, alert, crit, err, warning, notice, info\n"
               "                         or debug, or 0-7 (default info)\n"
               "     --commit-timeout=SEC\n"
               "                         Time limit for a provider to take or remove a set's\n"
               "                         snapshots (default 60)\n"
               "\nThe bus is $STASIS_BUS_ADDRESS, else $DBUS_SYSTEM_BUS_ADDRESS, else the system bus.\n"
               "See stasisd(8).\n", STASIS_STATE_DIR);
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_STATE_DIR, ARG_LOG_LEVEL, ARG_COMMIT_TIMEOUT };
        static const struct option options[] = {
                { "help",      no_argument,       NULL, 'h' },
                { "version",   no_argument,       NULL, ARG_VERSION },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "commit-timeout", required_argument, NULL, ARG_COMMIT_TIMEOUT },
                {}
        };
        int c, l;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("stasisd %s\n", STASIS_VERSION);
                        return 0;
                case ARG_STATE_DIR:
                        arg_state_dir = optarg;
                        break;
                case ARG_LOG_LEVEL:
                        l = log_level_from_string(optarg);
                        if (l < 0) {
                                log_error("Unknown log level '%s'.", optarg);
                                return -EINVAL;
                        }
                        log_set_max_level(l);
                        break;
                case ARG_COMMIT_TIMEOUT: {
                        char *end;
                        errno = 0;
                        double sec = strtod(optarg, &end);
                        if (errno || *end || end == optarg || !(sec > 0) || sec > 86400) {
                                log_error("Invalid --commit-timeout '%s': give seconds, more than 0 and at most 86400.",
                                          optarg);
                                return -EINVAL;
                        }
                        arg_commit_timeout = (usec_t) (sec * USEC_PER_SEC);
                        break;
                }
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                log_error("Unexpected argument '%s'.", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

int main(int argc, char *argv[]) {
        _cleanup_(manager_freep) Manager *m = NULL;
        const char *e;
        sigset_t mask;
        int r;

        log_set_prefix("stasisd");
        log_set_level_prefix(true);
        e = getenv("STASIS_LOG_LEVEL");
        if (!isempty(e)) {
                if (log_level_from_string(e) >= 0)
                        log_set_max_level(log_level_from_string(e));
                else
                        log_warning("Ignoring unknown STASIS_LOG_LEVEL '%s'.", e);
        }

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        if (!arg_state_dir) {
                e = getenv("STASIS_STATE_DIR");
                arg_state_dir = isempty(e) ? STASIS_STATE_DIR : e;
        }

        /* sd-event handles these through signalfd and child sources. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        r = manager_new(arg_state_dir, &m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up: %m"), EXIT_FAILURE;
        m->commit_timeout = arg_commit_timeout;
        r = manager_start(m);
        if (r < 0)
                return EXIT_FAILURE;
        r = manager_run(m);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m"), EXIT_FAILURE;
        return r == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
