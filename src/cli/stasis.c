/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis.c - the stasis command: parse the command line and dispatch to a verb */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "bus-errors.h"
#include "bus-util.h"
#include "escape.h"
#include "macro.h"
#include "stasis.h"
#include "stasis/stasis.h"
#include "strv.h"
#include "utf8.h"

bool arg_json = false;
const char *arg_label = NULL;
char **arg_components = NULL;
bool arg_require_writers = false;
char **arg_failed = NULL;
bool arg_orphans = false;
bool arg_rescan = false;

int report_bus_error_context(const char *context, const char *what, int r, const sd_bus_error *error) {
        const char *msg = error && sd_bus_error_is_set(error) ? error->message : NULL;
        const char *name = error && sd_bus_error_is_set(error) ? error->name : NULL;
        const char *sep = context ? ": " : "";
        int code;

        context = strempty(context);
        if (name && (sd_bus_error_has_name(error, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
                     sd_bus_error_has_name(error, SD_BUS_ERROR_NAME_HAS_NO_OWNER))) {
                fprintf(stderr, "stasis: %s%s%s: stasisd is not running on this bus (%s)\n", context, sep, what,
                        bus_stasis_address() ?: "system bus");
                return EXIT_NO_DAEMON;
        }
        if (name && sd_bus_error_has_name(error, SD_BUS_ERROR_NO_REPLY)) {
                fprintf(stderr, "stasis: %s%s%s: stasisd did not answer in time\n", context, sep, what);
                return EXIT_TIMEOUT;
        }
        if (name && sd_bus_error_has_name(error, SD_BUS_ERROR_UNKNOWN_METHOD)) {
                /* A stasisd older than this command. */
                fprintf(stderr, "stasis: %s%s%s: %s (is stasisd older than this stasis command?)\n",
                        context, sep, what, strna(msg));
                return EXIT_FAILED;
        }
        /* The set vanished between GetSet and the call on its object. */
        if (name && sd_bus_error_has_name(error, SD_BUS_ERROR_UNKNOWN_OBJECT))
                r = ENXIO;

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
        case ECANCELED: code = EXIT_WRITER_FAILED; break;
        case EAGAIN: code = EXIT_WRITER_RETRYABLE; break;
        default: code = EXIT_FAILED;
        }
        if (msg) {
                /* It may quote paths anyone named: escaped for the terminal
                 * (stasisd's own escapes, with '\', are kept as they are). */
                _cleanup_free_ char *e = cescape_full(msg, SIZE_MAX, ESCAPE_KEEP_BACKSLASH);
                fprintf(stderr, "stasis: %s%s%s\n", context, sep, e ?: msg);
        }
        else
                fprintf(stderr, "stasis: %s%s%s: %s\n", context, sep, what, strerror(r));
        return code;
}

int report_bus_error(const char *what, int r, const sd_bus_error *error) {
        return report_bus_error_context(NULL, what, r, error);
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

int delete_each(sd_bus *bus, char **names, const char *method, const char *what,
                void (*print_deleted)(const char *name)) {
        int ret = EXIT_OK;

        for (char **a = names; *a; a++) {
                _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_bus_message_unref_ sd_bus_message *m = NULL;
                int r = sd_bus_message_new_method_call(bus, &m, STASIS_BUS_NAME, STASIS_MANAGER_PATH,
                                                       STASIS_MANAGER_INTERFACE, method);
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", *a);
                if (r >= 0)
                        r = sd_bus_call(bus, m, CALL_TIMEOUT, &error, NULL);
                if (r < 0) {
                        r = report_bus_error(what, r, &error);
                        if (ret == EXIT_OK)
                                ret = r;
                        continue;
                }
                if (!arg_json)
                        print_deleted(*a);
        }
        if (arg_json)
                printf("{\"deleted\":%s}\n", ret == EXIT_OK ? "true" : "false");
        return ret;
}

static void help(void) {
        printf("stasis [OPTIONS...] COMMAND [ARGS...]\n\n"
               "Application-consistent snapshot sets.\n\n"
               "Commands:\n"
               "  create [PATH...]     Snapshot the volumes that hold PATHs and the --components,\n"
               "                       as one set\n"
               "  list                 List the snapshot sets (with --orphans: the snapshots\n"
               "                       in the stores that no set holds)\n"
               "  show ID              Show one set, its volumes and its writer components\n"
               "  complete ID          Report that the backup of a set is done\n"
               "  delete ID...         Delete sets and their snapshots\n"
               "  adopt SET            Make the orphan snapshots of set id SET a set again\n"
               "  delete-orphan HANDLE...\n"
               "                       Delete orphan snapshots\n"
               "  volumes PATH...      Show the volume, file system and provider of each PATH\n"
               "  writers              List the registered writers and their components\n"
               "\nOptions:\n"
               "  -h --help            Show this help\n"
               "     --version         Show the version\n"
               "     --json            Print JSON instead of tables\n"
               "  -l --label=LABEL     With create: a label for the set\n"
               "     --component=NAME  With create: include the writer component NAME,\n"
               "                       WRITER[@INSTANCE][:COMPONENT] (may be repeated)\n"
               "     --require-writers With create: fail the set if a writer fails\n"
               "     --orphans         With list: list the orphan snapshots\n"
               "     --rescan          With list --orphans: look in the stores again first\n"
               "     --failed=NAME     With complete: the component WRITER[@INSTANCE]:COMPONENT\n"
               "                       was not backed up (may be repeated)\n"
               "\nThe bus is $STASIS_BUS_ADDRESS, else $DBUS_SYSTEM_BUS_ADDRESS, else the system bus.\n"
               "Exit codes: 0 ok, 1 failed, 2 usage, 3 not found, 4 permission denied,\n"
               "5 stasisd unreachable, 6 unsupported volume, 7 busy, 8 timed out,\n"
               "9 a writer failed or vetoed, 10 a writer failed but a retry may work. See stasis(1).\n");
}

/* The arguments are counted before connecting, so a bad command line is a
 * usage error even when stasisd is not there. */
static const struct {
        const char *name;
        int min_args, max_args;   /* after the verb; -1: no limit */
        const char *args;         /* for the messages */
        int (*run)(sd_bus *bus, char **args);
} verbs[] = {
        { "create",   0, -1, "[PATH...]", verb_create },     /* PATHs or --component: checked below */
        { "list",     0,  0, "",          verb_list },
        { "show",     1,  1, "ID",        verb_show },
        { "complete", 1,  1, "ID",        verb_complete },
        { "delete",   1, -1, "ID...",     verb_delete },
        { "adopt",    1,  1, "SET",       verb_adopt },
        { "delete-orphan", 1, -1, "HANDLE...", verb_delete_orphan },
        { "volumes",  1, -1, "PATH...",   verb_volumes },
        { "writers",  0,  0, "",          verb_writers },
};

/* D-Bus carries only UTF-8: a path or label that is not is refused here,
 * with what it is, before anything is sent. */
static bool utf8_argument_ok(const char *verb, const char *what, const char *value) {
        _cleanup_free_ char *e = NULL;

        if (utf8_is_valid(value))
                return true;
        e = cescape_full(value, 256, ESCAPE_QUOTE);
        fprintf(stderr, "stasis %s: %s %s is not UTF-8; stasis takes only %ss that are UTF-8\n", verb, what,
                strna(e), what);
        return false;
}

/* WRITER[@INSTANCE][:COMPONENT]; with need_component the COMPONENT is required.
 * Only the shape is checked here; stasisd checks the names. */
static bool component_name_ok(const char *name, bool need_component) {
        const char *colon = strchr(name, ':');
        const char *at = strchr(name, '@');
        size_t writer_len = colon ? (size_t) (colon - name) : strlen(name);

        if (at && (size_t) (at - name) >= writer_len)
                at = NULL;      /* an '@' in the component name */
        if (writer_len == 0 || (at && (at == name || (size_t) (at - name) + 1 == writer_len)))
                return false;
        if (colon ? colon[1] == '\0' : need_component)
                return false;
        return true;
}

int main(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_JSON, ARG_COMPONENT, ARG_REQUIRE_WRITERS, ARG_FAILED, ARG_ORPHANS, ARG_RESCAN };
        static const struct option options[] = {
                { "help",            no_argument,       NULL, 'h' },
                { "version",         no_argument,       NULL, ARG_VERSION },
                { "json",            no_argument,       NULL, ARG_JSON },
                { "label",           required_argument, NULL, 'l' },
                { "component",       required_argument, NULL, ARG_COMPONENT },
                { "require-writers", no_argument,       NULL, ARG_REQUIRE_WRITERS },
                { "failed",          required_argument, NULL, ARG_FAILED },
                { "orphans",         no_argument,       NULL, ARG_ORPHANS },
                { "rescan",          no_argument,       NULL, ARG_RESCAN },
                {}
        };
        _cleanup_bus_flush_close_unref_ sd_bus *bus = NULL;
        _cleanup_strv_free_ char **components = NULL, **failed = NULL;
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
                case ARG_COMPONENT:
                        if (!component_name_ok(optarg, false)) {
                                fprintf(stderr, "stasis: --component '%s': not WRITER[@INSTANCE][:COMPONENT]\n",
                                        optarg);
                                return EXIT_USAGE;
                        }
                        if (strv_extend(&components, optarg) < 0)
                                return EXIT_FAILED;
                        arg_components = components;
                        break;
                case ARG_REQUIRE_WRITERS:
                        arg_require_writers = true;
                        break;
                case ARG_FAILED:
                        if (!component_name_ok(optarg, true)) {
                                fprintf(stderr, "stasis: --failed '%s': not WRITER[@INSTANCE]:COMPONENT\n", optarg);
                                return EXIT_USAGE;
                        }
                        if (strv_extend(&failed, optarg) < 0)
                                return EXIT_FAILED;
                        arg_failed = failed;
                        break;
                case ARG_ORPHANS:
                        arg_orphans = true;
                        break;
                case ARG_RESCAN:
                        arg_rescan = true;
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
                        fprintf(stderr, "stasis %s: missing argument (stasis %s %s); see 'stasis --help'\n",
                                verb, verb, verbs[i].args);
                        return EXIT_USAGE;
                }
                if (verbs[i].max_args >= 0 && n_args > verbs[i].max_args) {
                        if (verbs[i].max_args == 0)
                                fprintf(stderr, "stasis %s: takes no arguments\n", verb);
                        else
                                fprintf(stderr, "stasis %s: too many arguments (stasis %s %s); see 'stasis --help'\n",
                                        verb, verb, verbs[i].args);
                        return EXIT_USAGE;
                }
                if (!streq(verb, "create")) {
                        const char *opt = arg_label ? "--label" : arg_components ? "--component" :
                                          arg_require_writers ? "--require-writers" : NULL;
                        if (opt) {
                                fprintf(stderr, "stasis %s: %s only goes with create\n", verb, opt);
                                return EXIT_USAGE;
                        }
                } else if (n_args == 0 && !arg_components) {
                        fprintf(stderr, "stasis create: give at least one PATH or --component; "
                                "see 'stasis --help'\n");
                        return EXIT_USAGE;
                }
                if (arg_failed && !streq(verb, "complete")) {
                        fprintf(stderr, "stasis %s: --failed only goes with complete\n", verb);
                        return EXIT_USAGE;
                }
                if (arg_orphans && !streq(verb, "list")) {
                        fprintf(stderr, "stasis %s: --orphans only goes with list\n", verb);
                        return EXIT_USAGE;
                }
                if (arg_rescan && !(arg_orphans && streq(verb, "list"))) {
                        fprintf(stderr, "stasis %s: --rescan only goes with list --orphans\n", verb);
                        return EXIT_USAGE;
                }
                if (arg_label && !utf8_argument_ok(verb, "label", arg_label))
                        return EXIT_USAGE;
                if (streq(verb, "create") || streq(verb, "volumes") || streq(verb, "delete-orphan"))
                        for (char **a = args; *a; a++)
                                if (!utf8_argument_ok(verb, streq(verb, "delete-orphan") ? "handle" : "path", *a))
                                        return EXIT_USAGE;
                (void) stasis_bus_error_map_register();
                r = bus_connect(&bus);
                if (r < 0)
                        return -r;
                return verbs[i].run(bus, args);
        }
        fprintf(stderr, "stasis: unknown command '%s'; see 'stasis --help'\n", verb);
        return EXIT_USAGE;
}
