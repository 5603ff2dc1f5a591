/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* writer-main.c - what the shipped writers' main() share: options, start-up, the loop */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "writer-main.h"

int writer_parse_argv(int argc, char *argv[], WriterArgs *a) {
        struct option options[] = {
                { "config",      required_argument, NULL, 'c' },
                { "bus-address", required_argument, NULL, 'b' },
                { "help",        no_argument,       NULL, 'h' },
                { a->extra_option, required_argument, NULL, 'x' },     /* NULL: the end */
                {}
        };
        int opt;

        while ((opt = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (opt) {
                case 'c': a->config = optarg; break;
                case 'b': a->bus = optarg; break;
                case 'x': a->extra = optarg; break;
                case 'h': a->help(); return 0;
                default: return -EINVAL;
                }
        if (optind < argc) {
                if (a->stderr_name)
                        fprintf(stderr, "%s: unexpected argument '%s'\n", a->stderr_name, argv[optind]);
                else
                        log_error("Unexpected argument '%s'.", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

static void on_state(StasisWriter *w, StasisWriterState state, const char *reason, void *userdata) {
        log_info("Writer %s%s%s.", stasis_writer_state_to_string(state), reason ? ": " : "", strempty(reason));
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

static const char *writer_error(StasisWriter *w, int r) {
        return *stasis_writer_last_error(w) ? stasis_writer_last_error(w) : strerror(-r);
}

int writer_server_new(const char *name, const WriterServerConfig *s, const char *bus, sd_event **ret_event,
                      StasisWriter **ret) {
        int r;

        r = stasis_writer_new(ret, name, s->instance);
        if (r < 0)
                return log_error_errno(r, "Cannot make the writer %s%s%s: %m (an instance is a-z, 0-9, '.', '_', '-').",
                                       name, s->instance ? "@" : "", strempty(s->instance));
        r = stasis_writer_set_freeze_timeout(*ret, s->freeze_timeout_sec * 1000000ULL);
        if (r >= 0 && bus)
                r = stasis_writer_set_bus_address(*ret, bus);
        if (r >= 0)
                r = sd_event_new(ret_event);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the writer: %m");
        return 0;
}

int writer_start(StasisWriter *w, sd_event *event) {
        sigset_t mask;
        int r;

        r = stasis_writer_set_state_handler(w, on_state, NULL);
        if (r >= 0)
                r = stasis_writer_attach_event(w, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the writer: %s", writer_error(w, r));

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        if ((r = sd_event_add_signal(event, NULL, SIGTERM, on_signal, NULL)) < 0 ||
            (r = sd_event_add_signal(event, NULL, SIGINT, on_signal, NULL)) < 0)
                return log_error_errno(r, "Cannot watch SIGTERM and SIGINT: %m");

        r = stasis_writer_start(w);
        if (r < 0)
                return log_error_errno(r, "Cannot start the writer: %s", writer_error(w, r));
        return 0;
}

int writer_set_handlers(StasisWriter *w, const WriterHandler *table, size_t n, void *userdata) {
        for (size_t i = 0; i < n; i++) {
                int r = stasis_writer_set_handler(w, table[i].event, table[i].handler, userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}

int writer_loop(sd_event *event) {
        int r = sd_event_loop(event);
        if (r < 0)
                log_error_errno(r, "The event loop failed: %m");
        return r;
}

static void on_state_stderr(StasisWriter *w, StasisWriterState state, const char *reason, void *userdata) {
        fprintf(stderr, "stasis-writer-%s: %s%s%s\n", (const char *) userdata, stasis_writer_state_to_string(state),
                reason ? ": " : "", strempty(reason));
}

int writer_stderr_open(const char *name, const char *instance, uint64_t freeze_timeout_usec, const char *bus,
                       sd_event **ret_event, StasisWriter **ret) {
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        r = sd_event_default(ret_event);
        if (r >= 0)
                r = sd_event_add_signal(*ret_event, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(*ret_event, NULL, SIGINT, NULL, NULL);
        if (r >= 0)
                r = stasis_writer_new(ret, name, instance);
        if (r >= 0)
                r = stasis_writer_set_freeze_timeout(*ret, freeze_timeout_usec / 1000 * 1000);
        if (r >= 0)
                r = stasis_writer_set_bus_address(*ret, bus);
        return r;
}

int writer_stderr_start(const char *name, StasisWriter *w, sd_event *event, int r) {
        if (r >= 0)
                r = stasis_writer_set_state_handler(w, on_state_stderr, (void *) name);
        if (r >= 0)
                r = stasis_writer_attach_event(w, event, 0);
        if (r >= 0)
                r = stasis_writer_start(w);
        if (r < 0)
                fprintf(stderr, "stasis-writer-%s: cannot start: %s\n", name,
                        w && *stasis_writer_last_error(w) ? stasis_writer_last_error(w) : strerror(-r));
        return r;
}
