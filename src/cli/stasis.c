/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis.c - the stasis command: parse the command line and dispatch to a verb */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "bus-errors.h"
#include "bus-util.h"
#include "macro.h"
#include "stasis.h"
#include "stasis/stasis.h"

bool arg_json = false;
const char *arg_label = NULL;

int report_bus_error(const char *what, int r, const sd_bus_error *error) {
        const char *msg = error && sd_bus_error_is_set(error) ? error->message : NULL;
        const char *name = error && sd_bus_error_is_set(error) ? error->name : NULL;
        int code;

        if (name && (sd_bus_error_has_name(error, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
                     sd_bus_error_has_name(error, SD_BUS_ERROR_NAME_HAS_NO_OWNER))) {
                fprintf(stderr, "stasis: %s: stasisd is not running on this bus (%s)\n", what,
                        bus_stasis_address() ?: "system bus");
                return EXIT_NO_DAEMON;
        }
        if (name && sd_bus_error_has_name(error, SD_BUS_ERROR_NO_REPLY)) {
                fprintf(stderr, "stasis: %s: stasisd did not answer in time\n", what);
                return EXIT_TIMEOUT;
        }

        if (r < 0)
                r = -r;
        switch (r) {
        case EINVAL: case ENOTDIR: case E2BIG: code = EXIT_USAGE; break;
        case ENOENT: case ENXIO: code = EXIT_NOT_FOUND; break;
        case EACCES: case EPERM: code = EXIT_DENIED; break;
        case EOPNOTSUPP: case EROFS: code = EXIT_UNSUPPORTED; break;
        case EBUSY: code = EXIT_BUSY; break;
        case ETIMEDOUT: code = EXIT_TIMEOUT; break;
        case ECONNREFUSED: case ENOTCONN: case ECONNRESET: case EHOSTDOWN: code = EXIT_NO_DAEMON; break;
        default: code = EXIT_FAILED;
        }
        if (msg)
                fprintf(stderr, "stasis: %s\n", msg);
        else
                fprintf(stderr, "stasis: %s: %s\n", what, strerror(r));
        return code;
}

int bus_connect(sd_bus **ret) {
        int r = bus_open_stasis(ret);
        if (r < 0) {
                fprintf(stderr, "stasis: cannot connect to the bus %s: %s\n",
                        bus_stasis_address() ?: "(system bus)", strerror(-r));
                return -EXIT_NO_DAEMON;
        }
        return 0;
}

int new_paths_call(sd_bus *bus, const char *method, char **paths, sd_bus_message **ret) {
        sd_bus_message *m = NULL;
        char cwd[PATH_MAX];
        int r;

        if (!getcwd(cwd, sizeof cwd))
                return -errno;
        r = sd_bus_message_new_method_call(bus, &m, STASIS_BUS_NAME, STASIS_MANAGER_PATH,
                                           STASIS_MANAGER_INTERFACE, method);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "s");
        for (char **a = paths; r >= 0 && *a; a++) {
                char *abs = NULL;
                if ((*a)[0] == '/')
                        r = sd_bus_message_append(m, "s", *a);
                else if (asprintf(&abs, "%s/%s", streq(cwd, "/") ? "" : cwd, *a) < 0)
                        r = -ENOMEM;
                else
                        r = sd_bus_message_append(m, "s", abs);
                free(abs);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0) {
                sd_bus_message_unref(m);
                return r;
        }
        *ret = m;
        return 0;
}

int fetch_set(sd_bus *bus, const char *object_path, SetInfo *ret) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_call_method(bus, STASIS_BUS_NAME, object_path, "org.freedesktop.DBus.Properties",
                               "GetAll", &error, &reply, "s", STASIS_SET_INTERFACE);
        if (r < 0) {
                r = report_bus_error("reading the set", r, &error);
                sd_bus_error_free(&error);
                return -r;
        }
        r = set_info_from_properties(reply, ret);
        sd_bus_message_unref(reply);
        if (r < 0) {
                fprintf(stderr, "stasis: malformed answer from stasisd: %s\n", strerror(-r));
                return -EXIT_FAILED;
        }
        ret->object_path = strdup(object_path);
        return 0;
}

static void help(void) {
        printf("stasis [OPTIONS...] COMMAND [ARGS...]\n\n"
               "Application-consistent snapshot sets.\n\n"
               "Commands:\n"
               "  create PATH...       Snapshot the volumes that hold PATHs, as one set\n"
               "  list                 List the snapshot sets\n"
               "  show ID              Show one set and its volumes\n"
               "  delete ID...         Delete sets and their snapshots\n"
               "  volumes PATH...      Show the volume, file system and provider of each PATH\n"
               "\nOptions:\n"
               "  -h --help            Show this help\n"
               "     --version         Show the version\n"
               "     --json            Print JSON instead of tables\n"
               "  -l --label=LABEL     With create: a label for the set\n"
               "\nThe bus is $STASIS_BUS_ADDRESS, else $DBUS_SYSTEM_BUS_ADDRESS, else the system bus.\n"
               "Exit codes: 0 ok, 1 failed, 2 usage, 3 not found, 4 permission denied,\n"
               "5 stasisd unreachable, 6 unsupported volume, 7 busy, 8 timed out. See stasis(1).\n");
}

static const struct {
        const char *name;
        int min_args;     /* after the verb */
        int (*run)(sd_bus *bus, char **args);
} verbs[] = {
        { "create",  1, verb_create },
        { "list",    0, verb_list },
        { "show",    1, verb_show },
        { "delete",  1, verb_delete },
        { "volumes", 1, verb_volumes },
};

int main(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_JSON };
        static const struct option options[] = {
                { "help",    no_argument,       NULL, 'h' },
                { "version", no_argument,       NULL, ARG_VERSION },
                { "json",    no_argument,       NULL, ARG_JSON },
                { "label",   required_argument, NULL, 'l' },
                {}
        };
        _cleanup_bus_flush_close_unref_ sd_bus *bus = NULL;
        int c, r;

        while ((c = getopt_long(argc, argv, "hl:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return EXIT_OK;
                case ARG_VERSION:
                        printf("stasis %s\n", STASIS_VERSION);
                        return EXIT_OK;
                case ARG_JSON:
                        arg_json = true;
                        break;
                case 'l':
                        arg_label = optarg;
                        break;
                default:
                        return EXIT_USAGE;
                }

        if (optind >= argc) {
                fprintf(stderr, "stasis: no command given; see 'stasis --help'\n");
                return EXIT_USAGE;
        }
        const char *verb = argv[optind];
        char **args = argv + optind + 1;
        int n_args = argc - optind - 1;

        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                if (!streq(verbs[i].name, verb))
                        continue;
                if (n_args < verbs[i].min_args) {
                        fprintf(stderr, "stasis %s: missing argument; see 'stasis --help'\n", verb);
                        return EXIT_USAGE;
                }
                if (arg_label && !streq(verb, "create")) {
                        fprintf(stderr, "stasis %s: --label only goes with create\n", verb);
                        return EXIT_USAGE;
                }
                (void) stasis_bus_error_map_register();
                r = bus_connect(&bus);
                if (r < 0)
                        return -r;
                return verbs[i].run(bus, args);
        }
        fprintf(stderr, "stasis: unknown command '%s'; see 'stasis --help'\n", verb);
        return EXIT_USAGE;
}
