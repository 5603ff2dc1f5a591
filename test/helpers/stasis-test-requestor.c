/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-test-requestor.c - a requestor on the public libstasis API alone, one command per run, for the tests */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <systemd/sd-event.h>

#include <stasis/stasis.h>

static struct {
        const char *bus;
        const char *loop;               /* wait, poll, event */
        StasisSetRequest *request;
        unsigned count;
        int sync_calls;                 /* watch: create and delete synchronously, outside the loop */
        uint64_t timeout_usec;          /* 0: the library's default */
        int keep_views;                 /* views: do not close them at the end */
} arg = { .loop = "wait", .count = 1 };

static sd_event *event;
static unsigned pending, failures;

/* "error NAME CODE ERRNO: MESSAGE", after checking that the name and the
 * code agree both ways. */
static int report(const StasisErrorInfo *e, int r) {
        const char *name = stasis_error_info_name(e);
        StasisError code = stasis_error_info_code(e);

        if (stasis_error_from_name(name) != (name ? code : STASIS_ERR_NONE) && !(name == NULL && code == STASIS_ERR_OTHER)) {
                printf("mismatch: name %s has code %d, the error says %d\n", name, stasis_error_from_name(name), code);
                return 3;
        }
        if (code > STASIS_ERR_OTHER && strcmp(stasis_error_to_name(code), name) != 0) {
                printf("mismatch: code %d has name %s, the error says %s\n", code, stasis_error_to_name(code), name);
                return 3;
        }
        if (stasis_error_info_errno(e) != -r && r != 0) {
                printf("mismatch: errno %d, the call returned %d\n", stasis_error_info_errno(e), r);
                return 3;
        }
        printf("error %s %d %d: %s\n", name ?: "-", code, stasis_error_info_errno(e), stasis_error_info_message(e));
        return 1;
}

static int fail(StasisRequestor *r, int q) {
        const StasisErrorInfo *e = stasis_requestor_last_error(r);

        if (!e) {
                printf("error - %d %d: no error recorded (%s)\n", STASIS_ERR_OTHER, -q, strerror(-q));
                return 3;
        }
        return report(e, q);
}

static void show(const StasisSet *s) {
        printf("id=%s\npath=%s\nlabel=%s\nstate=%s\nconsistency=%s\nerror=%s\npersistent=%d\nowner=%u\n",
               stasis_set_id(s), stasis_set_object_path(s), stasis_set_label(s), stasis_set_state(s),
               stasis_set_consistency(s), stasis_set_error(s), stasis_set_persistent(s), stasis_set_owner(s));
        printf("created=%" PRIu64 "\ncompleted=%" PRIu64 "\nhold_usec=%" PRIu64 "\nwindow_usec=%" PRIu64 "\n",
               stasis_set_created_usec(s), stasis_set_completed_usec(s), stasis_set_hold_usec(s),
               stasis_set_window_usec(s));
        for (unsigned i = 0; i < stasis_set_volume_count(s); i++)
                printf("volume=%s %s %s %s %s %s %s %s\n", stasis_set_volume_path(s, i),
                       stasis_set_volume_mount_point(s, i), stasis_set_volume_device(s, i),
                       stasis_set_volume_fstype(s, i), stasis_set_volume_provider(s, i),
                       stasis_set_volume_source(s, i), stasis_set_volume_snapshot(s, i),
                       stasis_set_volume_state(s, i));
        for (unsigned i = 0; i < stasis_set_component_count(s); i++)
                printf("component=%s %s %s %s %s\n", stasis_set_component_writer(s, i),
                       stasis_set_component_instance(s, i), stasis_set_component_name(s, i),
                       stasis_set_component_consistency(s, i), stasis_set_component_reason(s, i));
}

/* ---- The loop, one of three ways ---- */

static int loop_until_done(StasisRequestor *r) {
        int q;

        while (pending > 0) {
                if (strcmp(arg.loop, "event") == 0) {
                        q = sd_event_run(event, UINT64_MAX);
                } else if (strcmp(arg.loop, "poll") == 0) {
                        struct pollfd p = { .fd = stasis_requestor_get_fd(r), .events = POLLIN };

                        if (p.fd < 0)
                                return fail(r, p.fd);
                        /* Work is due: the fd must tell of it (no hang). */
                        q = poll(&p, 1, 30000);
                        if (q < 0)
                                return 2;
                        if (q == 0) {
                                printf("poll: nothing to do for 30 s while %u answer(s) are due\n", pending);
                                return 3;
                        }
                        q = stasis_requestor_process(r);
                } else
                        q = stasis_requestor_wait(r, UINT64_MAX);
                if (q < 0)
                        return fail(r, q);
        }
        return 0;
}

static int setup(StasisRequestor **ret) {
        StasisRequestor *r;
        int q;

        q = stasis_requestor_new(&r);
        if (q < 0)
                return q;
        if (arg.bus)
                (void) stasis_requestor_set_bus_address(r, arg.bus);
        (void) stasis_requestor_set_timeout(r, arg.timeout_usec);
        if (strcmp(arg.loop, "event") == 0) {
                q = sd_event_new(&event);
                if (q >= 0)
                        q = stasis_requestor_attach_event(r, event, 0);
                if (q < 0)
                        return fail(r, q);
        }
        q = stasis_requestor_connect(r);
        if (q < 0)
                return fail(r, q);
        *ret = r;
        return 0;
}

/* ---- Commands ---- */

static void on_created(StasisRequestor *r, const char *id, const StasisErrorInfo *error, void *userdata) {
        pending--;
        if (id)
                printf("created %s\n", id);
        else {
                report(error, -stasis_error_info_errno(error));
                failures++;
        }
        fflush(stdout);
}

/* create: COUNT creates sent at once, then each answer as it comes. */
static int cmd_create(StasisRequestor *r, char **args) {
        char *id;
        int q;

        for (char **p = args; *p; p++)
                if (stasis_set_request_add_path(arg.request, *p) < 0)
                        return 2;
        if (arg.count == 1 && strcmp(arg.loop, "sync") == 0) {
                q = stasis_requestor_create_set(r, arg.request, &id);
                if (q < 0)
                        return fail(r, q);
                printf("created %s\n", id);
                free(id);
                return 0;
        }
        for (unsigned i = 0; i < arg.count; i++) {
                q = stasis_requestor_create_set_async(r, arg.request, on_created, NULL);
                if (q < 0)
                        return fail(r, q);
                pending++;
        }
        q = loop_until_done(r);
        return q ?: failures > 0;
}

/* hold: create, then keep the connection until stdin closes. */
static int cmd_hold(StasisRequestor *r, char **args) {
        char buf[64];
        int q = cmd_create(r, args);

        fflush(stdout);
        if (q != 0)
                return q;
        while (read(STDIN_FILENO, buf, sizeof buf) > 0)
                ;
        return 0;
}

static int cmd_show(StasisRequestor *r, char **args) {
        StasisSet *s;
        int q;

        if (!args[0])
                return 2;
        q = stasis_requestor_get_set(r, args[0], &s);
        if (q < 0)
                return fail(r, q);
        show(s);
        stasis_set_unref(s);
        return 0;
}

/* details: stasis_requestor_get_set_details(), printed as show, then the
 * number of metadata entries and the exclusive size ("unknown: WHY"). */
static int cmd_details(StasisRequestor *r, char **args) {
        StasisSet *s;
        StasisMetadataList *l;
        uint64_t bytes;
        char *why;
        int q;

        if (!args[0])
                return 2;
        q = stasis_requestor_get_set_details(r, args[0], &s, &l, &bytes, &why);
        if (q < 0)
                return fail(r, q);
        show(s);
        printf("metadata=%u\n", stasis_metadata_list_count(l));
        if (bytes == UINT64_MAX)
                printf("exclusive=unknown: %s\n", why ?: "-");
        else
                printf("exclusive=%" PRIu64 "\n", bytes);
        free(why);
        stasis_metadata_list_free(l);
        stasis_set_unref(s);
        return 0;
}

static int cmd_list(StasisRequestor *r, char **args) {
        StasisSet **l;
        size_t n;
        int q;

        q = stasis_requestor_list_sets(r, &l, &n);
        if (q < 0)
                return fail(r, q);
        printf("%zu sets\n", n);
        for (size_t i = 0; i < n; i++)
                printf("%s %s %s %s\n", stasis_set_id(l[i]), stasis_set_state(l[i]), stasis_set_persistent(l[i]) ? "persistent" : "auto-release",
                       stasis_set_label(l[i]));
        stasis_set_list_free(l);
        return 0;
}

static int cmd_complete(StasisRequestor *r, char **args) {
        int q;

        if (!args[0])
                return 2;
        q = stasis_requestor_complete_set(r, args[0], (const char *const *) args + 1);
        return q < 0 ? fail(r, q) : 0;
}

static int cmd_delete(StasisRequestor *r, char **args) {
        int q;

        if (!args[0])
                return 2;
        q = stasis_requestor_delete_set(r, args[0]);
        return q < 0 ? fail(r, q) : 0;
}

/* views: --count views of each set ID (printing "opened ID" or the error
 * for each), held on this one connection until stdin closes; then each is
 * closed (CloseView) unless --keep-views. */
static int cmd_views(StasisRequestor *r, char **args) {
        char buf[64];
        int ret = 0;

        for (char **p = args; *p; p++)
                for (unsigned i = 0; i < arg.count; i++) {
                        StasisView *v = NULL;
                        int q = stasis_requestor_open_view(r, *p, &v);
                        if (q < 0)
                                ret = fail(r, q);
                        else
                                printf("opened %s\n", *p);
                        stasis_view_free(v);
                }
        fflush(stdout);
        while (read(STDIN_FILENO, buf, sizeof buf) > 0)
                ;
        for (char **p = args; *p && !arg.keep_views; p++)
                for (unsigned i = 0; i < arg.count; i++)
                        if (stasis_requestor_close_view(r, *p) < 0)
                                ret = fail(r, -1);
        return ret;
}

/* view-delete: a view of set ID, then the set deleted while the view is
 * still held (as a requestor written before CloseView does). */
static int cmd_view_delete(StasisRequestor *r, char **args) {
        StasisView *v = NULL;
        int q;

        if (!args[0])
                return 2;
        q = stasis_requestor_open_view(r, args[0], &v);
        if (q < 0)
                return fail(r, q);
        q = stasis_requestor_delete_set(r, args[0]);
        stasis_view_free(v);
        return q < 0 ? fail(r, q) : 0;
}

/* watch: print the changes of sets; stop after the set created here (the
 * paths given) was added, became created and was removed. */
static char watched[32];
static void on_set(StasisRequestor *r, StasisSetChange change, const char *id, const StasisSet *s, void *userdata) {
        static const char *const names[] = { "added", "changed", "removed" };

        printf("%s %s %s\n", names[change], id, s ? stasis_set_state(s) : "-");
        fflush(stdout);
        if (strcmp(id, watched) == 0 && change == STASIS_SET_REMOVED)
                pending--;
}

static void on_watch_created(StasisRequestor *r, const char *id, const StasisErrorInfo *error, void *userdata) {
        if (!id) {
                report(error, -stasis_error_info_errno(error));
                exit(1);
        }
        snprintf(watched, sizeof watched, "%s", id);
        printf("created %s\n", id);
        /* A synchronous call inside a handler: the removal's signal comes later. */
        if (stasis_requestor_delete_set(r, id) < 0)
                exit(fail(r, -1));
}

static int cmd_watch(StasisRequestor *r, char **args) {
        int q;

        for (char **p = args; *p; p++)
                if (stasis_set_request_add_path(arg.request, *p) < 0)
                        return 2;
        q = stasis_requestor_watch_sets(r, on_set, NULL);
        if (q < 0)
                return fail(r, q);
        printf("watching\n");
        fflush(stdout);
        /* Wait for a line on stdin (the test may forge signals meanwhile). */
        char buf[64];
        if (read(STDIN_FILENO, buf, sizeof buf) < 0)
                return 2;
        pending = 1;
        if (arg.sync_calls) {
                /* The signals arrive while the calls wait for their answers:
                 * the loop must still be woken for them. */
                char *id;

                q = stasis_requestor_create_set(r, arg.request, &id);
                if (q < 0)
                        return fail(r, q);
                snprintf(watched, sizeof watched, "%s", id);
                printf("created %s\n", id);
                free(id);
                q = stasis_requestor_delete_set(r, watched);
                if (q < 0)
                        return fail(r, q);
                /* stasisd sends InterfacesRemoved after the reply to
                 * DeleteSet, so before the reply to this call: it is read
                 * here, and nothing more comes on the socket. */
                StasisSet **l;
                q = stasis_requestor_list_sets(r, &l, NULL);
                if (q < 0)
                        return fail(r, q);
                stasis_set_list_free(l);
        } else {
                q = stasis_requestor_create_set_async(r, arg.request, on_watch_created, NULL);
                if (q < 0)
                        return fail(r, q);
        }
        return loop_until_done(r);
}

static const struct {
        const char *name;
        int (*run)(StasisRequestor *r, char **args);
} commands[] = {
        { "create", cmd_create }, { "hold", cmd_hold }, { "show", cmd_show }, { "list", cmd_list },
        { "complete", cmd_complete }, { "delete", cmd_delete }, { "watch", cmd_watch },
        { "views", cmd_views }, { "view-delete", cmd_view_delete }, { "details", cmd_details },
};

static void usage(FILE *f) {
        fprintf(f, "usage: stasis-test-requestor [OPTION...] COMMAND [ARG...]\n\n"
                   "  --bus ADDRESS        the bus (default: stasis_bus_address())\n"
                   "  --loop MODE          sync (create only), wait (default), poll, event\n"
                   "  --count N            create: N asynchronous creates at once\n"
                   "  --label L, --persistent, --require-writers, --component C   the request\n"
                   "  --sync-calls         watch: create and delete with synchronous calls\n"
                   "  --expire-after SEC   the set expires SEC seconds after it is made\n"
                   "  --timeout MS         how long each call may wait for stasisd's answer\n"
                   "  --keep-views         views: leave them open at the end (the connection's end closes them)\n\n"
                   "commands: create PATH..., hold PATH... (until stdin closes), show ID, list,\n"
                   "          complete ID [FAILED...], delete ID, watch PATH..., details ID,\n"
                   "          views ID... (--count each, held until stdin closes), view-delete ID\n"
                   "An error prints \"error NAME CODE ERRNO: MESSAGE\" and exits 1.\n");
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "bus", required_argument, NULL, 'b' },  { "loop", required_argument, NULL, 'L' },
                { "count", required_argument, NULL, 'n' }, { "label", required_argument, NULL, 'l' },
                { "persistent", no_argument, NULL, 'p' },  { "require-writers", no_argument, NULL, 'w' },
                { "component", required_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' },
                { "sync-calls", no_argument, NULL, 's' },  { "timeout", required_argument, NULL, 't' },
                { "expire-after", required_argument, NULL, 'e' },
                { "keep-views", no_argument, NULL, 'k' },
                {}
        };
        StasisRequestor *r = NULL;
        int c, q;

        if (stasis_set_request_new(&arg.request) < 0)
                return 2;
        while ((c = getopt_long(argc, argv, "+", options, NULL)) >= 0)
                switch (c) {
                case 'b': arg.bus = optarg; break;
                case 'L': arg.loop = optarg; break;
                case 'n': arg.count = (unsigned) atoi(optarg); break;
                case 'l': stasis_set_request_set_label(arg.request, optarg); break;
                case 'p': stasis_set_request_set_persistent(arg.request, 1); break;
                case 'w': stasis_set_request_set_require_writers(arg.request, 1); break;
                case 'c': stasis_set_request_add_component(arg.request, optarg); break;
                case 's': arg.sync_calls = 1; break;
                case 'e': stasis_set_request_set_expire_after(arg.request, strtoull(optarg, NULL, 10) * 1000000); break;
                case 't': arg.timeout_usec = (uint64_t) strtoull(optarg, NULL, 10) * 1000; break;
                case 'k': arg.keep_views = 1; break;
                case 'h': usage(stdout); return 0;
                default: usage(stderr); return 2;
                }
        if (optind >= argc) {
                usage(stderr);
                return 2;
        }
        q = setup(&r);
        if (q != 0)
                return q < 0 ? 2 : q;
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
                if (strcmp(commands[i].name, argv[optind]) == 0) {
                        q = commands[i].run(r, argv + optind + 1);
                        fflush(stdout);
                        stasis_requestor_unref(r);
                        stasis_set_request_unref(arg.request);
                        sd_event_unref(event);
                        return q;
                }
        usage(stderr);
        return 2;
}
