/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-client.h - what a writer and a requestor share: the bus address, the event loop they run in, the last error */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "stasis/stasis.h"

struct StasisErrorInfo {
        StasisError code;
        int error;              /* positive errno */
        char *name;             /* NULL: a local failure */
        char *message;          /* NULL means "" */
};

/* stasis-error.c */
void error_info_clear(StasisErrorInfo *e);
/* Records a failure r (< 0) with the bus error e (may be NULL or unset)
 * in info; returns r. */
int error_info_set_bus(StasisErrorInfo *info, int r, const sd_bus_error *e);
/* Records a failure r (< 0) with a code of its own and its name (the
 * library's: STASIS_ERR_DISCONNECTED, STASIS_ERR_NO_ANSWER); returns r. */
int error_info_set_code(StasisErrorInfo *info, int r, StasisError code, const char *message);
/* Records a local failure r (< 0) with a message; returns r. */
int error_info_set(StasisErrorInfo *info, int r, const char *format, ...) _printf_(3, 4);

/* Embedded in StasisWriter and StasisRequestor. */
typedef struct Client {
        const char *kind;               /* "writer", "requestor": how messages name the object */
        char *bus_address;              /* NULL: stasis_bus_address() */
        sd_bus *bus;
        sd_event *event;                /* the loop the bus is attached to */
        sd_event *outer;                /* the caller's loop (attach_event); NULL: the library's own loop only */
        int64_t priority;
        StasisErrorInfo last_error;
        bool failed;                    /* last_error is set since it was last cleared */
} Client;

/* Records a failure in c's last error; returns error. */
int client_fail(Client *c, int error, const char *format, ...) _printf_(3, 4);
int client_fail_bus(Client *c, int error, const sd_bus_error *e);
/* Frees what c holds but its bus, which the owner closes first. */
void client_done(Client *c);

int client_set_bus_address(Client *c, const char *address);
/* Takes event (NULL: the default loop) as the caller's loop; the owner
 * refuses first if it is connected. */
int client_attach_event(Client *c, sd_event *event, int64_t priority);
/* Before connecting: the stasis bus errors (so that sd-bus converts their
 * names and errnos). */
int client_register_errors(Client *c);
/* Before connecting: the stasis bus errors, and the library's own loop
 * unless c has one already. */
int client_prepare(Client *c);
/* -EBUSY (recorded) if c runs in the caller's loop: what names the call. */
int client_own_loop(Client *c, const char *what);
/* Dispatches everything ready in c->event, waiting up to usec for the
 * first; a source made pending by one pass (the bus read several messages
 * at once) may not make the fd readable again. Returns how many were
 * dispatched. The owner holds a reference meanwhile: a handler may drop
 * the caller's. */
int client_run(Client *c, uint64_t usec);
