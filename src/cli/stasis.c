/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis.c - the stasis command: parse the command line and dispatch to a verb */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "escape.h"
#include "macro.h"
#include "stasis.h"
#include "stasis/stasis.h"
#include "strv.h"
#include "utf8.h"

bool arg_json = false;
const char *arg_label = NULL;
char **arg_components = NULL;
char **arg_exclude_writers = NULL;
bool arg_require_writers = false;
const char *arg_request_id = NULL;
char **arg_failed = NULL;
bool arg_orphans = false;
bool arg_rescan = false;
bool arg_external = false;
uint64_t arg_freeze_window = 0;
uint64_t arg_expire_after = 0;
bool arg_dry_run = false;
static uint64_t arg_timeout = 0;        /* 0: the verb's own */
const char *outcome_hint = NULL;

int absolute_paths(char **paths, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        char cwd[PATH_MAX];

        if (!getcwd(cwd, sizeof cwd))
                return -errno;
        STRV_FOREACH(a, paths) {
                _cleanup_free_ char *abs = NULL;
                if ((*a)[0] != '/' && asprintf(&abs, "%s/%s", streq(cwd, "/") ? "" : cwd, *a) < 0)
                        return -ENOMEM;
                if (strv_extend(&l, abs ?: *a) < 0)
                        return -ENOMEM;
        }
        if (!l) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int delete_each(StasisRequestor *r, char **names, int (*call)(StasisRequestor *r, const char *name),
                const char *what, void (*print_deleted)(const char *name)) {
        int ret = EXIT_OK;

        STRV_FOREACH(a, names) {
                if (call(r, *a) < 0) {
                        int q = report_error(r, what);
                        if (ret == EXIT_OK)
                                ret = q;
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
               "  forget-writer WRITER[@INSTANCE]...\n"
               "                       Forget writers missing since stasisd restarted\n"
               "  mount SET [DIR]      Mount the snapshots of a set read-only under DIR\n"
               "                       (default /run/stasis/sets/SET), each at its mount point\n"
               "  umount SET           Unmount a set\n"
               "  exec SET -- CMD...   Run CMD where each snapshot of the set is mounted over\n"
               "                       its original path (a private mount namespace)\n"
               "  freeze --external [PATH...]\n"
               "                       Freeze the writers of PATHs and the --components (none:\n"
               "                       every writer) for a snapshot someone else takes (a\n"
               "                       hypervisor); prints the set id once they are frozen\n"
               "  thaw --external [ID] Thaw them (ID: that external set; default: the one frozen)\n"
               "  backup [PATH...] -- CMD...\n"
               "                       Make a set of PATHs and the --components, run CMD in\n"
               "                       it as exec does, report CMD's result, delete the set\n"
               "  run POLICY           Make a set as POLICY says (/etc/stasis/policies.d),\n"
               "                       then apply its retention\n"
               "  cleanup [POLICY]     Remove the expired sets and those the retention of\n"
               "                       POLICY (default: every policy) does not keep\n"
               "  history [POLICY]     List the sets retention removed, and why\n"
               "\nOptions:\n"
               "  -h --help            Show this help\n"
               "     --version         Show the version\n"
               "     --json            Print JSON instead of tables\n"
               "     --timeout=SEC     Wait at most SEC seconds for each answer of stasisd\n"
               "                       (default: 60 minutes for create, complete, delete and\n"
               "                       delete-orphan, 25 seconds for the others)\n"
               "  -l --label=LABEL     With create: a label for the set\n"
               "     --component=NAME  With create: include the writer component NAME,\n"
               "                       WRITER[@INSTANCE][:COMPONENT] (may be repeated)\n"
               "     --exclude-writer=W With create and backup: leave out the writer W[@INSTANCE]:\n"
               "                       it is not called at all (may be repeated)\n"
               "     --require-writers With create: fail the set if a writer fails\n"
               "     --request-id=ID   With create: the caller's own id for it; the same ID\n"
               "                       again makes no second set, but answers with the first\n"
               "                       (or its failure). With show: show the set made with ID\n"
               "     --expire-after=DURATION\n"
               "                       With create: stasisd removes the set DURATION after it\n"
               "                       is made (30min, 2h, 7d, 1w; see systemd.time(7))\n"
               "     --dry-run         With cleanup: say what would be removed, remove nothing\n"
               "     --orphans         With list: list the orphan snapshots\n"
               "     --rescan          With list --orphans: look in the stores again first\n"
               "     --failed=NAME     With complete: the component WRITER[@INSTANCE]:COMPONENT\n"
               "                       was not backed up (may be repeated)\n"
               "     --force           With delete: unmount a mounted set first\n"
               "     --user=USER       With exec and backup: run CMD as USER\n"
               "     --keep            With backup: keep the set (it persists)\n"
               "     --external        With freeze and thaw: an external set (required)\n"
               "     --freeze-window=SEC\n"
               "                       With freeze: thaw the writers after SEC seconds at most\n"
               "                       (default: stasisd's freeze window)\n"
               "\nThe bus is $STASIS_BUS_ADDRESS, else $DBUS_SYSTEM_BUS_ADDRESS, else the system bus.\n"
               "Exit codes: 0 ok, 1 failed, 2 usage, 3 not found, 4 permission denied,\n"
               "5 stasisd unreachable, 6 unsupported volume, 7 busy, 8 timed out,\n"
               "9 a writer failed or vetoed, 10 a writer failed but a retry may work,\n"
               "11 stasisd went away before it answered; freeze --external: 9 the set is\n"
               "frozen but some writers did not freeze. See stasis(1).\n");
}

/* The arguments are counted before connecting, so a bad command line is a
 * usage error even when stasisd is not there. */
static const struct {
        const char *name;
        int min_args, max_args;   /* after the verb; -1: no limit */
        const char *args;         /* for the messages */
        int (*run)(StasisRequestor *r, char **args);
        uint64_t timeout;         /* for each call, unless --timeout */
        const char *hint;         /* outcome_hint */
} verbs[] = {
        /* PATHs or --component: checked below */
        { "create",   0, -1, "[PATH...]", verb_create,   CALL_TIMEOUT,
          "whether the set was made is not known: see 'stasis list'" },
        { "list",     0,  0, "",          verb_list,     CALL_TIMEOUT_SHORT, NULL },
        { "show",     0,  1, "ID",        verb_show,     CALL_TIMEOUT_SHORT, NULL },
        { "complete", 1,  1, "ID",        verb_complete, CALL_TIMEOUT,
          "whether the backup was reported is not known: see 'stasis show ID'" },
        { "delete",   1, -1, "ID...",     verb_delete,   CALL_TIMEOUT,
          "whether the set was deleted is not known: see 'stasis list'" },
        { "adopt",    1,  1, "SET",       verb_adopt,    CALL_TIMEOUT_SHORT,
          "whether the set was adopted is not known: see 'stasis list'" },
        { "delete-orphan", 1, -1, "HANDLE...", verb_delete_orphan, CALL_TIMEOUT,
          "whether the snapshot was deleted is not known: see 'stasis list --orphans'" },
        { "volumes",  1, -1, "PATH...",   verb_volumes,  CALL_TIMEOUT_SHORT, NULL },
        { "writers",  0,  0, "",          verb_writers,  CALL_TIMEOUT_SHORT, NULL },
        { "forget-writer", 1, -1, "WRITER[@INSTANCE]...", verb_forget_writer, CALL_TIMEOUT_SHORT,
          "whether the writer was forgotten is not known: see 'stasis writers'" },
        { "mount",    1,  2, "SET [DIR]", verb_mount,    CALL_TIMEOUT_SHORT,
          "whether the set was mounted is not known: see 'stasis show SET'" },
        { "umount",   1,  1, "SET",       verb_umount,   CALL_TIMEOUT_SHORT,
          "whether the set was unmounted is not known: see 'stasis show SET'" },
        { "exec",     1,  1, "SET -- CMD...", verb_exec, CALL_TIMEOUT_SHORT, NULL },
        { "freeze",   0, -1, "--external [PATH...]", verb_freeze, CALL_TIMEOUT,
          "whether the writers froze is not known: see 'stasis list', and 'stasis thaw --external'" },
        { "thaw",     0,  1, "--external [ID]", verb_thaw, CALL_TIMEOUT,
          "whether the writers were thawed is not known: see 'stasis show ID'" },
        { "backup",   0, -1, "[PATH...] -- CMD...", verb_backup, CALL_TIMEOUT,
          "whether the set was made is not known: see 'stasis list'" },
        { "run",      1,  1, "POLICY",    verb_run,      CALL_TIMEOUT,
          "whether the set was made is not known: see 'stasis list'" },
        { "cleanup",  0,  1, "[POLICY]",  verb_cleanup,  CALL_TIMEOUT,
          "what was removed is not known: see 'stasis history'" },
        { "history",  0,  1, "[POLICY]",  verb_history,  CALL_TIMEOUT_SHORT, NULL },
};

static void stasis_requestor_unrefp(StasisRequestor **r) {
        stasis_requestor_unref(*r);
}

/* SEC: a number of seconds, fractions allowed, more than 0 and at most a week. */
static int parse_timeout(const char *s, uint64_t *ret) {
        char *end;
        double v;

        errno = 0;
        v = strtod(s, &end);
        if (errno != 0 || end == s || *end != '\0' || !(v > 0) || v > 7 * 24 * 3600)
                return -EINVAL;
        *ret = (uint64_t) (v * USEC_PER_SEC) ?: 1;
        return 0;
}

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

/* libstasis reads a set by its object path: an id that cannot be part of
 * one is refused here, as a bad argument. */
static bool set_id_argument_ok(const char *verb, const char *id) {
        _cleanup_free_ char *e = NULL;

        if (*id && strspn(id, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_") == strlen(id))
                return true;
        e = cescape_full(id, 256, ESCAPE_QUOTE);
        fprintf(stderr, "stasis %s: %s is not a set id; set ids are decimal numbers\n", verb, strna(e));
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
        enum { ARG_VERSION = 0x100, ARG_JSON, ARG_COMPONENT, ARG_REQUIRE_WRITERS, ARG_FAILED, ARG_ORPHANS, ARG_RESCAN,
               ARG_TIMEOUT, ARG_REQUEST_ID, ARG_USER, ARG_KEEP, ARG_FORCE, ARG_EXCLUDE_WRITER, ARG_EXTERNAL,
               ARG_FREEZE_WINDOW, ARG_EXPIRE_AFTER, ARG_DRY_RUN };
        static const struct option options[] = {
                { "help",            no_argument,       NULL, 'h' },
                { "version",         no_argument,       NULL, ARG_VERSION },
                { "json",            no_argument,       NULL, ARG_JSON },
                { "label",           required_argument, NULL, 'l' },
                { "component",       required_argument, NULL, ARG_COMPONENT },
                { "require-writers", no_argument,       NULL, ARG_REQUIRE_WRITERS },
                { "exclude-writer",  required_argument, NULL, ARG_EXCLUDE_WRITER },
                { "failed",          required_argument, NULL, ARG_FAILED },
                { "orphans",         no_argument,       NULL, ARG_ORPHANS },
                { "rescan",          no_argument,       NULL, ARG_RESCAN },
                { "timeout",         required_argument, NULL, ARG_TIMEOUT },
                { "request-id",      required_argument, NULL, ARG_REQUEST_ID },
                { "user",            required_argument, NULL, ARG_USER },
                { "keep",            no_argument,       NULL, ARG_KEEP },
                { "force",           no_argument,       NULL, ARG_FORCE },
                { "external",        no_argument,       NULL, ARG_EXTERNAL },
                { "freeze-window",   required_argument, NULL, ARG_FREEZE_WINDOW },
                { "expire-after",    required_argument, NULL, ARG_EXPIRE_AFTER },
                { "dry-run",         no_argument,       NULL, ARG_DRY_RUN },
                {}
        };
        _cleanup_(stasis_requestor_unrefp) StasisRequestor *requestor = NULL;
        _cleanup_strv_free_ char **components = NULL, **failed = NULL, **exclude = NULL;
        int c, r;

        /* exec and backup: what follows the first "--" is the command, left
         * to it whole (getopt would reorder it). */
        for (int i = 1; i < argc; i++)
                if (streq(argv[i], "--")) {
                        arg_command = argv + i + 1;
                        argv[i] = NULL;
                        argc = i;
                        break;
                }

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
                case ARG_EXCLUDE_WRITER:
                        if (!component_name_ok(optarg, false) || strchr(optarg, ':')) {
                                fprintf(stderr, "stasis: --exclude-writer '%s': not WRITER[@INSTANCE]\n", optarg);
                                return EXIT_USAGE;
                        }
                        if (strv_extend(&exclude, optarg) < 0)
                                return EXIT_FAILED;
                        arg_exclude_writers = exclude;
                        break;
                case ARG_REQUEST_ID:
                        if (isempty(optarg)) {
                                fprintf(stderr, "stasis: --request-id: the request id is empty\n");
                                return EXIT_USAGE;
                        }
                        arg_request_id = optarg;        /* stasisd checks the rest, and names it if bad */
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
                case ARG_USER:
                        arg_user = optarg;
                        break;
                case ARG_KEEP:
                        arg_keep = true;
                        break;
                case ARG_FORCE:
                        arg_force = true;
                        break;
                case ARG_EXTERNAL:
                        arg_external = true;
                        break;
                case ARG_FREEZE_WINDOW:
                        if (parse_timeout(optarg, &arg_freeze_window) < 0 || arg_freeze_window < 100 * USEC_PER_MSEC) {
                                fprintf(stderr, "stasis: --freeze-window '%s': not a number of seconds from 0.1 "
                                        "up to 604800\n", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case ARG_EXPIRE_AFTER:
                        if (parse_duration(optarg, &arg_expire_after) < 0 || arg_expire_after == 0) {
                                fprintf(stderr, "stasis: --expire-after '%s': not a duration above 0 (e.g. 30min, "
                                        "2h, 7d, 1w; see systemd.time(7))\n", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case ARG_DRY_RUN:
                        arg_dry_run = true;
                        break;
                case ARG_TIMEOUT:
                        if (parse_timeout(optarg, &arg_timeout) < 0) {
                                fprintf(stderr, "stasis: --timeout '%s': not a number of seconds above 0 "
                                        "and up to 604800\n", optarg);
                                return EXIT_USAGE;
                        }
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
                bool creates = streq(verb, "create") || streq(verb, "backup");
                bool runs = streq(verb, "exec") || streq(verb, "backup");
                bool freezes = streq(verb, "freeze");
                if (freezes && arg_require_writers) {
                        fprintf(stderr, "stasis freeze: --require-writers does not go with --external: the "
                                "agent's freeze goes on whatever the writers do\n");
                        return EXIT_USAGE;
                }
                if ((freezes || streq(verb, "thaw")) && !arg_external) {
                        fprintf(stderr, "stasis %s: only external sets can be frozen and thawed by hand: "
                                "give --external (stasis %s %s)\n", verb, verb, verbs[i].args);
                        return EXIT_USAGE;
                }
                if (arg_external && !freezes && !streq(verb, "thaw")) {
                        fprintf(stderr, "stasis %s: --external only goes with freeze and thaw\n", verb);
                        return EXIT_USAGE;
                }
                if (arg_freeze_window && !freezes) {
                        fprintf(stderr, "stasis %s: --freeze-window only goes with freeze\n", verb);
                        return EXIT_USAGE;
                }
                if (arg_exclude_writers && !creates) {
                        fprintf(stderr, "stasis %s: --exclude-writer only goes with create and backup\n", verb);
                        return EXIT_USAGE;
                }
                if (!creates && !freezes) {
                        const char *opt = arg_label ? "--label" : arg_components ? "--component" :
                                          arg_require_writers ? "--require-writers" : NULL;
                        if (opt) {
                                fprintf(stderr, "stasis %s: %s only goes with create, backup and freeze\n", verb, opt);
                                return EXIT_USAGE;
                        }
                } else if (creates && n_args == 0 && !arg_components) {
                        fprintf(stderr, "stasis %s: give at least one PATH or --component; "
                                "see 'stasis --help'\n", verb);
                        return EXIT_USAGE;
                }
                if (arg_command && !runs) {
                        fprintf(stderr, "stasis %s: '--' and a command only go with exec and backup\n", verb);
                        return EXIT_USAGE;
                }
                if (runs && strv_isempty(arg_command)) {
                        fprintf(stderr, "stasis %s: no command given (stasis %s %s); see 'stasis --help'\n",
                                verb, verb, verbs[i].args);
                        return EXIT_USAGE;
                }
                if (arg_user && !runs) {
                        fprintf(stderr, "stasis %s: --user only goes with exec and backup\n", verb);
                        return EXIT_USAGE;
                }
                if (arg_keep && !streq(verb, "backup")) {
                        fprintf(stderr, "stasis %s: --keep only goes with backup\n", verb);
                        return EXIT_USAGE;
                }
                if (arg_expire_after && !streq(verb, "create")) {
                        fprintf(stderr, "stasis %s: --expire-after only goes with create\n", verb);
                        return EXIT_USAGE;
                }
                if (arg_dry_run && !streq(verb, "cleanup")) {
                        fprintf(stderr, "stasis %s: --dry-run only goes with cleanup\n", verb);
                        return EXIT_USAGE;
                }
                if (arg_force && !streq(verb, "delete")) {
                        fprintf(stderr, "stasis %s: --force only goes with delete\n", verb);
                        return EXIT_USAGE;
                }
                if (arg_request_id && !streq(verb, "create") && !streq(verb, "show")) {
                        fprintf(stderr, "stasis %s: --request-id only goes with create and show\n", verb);
                        return EXIT_USAGE;
                }
                if (streq(verb, "show") && (n_args == 1) == !!arg_request_id) {
                        fprintf(stderr, "stasis show: give either a set ID or --request-id=ID; "
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
                if (arg_request_id && !utf8_argument_ok(verb, "request id", arg_request_id))
                        return EXIT_USAGE;
                if ((((streq(verb, "show") && n_args == 1) || streq(verb, "complete") || streq(verb, "mount") ||
                      streq(verb, "umount") || streq(verb, "exec") || (streq(verb, "thaw") && n_args == 1))) &&
                    !set_id_argument_ok(verb, args[0]))
                        return EXIT_USAGE;
                if (creates || freezes || streq(verb, "volumes") || streq(verb, "delete-orphan"))
                        for (char **a = args; *a; a++)
                                if (!utf8_argument_ok(verb, streq(verb, "delete-orphan") ? "handle" : "path", *a))
                                        return EXIT_USAGE;
                r = stasis_requestor_new(&requestor);
                if (r < 0)
                        return report_local("cannot make a requestor", r);
                (void) stasis_requestor_set_timeout(requestor, arg_timeout ?: verbs[i].timeout);
                r = stasis_requestor_connect(requestor);
                if (r < 0) {
                        fprintf(stderr, "stasis: cannot connect to the bus %s: %s\n",
                                stasis_bus_address() ?: "(system bus)", strerror(-r));
                        return EXIT_NO_DAEMON;
                }
                outcome_hint = verbs[i].hint;
                if (streq(verb, "create") && arg_request_id)
                        outcome_hint = "whether the set was made is not known: run the same command again "
                                       "(with the same --request-id) to get it, or see "
                                       "'stasis show --request-id=ID'";
                return verbs[i].run(requestor, args);
        }
        fprintf(stderr, "stasis: unknown command '%s'; see 'stasis --help'\n", verb);
        return EXIT_USAGE;
}
