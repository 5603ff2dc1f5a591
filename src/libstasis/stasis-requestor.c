/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-requestor.c - the StasisRequestor object: its connection, its loop, its errors, and calls made on it */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "bus-errors.h"
#include "bus-util.h"
#include "stasis-requestor-internal.h"

#define REQUESTOR_TIMEOUT_DEFAULT_USEC (UINT64_C(60) * 60 * 1000000)

int requestor_fail(StasisRequestor *r, int error, const char *format, ...) {
        char *s = NULL;
        va_list ap;

        va_start(ap, format);
        if (vasprintf(&s, format, ap) < 0)
                s = NULL;
        va_end(ap);
        (void) error_info_set(&r->last_error, error, "%s", strempty(s));
        free(s);
        r->failed = true;
        return error;
}

int requestor_fail_bus(StasisRequestor *r, int error, const sd_bus_error *e) {
        error_info_set_bus(&r->last_error, error, e);
        r->failed = true;
        return error;
}

static int run_loop(StasisRequestor *r, uint64_t usec);

int stasis_requestor_new(StasisRequestor **ret) {
        StasisRequestor *r;

        if (!ret)
                return -EINVAL;
        r = calloc(1, sizeof(StasisRequestor));
        if (!r)
                return -ENOMEM;
        r->n_ref = 1;
        r->timeout_usec = REQUESTOR_TIMEOUT_DEFAULT_USEC;
        r->kick_fd = -1;
        *ret = r;
        return 0;
}

StasisRequestor *stasis_requestor_ref(StasisRequestor *r) {
        if (r)
                r->n_ref++;
        return r;
}

StasisRequestor *stasis_requestor_unref(StasisRequestor *r) {
        if (!r || --r->n_ref > 0)
                return NULL;

        requestor_watch_stop(r);
        if (r->bus) {
                /* Pending calls' slots go with the bus; their handlers are not called. */
                sd_bus_detach_event(r->bus);
                sd_bus_flush_close_unref(r->bus);
        }
        sd_event_source_disable_unref(r->kick_source);
        safe_close(r->kick_fd);
        sd_event_unref(r->event);
        error_info_clear(&r->last_error);
        free(r->bus_address);
        free(r);
        return NULL;
}

int stasis_requestor_set_bus_address(StasisRequestor *r, const char *address) {
        char *a = NULL;

        if (!r)
                return -EINVAL;
        if (r->bus)
                return requestor_fail(r, -EBUSY, "bus address: the requestor is connected already");
        if (address) {
                a = strdup(address);
                if (!a)
                        return requestor_fail(r, -ENOMEM, "Out of memory");
        }
        free(r->bus_address);
        r->bus_address = a;
        r->failed = false;
        return 0;
}

int stasis_requestor_set_timeout(StasisRequestor *r, uint64_t usec) {
        if (!r)
                return -EINVAL;
        r->timeout_usec = usec ?: REQUESTOR_TIMEOUT_DEFAULT_USEC;
        r->failed = false;
        return 0;
}

int stasis_requestor_attach_event(StasisRequestor *r, sd_event *event, int64_t priority) {
        sd_event *e = NULL;
        int q;

        if (!r)
                return -EINVAL;
        if (r->bus)
                return requestor_fail(r, -EBUSY, "event loop: attach it before connecting");
        if (event)
                e = sd_event_ref(event);
        else {
                q = sd_event_default(&e);
                if (q < 0)
                        return requestor_fail(r, q, "Cannot get the default event loop: %s", strerror(-q));
        }
        sd_event_unref(r->event);
        r->event = e;
        r->event_foreign = true;
        r->priority = priority;
        r->failed = false;
        return 0;
}

static int on_kick(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        uint64_t v;

        (void) !read(fd, &v, sizeof v);
        return 0;
}

static int kick_setup(StasisRequestor *r) {
        if (r->kick_source)
                return 0;
        r->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (r->kick_fd < 0)
                return -errno;
        return sd_event_add_io(r->event, &r->kick_source, r->kick_fd, EPOLLIN, on_kick, r);
}

/* After a synchronous call in the library's own loop: if the bus read
 * messages meanwhile (signals, answers of asynchronous calls), make the
 * loop's fd readable so that the caller's poll() wakes up for them. */
static void kick(StasisRequestor *r) {
        uint64_t t, one = 1;

        if (r->kick_fd < 0 || sd_bus_get_timeout(r->bus, &t) <= 0 || t != 0)
                return;
        (void) !write(r->kick_fd, &one, sizeof one);
}

int stasis_requestor_connect(StasisRequestor *r) {
        const char *address, *unique;
        int q;

        if (!r)
                return -EINVAL;
        r->failed = false;
        if (r->bus)
                return 0;
        q = stasis_bus_error_map_register();
        if (q < 0)
                return requestor_fail(r, q, "Cannot register the stasis bus errors: %s", strerror(-q));
        if (!r->event) {
                q = sd_event_new(&r->event);
                if (q < 0)
                        return requestor_fail(r, q, "Cannot make an event loop: %s", strerror(-q));
        }
        address = r->bus_address ?: stasis_bus_address();
        q = bus_open_address(address, "stasis-requestor", &r->bus);
        if (q < 0)
                return requestor_fail(r, q, "Cannot connect to the bus %s: %s", address ?: "(the system bus)",
                                      strerror(-q));
        /* Wait for Hello now, so that calls are written as they are made. */
        q = sd_bus_get_unique_name(r->bus, &unique);
        if (q >= 0)
                q = sd_bus_attach_event(r->bus, r->event, r->priority);
        if (q < 0) {
                r->bus = sd_bus_flush_close_unref(r->bus);
                return requestor_fail(r, q, "Cannot connect to the bus %s: %s", address ?: "(the system bus)",
                                      strerror(-q));
        }
        if (!r->event_foreign) {
                q = kick_setup(r);
                if (q < 0) {
                        r->bus = sd_bus_flush_close_unref(r->bus);
                        return requestor_fail(r, q, "Cannot set up the event loop: %s", strerror(-q));
                }
                /* Make the loop's first pass now: from then on its fd tells
                 * of what the bus waits for. */
                (void) run_loop(r, 0);
        }
        return 0;
}

int requestor_begin(StasisRequestor *r) {
        return stasis_requestor_connect(r);
}

const StasisErrorInfo *stasis_requestor_last_error(StasisRequestor *r) {
        return r && r->failed ? &r->last_error : NULL;
}

/* ---- The library's own loop ---- */

static int own_loop(StasisRequestor *r, const char *what) {
        if (r->event_foreign)
                return requestor_fail(r, -EBUSY, "%s: the requestor runs in the caller's event loop", what);
        return requestor_begin(r);
}

int stasis_requestor_get_fd(StasisRequestor *r) {
        int q;

        if (!r)
                return -EINVAL;
        q = own_loop(r, "file descriptor");
        if (q < 0)
                return q;
        return sd_event_get_fd(r->event);
}

/* Dispatches everything that is ready, waiting up to usec for the first. */
static int run_loop(StasisRequestor *r, uint64_t usec) {
        int q, n = 0;

        stasis_requestor_ref(r);        /* a handler may drop the caller's reference */
        for (;;) {
                q = sd_event_run(r->event, n == 0 ? usec : 0);
                if (q < 0) {
                        n = requestor_fail(r, q, "Cannot run the event loop: %s", strerror(-q));
                        break;
                }
                if (q == 0)
                        break;
                n++;
        }
        stasis_requestor_unref(r);
        return n;
}

int stasis_requestor_process(StasisRequestor *r) {
        int q;

        if (!r)
                return -EINVAL;
        q = own_loop(r, "process");
        if (q < 0)
                return q;
        q = run_loop(r, 0);
        return q < 0 ? q : q > 0;
}

int stasis_requestor_wait(StasisRequestor *r, uint64_t usec) {
        int q;

        if (!r)
                return -EINVAL;
        q = own_loop(r, "wait");
        if (q < 0)
                return q;
        q = run_loop(r, usec);
        return q < 0 ? q : q > 0;
}

/* ---- Calls ---- */

int requestor_call(StasisRequestor *r, sd_bus_message *m, sd_bus_message **ret_reply) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int q;

        q = sd_bus_call(r->bus, m, r->timeout_usec, &error, ret_reply);
        kick(r);
        if (q < 0)
                return requestor_fail_bus(r, q, &error);
        return 0;
}
