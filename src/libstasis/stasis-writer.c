/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-writer.c - the StasisWriter object: its description, its handlers and the ways to run it */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "stasis-writer-internal.h"
#include "strv.h"
#include "writer-event.h"

const char *stasis_writer_event_to_string(StasisWriterEvent event) {
        return writer_event_name(event);
}

static const char *const writer_state_table[_STASIS_WRITER_STATE_MAX] = {
        [STASIS_WRITER_STOPPED] = "stopped",
        [STASIS_WRITER_DISCONNECTED] = "disconnected",
        [STASIS_WRITER_WAITING] = "waiting",
        [STASIS_WRITER_REGISTERING] = "registering",
        [STASIS_WRITER_REGISTERED] = "registered",
        [STASIS_WRITER_REFUSED] = "refused",
};

const char *stasis_writer_state_to_string(StasisWriterState state) {
        if ((int) state < 0 || state >= _STASIS_WRITER_STATE_MAX)
                return NULL;
        return writer_state_table[state];
}

static void metadata_changed(StasisWriter *w) {
        free(w->metadata_json);
        w->metadata_json = NULL;
        (void) writer_announce(w);      /* once registered: stasisd asks no Identify */
}

/* Checks the fields of m other than its components by the metadata rules,
 * giving it one harmless component so that the check gets past them. */
static int check_fields(const WriterMetadata *m, char *err, size_t err_size) {
        char *paths[] = { (char *) "/", NULL };
        WriterComponent probe = { .name = (char *) "probe", .paths = paths, .selectable = true };
        WriterMetadata copy = *m;

        copy.components = &probe;
        copy.n_components = 1;
        return writer_metadata_validate(&copy, err, err_size);
}

int stasis_writer_new(StasisWriter **ret, const char *name, const char *instance) {
        StasisWriter *w;
        WriterMetadata probe = {
                .writer = (char *) name,
                .instance = (char *) (instance ?: ""),
                .level = WRITER_LEVEL_BACK_END,
                .freeze_timeout_usec = WRITER_FREEZE_TIMEOUT_MS_DEFAULT * USEC_PER_MSEC,
                .restore_method = WRITER_RESTORE_NONE,
        };

        /* There is no writer yet to hold a message: the rules for the two
         * names are in docs/writers.md. */
        if (!ret || !name || check_fields(&probe, NULL, 0) < 0)
                return -EINVAL;

        w = calloc(1, sizeof(StasisWriter));
        if (!w)
                return -ENOMEM;
        w->n_ref = 1;
        w->channel_fd = -EBADF;
        w->client.kind = "writer";
        w->meta = calloc(1, sizeof(WriterMetadata));
        if (!w->meta) {
                stasis_writer_unref(w);
                return -ENOMEM;
        }
        *w->meta = probe;
        w->meta->writer = strdup(name);
        w->meta->instance = strdup(probe.instance);
        if (!w->meta->writer || !w->meta->instance) {
                stasis_writer_unref(w);
                return -ENOMEM;
        }
        *ret = w;
        return 0;
}

StasisWriter *stasis_writer_ref(StasisWriter *w) {
        if (w)
                w->n_ref++;
        return w;
}

StasisWriter *stasis_writer_unref(StasisWriter *w) {
        if (!w || --w->n_ref > 0)
                return NULL;

        writer_disconnect(w);
        sd_event_source_disable_unref(w->outer_source);
        client_done(&w->client);
        writer_metadata_free(w->meta);
        free(w->metadata_json);
        writer_paths_clear(w);
        free(w);
        return NULL;
}

int stasis_writer_set_level(StasisWriter *w, const char *level) {
        WriterLevel l;

        if (!w)
                return -EINVAL;
        l = writer_level_from_string(level);
        if (l < 0)
                return writer_set_error(w, -EINVAL, "level: \"%s\" is not \"front-end\", \"back-end\" or \"system\"",
                                        strna(level));
        w->meta->level = l;
        metadata_changed(w);
        return 0;
}

int stasis_writer_set_freeze_timeout(StasisWriter *w, uint64_t usec) {
        WriterMetadata copy;
        char err[256];
        int r;

        if (!w)
                return -EINVAL;
        copy = *w->meta;
        copy.freeze_timeout_usec = usec;
        r = check_fields(&copy, err, sizeof err);
        if (r < 0)
                return writer_set_error(w, r, "%s", err);
        w->meta->freeze_timeout_usec = usec;
        metadata_changed(w);
        return 0;
}

int stasis_writer_set_restore_method(StasisWriter *w, const char *method) {
        WriterRestoreMethod m;

        if (!w)
                return -EINVAL;
        m = writer_restore_method_from_string(method);
        if (m < 0)
                return writer_set_error(w, -EINVAL,
                                        "restore_method: \"%s\" is not \"none\", \"restore-if-not-there\", "
                                        "\"restore-if-can-replace\", \"stop-restore-start\" or \"custom\"",
                                        strna(method));
        w->meta->restore_method = m;
        metadata_changed(w);
        return 0;
}

static void component_done(WriterComponent *c) {
        free(c->name);
        strv_free(c->paths);
        free(c->description);
}

/* A copy of paths with the trailing slash of each absolute path removed,
 * as the metadata parser reads it ("/var/lib/mysql/" is "/var/lib/mysql"). */
static int paths_normalize(const char *const *paths, char ***ret) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));

        if (!l)
                return -ENOMEM;
        for (size_t i = 0; paths && paths[i]; i++) {
                size_t n = strlen(paths[i]);

                if (strv_extend(&l, paths[i]) < 0)
                        return -ENOMEM;
                if (n > 1 && paths[i][0] == '/' && paths[i][n - 1] == '/')
                        l[i][n - 1] = 0;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

static int component_init(WriterComponent *c, const char *name, const char *const *paths, int selectable,
                          const char *description) {
        *c = (WriterComponent) { .selectable = selectable };
        c->name = strdup(name);
        if (description)
                c->description = strdup(description);
        if (!c->name || (description && !c->description) || paths_normalize(paths, &c->paths) < 0) {
                component_done(c);
                return -ENOMEM;
        }
        return 0;
}

int stasis_writer_add_component(StasisWriter *w, const char *name, const char *const *paths,
                                int selectable, const char *description) {
        WriterMetadata *m;
        WriterComponent *l;
        char err[1024];
        int r;

        if (!w)
                return -EINVAL;
        m = w->meta;
        if (!name)
                return writer_set_error(w, -EINVAL, "component name: must not be NULL");
        if (selectable != 0 && selectable != 1)
                return writer_set_error(w, -EINVAL, "component \"%s\": selectable must be 0 or 1, not %d",
                                        name, selectable);
        for (size_t i = 0; i < m->n_components; i++)
                if (streq(m->components[i].name, name))
                        return writer_set_error(w, -EEXIST, "component \"%s\": the writer has one of this name already",
                                                name);
        if (m->n_components >= WRITER_COMPONENTS_MAX)
                return writer_set_error(w, -E2BIG, "component \"%s\": the writer has %d components already, the most allowed",
                                        name, WRITER_COMPONENTS_MAX);

        l = realloc(m->components, sizeof(WriterComponent) * (m->n_components + 1));
        if (!l)
                return writer_set_error(w, -ENOMEM, "Out of memory");
        m->components = l;
        r = component_init(&l[m->n_components], name, paths, selectable, description);
        if (r < 0)
                return writer_set_error(w, r, "Out of memory");

        /* The other components and fields are valid: only the new one can fail. */
        m->n_components++;
        r = writer_metadata_validate(m, err, sizeof err);
        if (r < 0) {
                component_done(&l[--m->n_components]);
                return writer_set_error(w, r, "%s", err);
        }
        metadata_changed(w);
        return 0;
}

int stasis_writer_clear_components(StasisWriter *w) {
        if (!w)
                return -EINVAL;
        for (size_t i = 0; i < w->meta->n_components; i++)
                component_done(&w->meta->components[i]);
        free(w->meta->components);
        w->meta->components = NULL;
        w->meta->n_components = 0;
        metadata_changed(w);
        return 0;
}

int stasis_writer_set_handler(StasisWriter *w, StasisWriterEvent event, stasis_writer_handler_t handler,
                              void *userdata) {
        if (!w)
                return -EINVAL;
        if ((int) event < 0 || event >= _STASIS_EVENT_MAX)
                return writer_set_error(w, -EINVAL, "event %d: no such writer event", (int) event);
        w->handlers[event] = (WriterHandler) { handler, userdata };
        (void) writer_announce(w);      /* once registered: the events it takes changed */
        return 0;
}

int stasis_writer_set_bus_address(StasisWriter *w, const char *address) {
        if (!w)
                return -EINVAL;
        return client_set_bus_address(&w->client, address);
}

int writer_build_metadata(StasisWriter *w, const char **ret) {
        char err[1024];
        int r;

        if (!w->metadata_json) {
                r = writer_metadata_validate(w->meta, err, sizeof err);
                if (r < 0)
                        return writer_set_error(w, r, "Writer metadata not valid: %s", err);
                r = writer_metadata_to_json(w->meta, &w->metadata_json);
                if (r < 0)
                        return writer_set_error(w, r, "Cannot write the metadata as JSON: %s", strerror(-r));
        }
        *ret = w->metadata_json;
        return 0;
}

const char *stasis_writer_get_metadata(StasisWriter *w) {
        const char *json;

        if (!w || writer_build_metadata(w, &json) < 0)
                return NULL;
        return json;
}

const char *stasis_writer_last_error(StasisWriter *w) {
        return w ? stasis_error_info_message(&w->client.last_error) : "";
}

/* ---- Running ---- */

int stasis_writer_attach_event(StasisWriter *w, sd_event *event, int64_t priority) {
        if (!w)
                return -EINVAL;
        if (w->state != STASIS_WRITER_STOPPED)
                return writer_set_error(w, -EBUSY, "event loop: attach it before stasis_writer_start()");
        return client_attach_event(&w->client, event, priority);
}

static int process_ready(StasisWriter *w) {
        int n;

        stasis_writer_ref(w);   /* a handler may drop the caller's reference */
        n = client_run(&w->client, 0);
        stasis_writer_unref(w);
        return n;
}

static int on_own_loop_ready(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        (void) process_ready(userdata);        /* failures are in last_error */
        return 0;
}

/* In the caller's loop, the writer's own loop runs nested: one I/O source
 * there, whatever the writer watches inside. (Its bus attached straight to
 * the caller's loop would cost every pass of that loop a call per writer,
 * which adds up for a process with a thousand writers.) Edge-triggered:
 * process_ready() runs the own loop until nothing is left, and a level-
 * triggered source of a thousand writers with an event each would make
 * every pass of the caller's loop poll all of them, for one dispatched. */
static int attach_own_loop(StasisWriter *w) {
        int fd = sd_event_get_fd(w->client.event), r;

        if (fd < 0)
                return writer_set_error(w, fd, "Cannot get the writer's event loop fd: %s", strerror(-fd));
        r = sd_event_add_io(w->client.outer, &w->outer_source, fd, EPOLLIN | EPOLLET, on_own_loop_ready, w);
        if (r >= 0)
                r = sd_event_source_set_priority(w->outer_source, w->client.priority);
        if (r < 0)
                return writer_set_error(w, r, "Cannot attach to the caller's event loop: %s", strerror(-r));
        return 0;
}

int stasis_writer_start(StasisWriter *w) {
        const char *json;
        int r;

        if (!w)
                return -EINVAL;
        if (w->state != STASIS_WRITER_STOPPED)
                return writer_set_error(w, -EALREADY, "The writer is started already");
        r = writer_build_metadata(w, &json);
        if (r < 0)
                return r;
        r = client_prepare(&w->client);
        if (r < 0)
                return r;
        r = writer_connect(w);
        if (r < 0)
                return r;
        if (w->client.outer) {
                r = attach_own_loop(w);
                if (r < 0)
                        return r;
        }
        /* sd-bus watches its socket from the first pass of the loop on: make
         * that pass now, so that the loop's fd tells of messages. */
        (void) process_ready(w);
        return 0;
}

/* The library's own loop, for stasis_writer_run/exit/get_fd/process. */
static int own_event(StasisWriter *w, const char *what) {
        int r = client_own_loop(&w->client, what);

        if (r < 0)
                return r;
        if (!w->client.event || w->state == STASIS_WRITER_STOPPED)
                return writer_set_error(w, -ENXIO, "%s: the writer is not started", what);
        return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int run_loop(StasisWriter *w) {
        sd_event_source *term = NULL, *intr = NULL;
        sigset_t mask, old;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        r = -pthread_sigmask(SIG_BLOCK, &mask, &old);
        if (r < 0)
                return writer_set_error(w, r, "Cannot block SIGTERM and SIGINT: %s", strerror(-r));
        r = sd_event_add_signal(w->client.event, &term, SIGTERM, on_signal, NULL);
        if (r >= 0)
                r = sd_event_add_signal(w->client.event, &intr, SIGINT, on_signal, NULL);
        if (r < 0)
                writer_set_error(w, r, "Cannot watch SIGTERM and SIGINT: %s", strerror(-r));
        else {
                /* The exit code, or a negative errno when the loop failed.
                 * A lost bus connection does not end it: the writer
                 * connects again. */
                r = sd_event_loop(w->client.event);
                if (r < 0)
                        writer_set_error(w, r, "The writer's event loop ended: %s", strerror(-r));
        }
        sd_event_source_disable_unref(term);
        sd_event_source_disable_unref(intr);
        (void) pthread_sigmask(SIG_SETMASK, &old, NULL);
        return r;
}

int stasis_writer_run(StasisWriter *w) {
        int r;

        if (!w)
                return -EINVAL;
        if (w->client.outer)
                return own_event(w, "run");
        if (w->state == STASIS_WRITER_STOPPED) {
                r = stasis_writer_start(w);
                if (r < 0)
                        return r;
        }
        stasis_writer_ref(w);   /* a handler may drop the caller's reference */
        r = run_loop(w);
        stasis_writer_unref(w);
        return r;
}

int stasis_writer_exit(StasisWriter *w, int code) {
        int r;

        if (!w)
                return -EINVAL;
        r = own_event(w, "exit");
        if (r < 0)
                return r;
        return sd_event_exit(w->client.event, code);
}

int stasis_writer_get_fd(StasisWriter *w) {
        int r;

        if (!w)
                return -EINVAL;
        r = own_event(w, "file descriptor");
        if (r < 0)
                return r;
        return sd_event_get_fd(w->client.event);
}

int stasis_writer_process(StasisWriter *w) {
        int r;

        if (!w)
                return -EINVAL;
        r = own_event(w, "process");
        if (r < 0)
                return r;
        if (sd_event_get_state(w->client.event) == SD_EVENT_FINISHED)
                return writer_set_error(w, -ESTALE, "process: the writer's event loop has exited");
        r = process_ready(w);
        return r < 0 ? r : r > 0;
}

int stasis_writer_is_registered(StasisWriter *w) {
        return w && w->state == STASIS_WRITER_REGISTERED;
}

StasisWriterState stasis_writer_get_state(StasisWriter *w) {
        return w ? w->state : STASIS_WRITER_STOPPED;
}

int stasis_writer_set_state_handler(StasisWriter *w, stasis_writer_state_handler_t handler, void *userdata) {
        if (!w)
                return -EINVAL;
        w->state_handler = handler;
        w->state_userdata = userdata;
        return 0;
}

void writer_enter(StasisWriter *w, StasisWriterState state, const char *reason) {
        if (w->state == state)
                return;
        w->state = state;
        /* Only the application's own calls stop a writer: nobody to tell. */
        if (state != STASIS_WRITER_STOPPED && w->state_handler) {
                stasis_writer_ref(w);
                w->state_handler(w, state, reason, w->state_userdata);
                stasis_writer_unref(w);
        }
}
