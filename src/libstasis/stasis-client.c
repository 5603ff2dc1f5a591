/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-client.c - what a writer and a requestor share: the bus address, the event loop they run in, the last error */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-errors.h"
#include "stasis-client.h"

int client_fail(Client *c, int error, const char *format, ...) {
        char *s = NULL;
        va_list ap;

        va_start(ap, format);
        if (vasprintf(&s, format, ap) < 0)
                s = NULL;
        va_end(ap);
        (void) error_info_set(&c->last_error, error, "%s", strempty(s));
        free(s);
        c->failed = true;
        return error;
}

int client_fail_bus(Client *c, int error, const sd_bus_error *e) {
        error_info_set_bus(&c->last_error, error, e);
        c->failed = true;
        return error;
}

void client_done(Client *c) {
        sd_event_unref(c->event);
        sd_event_unref(c->outer);
        error_info_clear(&c->last_error);
        free(c->bus_address);
}

int client_set_bus_address(Client *c, const char *address) {
        char *a = NULL;

        if (c->bus)
                return client_fail(c, -EBUSY, "bus address: the %s is connected already", c->kind);
        if (address) {
                a = strdup(address);
                if (!a)
                        return client_fail(c, -ENOMEM, "Out of memory");
        }
        free(c->bus_address);
        c->bus_address = a;
        c->failed = false;
        return 0;
}

int client_attach_event(Client *c, sd_event *event, int64_t priority) {
        sd_event *e = NULL;
        int r;

        if (event)
                e = sd_event_ref(event);
        else {
                r = sd_event_default(&e);
                if (r < 0)
                        return client_fail(c, r, "Cannot get the default event loop: %s", strerror(-r));
        }
        sd_event_unref(c->outer);
        c->outer = e;
        c->priority = priority;
        c->failed = false;
        return 0;
}

int client_register_errors(Client *c) {
        int r = stasis_bus_error_map_register();
        if (r < 0)
                return client_fail(c, r, "Cannot register the stasis bus errors: %s", strerror(-r));
        return 0;
}

int client_prepare(Client *c) {
        int r;

        r = client_register_errors(c);
        if (r < 0)
                return r;
        if (!c->event) {
                r = sd_event_new(&c->event);
                if (r < 0)
                        return client_fail(c, r, "Cannot make an event loop: %s", strerror(-r));
        }
        return 0;
}

int client_own_loop(Client *c, const char *what) {
        if (c->outer)
                return client_fail(c, -EBUSY, "%s: the %s runs in the caller's event loop", what, c->kind);
        return 0;
}

int client_run(Client *c, uint64_t usec) {
        int r, n = 0;

        while (sd_event_get_state(c->event) != SD_EVENT_FINISHED) {
                r = sd_event_run(c->event, n == 0 ? usec : 0);
                if (r < 0)
                        return client_fail(c, r, "Cannot run the event loop: %s", strerror(-r));
                if (r == 0)
                        break;
                n++;
        }
        return n;
}
