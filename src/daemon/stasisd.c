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
#include "stasisd-catalog-bench.h"
#include "stasisd-clock.h"
#include "stasisd-config.h"
#include "stasisd-policy.h"
#include "stasisd-manager.h"
#include "stasisd-set-views.h"
#include "stasisd-set-views-record.h"

static const char *arg_state_dir = NULL;
static const char *arg_runtime_dir = NULL;
static usec_t arg_commit_timeout = MANAGER_COMMIT_TIMEOUT_DEFAULT;
static usec_t arg_hold_timeout = MANAGER_HOLD_TIMEOUT_DEFAULT;
static usec_t arg_freeze_settle = MANAGER_FREEZE_SETTLE_DEFAULT;
static const char *arg_providers_dir = STASIS_PROVIDERS_DIR;
static usec_t arg_identify_timeout = MANAGER_IDENTIFY_TIMEOUT_DEFAULT;
static usec_t arg_prepare_timeout = MANAGER_PREPARE_TIMEOUT_DEFAULT;
static usec_t arg_freeze_window = MANAGER_FREEZE_WINDOW_DEFAULT;
static const char *arg_config = NULL;
static bool arg_check_config = false;
static bool arg_orphan_scan = true;
static bool arg_expedite_freeze = true;
static const char *arg_policies_dir = NULL;
static const char *arg_test_clock = NULL;
static unsigned arg_populate = 0;
static const char *arg_populate_policy = NULL;

#define SEC(usec) ((double) (usec) / USEC_PER_SEC)

static void help(void) {
        printf("stasisd [OPTIONS...]\n\n"
               "The stasis coordinator: takes application-consistent snapshot sets.\n\n"
               "  -h --help              Show this help\n"
               "     --version           Show the version\n"
               "     --state-dir=DIR     Keep the catalog in DIR (default $STASIS_STATE_DIR or %s)\n"
               "     --runtime-dir=DIR   Attach views of sets under DIR/sets (default\n"
               "                         $STASIS_RUNTIME_DIR or " STASIS_RUNTIME_DIR ")\n"
               "     --log-level=LEVEL   emerg, alert, crit, err, warning, notice, info\n"
               "                         or debug, or 0-7 (default info)\n"
               "     --commit-timeout=SEC\n"
               "                         Time limit for a provider to take or remove a set's\n"
               "                         snapshots (default %g)\n"
               "     --hold-timeout=SEC  Longest time file systems stay frozen (default %g)\n"
               "     --freeze-settle=SEC Pause before freezing, which shortens the freeze\n"
               "                         itself (default %g; 0 for none)\n"
               "     --providers-dir=DIR External provider executables (default %s)\n"
               "     --identify-timeout=SEC\n"
               "                         Time limit for writers to answer Identify (default %g)\n"
               "     --prepare-timeout=SEC\n"
               "                         Time limit for PrepareBackup, PrepareSnapshot,\n"
               "                         PostSnapshot, BackupComplete and Abort (default %g)\n"
               "     --freeze-window=SEC Longest time writers stay frozen (default %g; less if\n"
               "                         a writer of the set asks for less)\n"
               "     --config=FILE       Read FILE instead of %s\n"
               "     --check-config      Check the configuration file and the policies and\n"
               "                         exit: 0 if they have no error, 1 if they have\n"
               "     --policies-dir=DIR  Read the policies in DIR (default %s)\n"
               "     --test-clock=FILE   For tests only: take the time of day from FILE\n"
               "                         (seconds since the epoch), read anew each time\n"
               "     --test-populate-catalog=N[:POLICY]\n"
               "                         For benchmarks only: record N sets without snapshots,\n"
               "                         an hour apart (of POLICY), in the catalog, and exit\n"
               "     --expedite-freeze=BOOL\n"
               "                         Expedited RCU grace periods while freezing, which\n"
               "                         shortens the freeze (default yes)\n"
               "     --orphan-scan=BOOL  Look for orphan snapshots in the stores at start-up\n"
               "                         (default yes)\n"
               "\nThe bus is $STASIS_BUS_ADDRESS, else $DBUS_SYSTEM_BUS_ADDRESS, else the system bus.\n"
               "See stasisd(8) and stasisd.conf(5).\n", STASIS_STATE_DIR,
               SEC(MANAGER_COMMIT_TIMEOUT_DEFAULT), SEC(MANAGER_HOLD_TIMEOUT_DEFAULT),
               SEC(MANAGER_FREEZE_SETTLE_DEFAULT), STASIS_PROVIDERS_DIR, SEC(MANAGER_IDENTIFY_TIMEOUT_DEFAULT),
               SEC(MANAGER_PREPARE_TIMEOUT_DEFAULT), SEC(MANAGER_FREEZE_WINDOW_DEFAULT), STASIS_CONFIG_FILE,
               STASIS_POLICIES_DIR);
}

static int parse_seconds(const char *option, const char *s, double max, usec_t *ret) {
        char *end;
        errno = 0;
        double sec = strtod(s, &end);
        if (errno || *end || end == s || !(sec > 0) || sec > max) {
                log_error("Invalid %s '%s': give seconds, more than 0 and at most %g.", option, s, max);
                return -EINVAL;
        }
        *ret = (usec_t) (sec * USEC_PER_SEC);
        return 0;
}

static int parse_yes_no(const char *option, const char *value, bool *ret) {
        if (streq(value, "yes"))
                *ret = true;
        else if (streq(value, "no"))
                *ret = false;
        else {
                log_error("Invalid %s '%s': give yes or no.", option, value);
                return -EINVAL;
        }
        return 0;
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_STATE_DIR, ARG_RUNTIME_DIR, ARG_LOG_LEVEL, ARG_COMMIT_TIMEOUT, ARG_HOLD_TIMEOUT, ARG_PROVIDERS_DIR,
               ARG_FREEZE_SETTLE, ARG_IDENTIFY_TIMEOUT, ARG_PREPARE_TIMEOUT, ARG_FREEZE_WINDOW,
               ARG_CONFIG, ARG_CHECK_CONFIG, ARG_ORPHAN_SCAN, ARG_EXPEDITE_FREEZE, ARG_POLICIES_DIR,
               ARG_TEST_CLOCK, ARG_TEST_POPULATE };
        static const struct option options[] = {
                { "help",      no_argument,       NULL, 'h' },
                { "version",   no_argument,       NULL, ARG_VERSION },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                { "runtime-dir", required_argument, NULL, ARG_RUNTIME_DIR },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "commit-timeout", required_argument, NULL, ARG_COMMIT_TIMEOUT },
                { "hold-timeout", required_argument, NULL, ARG_HOLD_TIMEOUT },
                { "providers-dir", required_argument, NULL, ARG_PROVIDERS_DIR },
                { "freeze-settle", required_argument, NULL, ARG_FREEZE_SETTLE },
                { "identify-timeout", required_argument, NULL, ARG_IDENTIFY_TIMEOUT },
                { "prepare-timeout", required_argument, NULL, ARG_PREPARE_TIMEOUT },
                { "freeze-window", required_argument, NULL, ARG_FREEZE_WINDOW },
                { "config", required_argument, NULL, ARG_CONFIG },
                { "check-config", no_argument, NULL, ARG_CHECK_CONFIG },
                { "orphan-scan", required_argument, NULL, ARG_ORPHAN_SCAN },
                { "expedite-freeze", required_argument, NULL, ARG_EXPEDITE_FREEZE },
                { "policies-dir", required_argument, NULL, ARG_POLICIES_DIR },
                { "test-clock", required_argument, NULL, ARG_TEST_CLOCK },
                { "test-populate-catalog", required_argument, NULL, ARG_TEST_POPULATE },
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
                case ARG_RUNTIME_DIR:
                        arg_runtime_dir = optarg;
                        break;
                case ARG_LOG_LEVEL:
                        l = log_level_from_string(optarg);
                        if (l < 0) {
                                log_error("Unknown log level '%s'.", optarg);
                                return -EINVAL;
                        }
                        log_set_max_level(l);
                        break;
                case ARG_COMMIT_TIMEOUT:
                        if (parse_seconds("--commit-timeout", optarg, 86400, &arg_commit_timeout) < 0)
                                return -EINVAL;
                        break;
                case ARG_HOLD_TIMEOUT:
                        /* Writers on a frozen file system hang: keep the ceiling low. */
                        if (parse_seconds("--hold-timeout", optarg, 600, &arg_hold_timeout) < 0)
                                return -EINVAL;
                        break;
                case ARG_FREEZE_SETTLE:
                        if (streq(optarg, "0"))
                                arg_freeze_settle = 0;
                        else if (parse_seconds("--freeze-settle", optarg, 1, &arg_freeze_settle) < 0)
                                return -EINVAL;
                        break;
                case ARG_PROVIDERS_DIR:
                        arg_providers_dir = optarg;
                        break;
                case ARG_IDENTIFY_TIMEOUT:
                        if (parse_seconds("--identify-timeout", optarg, 3600, &arg_identify_timeout) < 0)
                                return -EINVAL;
                        break;
                case ARG_PREPARE_TIMEOUT:
                        if (parse_seconds("--prepare-timeout", optarg, 86400, &arg_prepare_timeout) < 0)
                                return -EINVAL;
                        break;
                case ARG_FREEZE_WINDOW:
                        /* As a writer's freeze_timeout_ms: at most 10 minutes. */
                        if (parse_seconds("--freeze-window", optarg, 600, &arg_freeze_window) < 0)
                                return -EINVAL;
                        break;
                case ARG_CONFIG:
                        arg_config = optarg;
                        break;
                case ARG_CHECK_CONFIG:
                        arg_check_config = true;
                        break;
                case ARG_EXPEDITE_FREEZE:
                        if (parse_yes_no("--expedite-freeze", optarg, &arg_expedite_freeze) < 0)
                                return -EINVAL;
                        break;
                case ARG_POLICIES_DIR:
                        arg_policies_dir = optarg;
                        break;
                case ARG_TEST_CLOCK:
                        if (optarg[0] != '/') {
                                log_error("--test-clock: '%s' is not an absolute path.", optarg);
                                return -EINVAL;
                        }
                        arg_test_clock = optarg;
                        break;
                case ARG_TEST_POPULATE: {
                        char *end;
                        unsigned long n;
                        errno = 0;
                        n = strtoul(optarg, &end, 10);
                        if (errno || end == optarg || n == 0 || n > 1000000 || (*end && *end != ':')) {
                                log_error("--test-populate-catalog: '%s' is not N[:POLICY], N from 1 to 1000000.",
                                          optarg);
                                return -EINVAL;
                        }
                        arg_populate = (unsigned) n;
                        arg_populate_policy = *end == ':' ? end + 1 : NULL;
                        break;
                }
                case ARG_ORPHAN_SCAN:
                        if (parse_yes_no("--orphan-scan", optarg, &arg_orphan_scan) < 0)
                                return -EINVAL;
                        break;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                log_error("Unexpected argument '%s'.", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

static void log_config_problem(void *userdata, int level, const char *file, unsigned line, const char *message) {
        if (line > 0)
                log_full_errno(level, 0, "%s:%u: %s.", file, line, message);
        else
                log_full_errno(level, 0, "%s: %s.", file, message);
}

/* The configuration file, its names looked up; problems are logged. */
static int load_config(StasisdConfig **ret) {
        _cleanup_(config_freep) StasisdConfig *c = NULL;
        const char *path = arg_config ?: STASIS_CONFIG_FILE;
        int r;

        r = config_load(path, !!arg_config, log_config_problem, NULL, &c);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0)
                return r;
        r = config_resolve(c, log_config_problem, NULL);
        if (r < 0)
                return log_oom();
        *ret = TAKE_PTR(c);
        return 0;
}

/* The policies; the good ones even if some files are bad (those are logged). */
static int load_policies(Policies **ret) {
        int r = policies_load(arg_policies_dir ?: STASIS_POLICIES_DIR, log_config_problem, NULL, ret);
        if (r == -ENOMEM)
                return log_oom();
        return r;
}

int main(int argc, char *argv[]) {
        _cleanup_(config_freep) StasisdConfig *config = NULL;
        _cleanup_(policies_freep) Policies *policies = NULL;
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

        r = load_config(&config);
        int rp = load_policies(&policies);
        if (arg_check_config) {
                if (r >= 0 && !config->path)
                        printf("%s does not exist: stasisd uses its defaults.\n", STASIS_CONFIG_FILE);
                else if (r >= 0)
                        printf("%s: no errors.\n", config->path);
                if (rp >= 0)
                        printf("%s: %zu %s, no errors.\n", arg_policies_dir ?: STASIS_POLICIES_DIR,
                               policies ? policies->n : 0, policies && policies->n == 1 ? "policy" : "policies");
                return r < 0 || rp < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        }
        if (r < 0)
                return EXIT_FAILURE;
        if (rp == -ENOMEM)
                return EXIT_FAILURE;
        if (rp < 0)
                log_warning("Some policies have errors (above) and are left out; the %zu good ones are used.",
                            policies ? policies->n : 0);

        if (!arg_state_dir) {
                e = getenv("STASIS_STATE_DIR");
                arg_state_dir = isempty(e) ? STASIS_STATE_DIR : e;
        }

        if (!arg_runtime_dir) {
                e = getenv("STASIS_RUNTIME_DIR");
                arg_runtime_dir = isempty(e) ? STASIS_RUNTIME_DIR : e;
        }
        if (arg_runtime_dir[0] != '/') {
                log_error("The runtime directory %s is not an absolute path.", arg_runtime_dir);
                return EXIT_FAILURE;
        }

        if (arg_populate > 0) {
                _cleanup_(catalog_closep) Catalog *c = NULL;
                char why[1024];
                r = catalog_open_why(arg_state_dir, &c, why, sizeof why);
                if (r < 0)
                        return log_error_errno(r, "Failed to open the catalog in %s: %s", arg_state_dir, why),
                               EXIT_FAILURE;
                r = catalog_populate(c, arg_populate, arg_populate_policy,
                                     clock_realtime(arg_test_clock), 3600 * USEC_PER_SEC);
                if (r < 0)
                        return log_error_errno(r, "Failed to record the sets: %s", catalog_last_error(c)),
                               EXIT_FAILURE;
                printf("Recorded %u sets without snapshots (for benchmarks only).\n", arg_populate);
                return EXIT_SUCCESS;
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
        m->hold_timeout = arg_hold_timeout;
        m->freeze_settle = arg_freeze_settle;
        m->identify_timeout = arg_identify_timeout;
        m->prepare_timeout = arg_prepare_timeout;
        m->freeze_window = arg_freeze_window;
        m->config = TAKE_PTR(config);
        m->orphan_scan = arg_orphan_scan;
        m->policies = TAKE_PTR(policies);
        m->policies_dir = strdup(arg_policies_dir ?: STASIS_POLICIES_DIR);
        if (arg_test_clock) {
                log_warning("Taking the time of day from %s (--test-clock, for tests only).", arg_test_clock);
                m->test_clock = strdup(arg_test_clock);
                if (!m->test_clock)
                        return log_oom(), EXIT_FAILURE;
        }
        m->expedite_freeze = arg_expedite_freeze;
        m->providers_dir = strdup(arg_providers_dir);
        m->runtime_dir = strdup(arg_runtime_dir);
        if (!m->providers_dir || !m->runtime_dir)
                return log_oom(), EXIT_FAILURE;
        /* What a previous run left mounted is unmounted, before any set is loaded. */
        set_views_clean_stale(m->runtime_dir);
        r = manager_start(m);
        if (r < 0)
                return EXIT_FAILURE;
        r = manager_run(m);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m"), EXIT_FAILURE;
        return r == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
