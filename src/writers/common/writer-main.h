/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* writer-main.h - what the shipped writers' main() share: options, start-up, the loop */
#pragma once

#include <systemd/sd-event.h>

#include "stasis/stasis.h"
#include "writer-config.h"

#include <stdint.h>

typedef struct WriterArgs {
        void (*help)(void);             /* -h, --help */
        const char *config;             /* --config PATH; set the default before */
        const char *bus;                /* --bus-address ADDR */
        const char *extra_option;       /* one more --NAME VALUE the writer takes, or NULL */
        const char *extra;              /* its VALUE */
        const char *stderr_name;        /* messages as "NAME: message" on stderr; NULL: logged */
} WriterArgs;

/* The options into a. Returns 1 to go on, 0 after --help, -EINVAL (told)
 * on a bad option or an argument. */
int writer_parse_argv(int argc, char *argv[], WriterArgs *a);

/* For a server's writer (mariadb, redis): the writer NAME with s's
 * instance and freeze time-out, on bus (NULL: the system bus), and a new
 * event loop. Logs why not. */
int writer_server_new(const char *name, const WriterServerConfig *s, const char *bus, sd_event **ret_event,
                      StasisWriter **ret);

/* w's state changes logged, w attached to event, SIGTERM and SIGINT ending
 * the loop, w started. Logs why not. */
int writer_start(StasisWriter *w, sd_event *event);

/* One handler of a writer's table (writer_set_handlers()). */
typedef struct WriterHandler {
        StasisWriterEvent event;
        stasis_writer_handler_t handler;
} WriterHandler;

/* Sets each handler of table (n of them) on w, with userdata; stops at the
 * first failure and returns it. */
int writer_set_handlers(StasisWriter *w, const WriterHandler *table, size_t n, void *userdata);

/* The loop, until SIGTERM or SIGINT; logs a failure. */
int writer_loop(sd_event *event);

/* For the writers that write "NAME: message" on stderr (sqlite, hooks):
 * SIGTERM and SIGINT blocked, ending the default event loop, and the writer
 * NAME (stasis_writer_new()'s name, "sqlite") made with its instance, its
 * freeze time-out (whole milliseconds) and the bus. */
int writer_stderr_open(const char *name, const char *instance, uint64_t freeze_timeout_usec, const char *bus,
                       sd_event **ret_event, StasisWriter **ret);

/* After r, the result of the set-up so far: w's state changes written on
 * stderr, w attached to event and started. Says why not as "stasis-writer-NAME:
 * cannot start: ...". */
int writer_stderr_start(const char *name, StasisWriter *w, sd_event *event, int r);
