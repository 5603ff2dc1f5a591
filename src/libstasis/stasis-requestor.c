/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-requestor.c - the StasisRequestor object: its connection, its loop, its errors, and calls made on it */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "bus-util.h"
#include "stasis-requestor-internal.h"
#include "time-util.h"

#define REQUESTOR_TIMEOUT_DEFAULT_USEC (UINT64_C(60) * 60 * 1000000)

static int run_loop(StasisRequestor *r, uint64_t usec);

int stasis_requestor_new(StasisRequestor **ret) {
        StasisRequestor *r;

        if (!ret)
                return -EINVAL;
        r = calloc(1, sizeof(StasisRequestor));
        if (!r)
                return -ENOMEM;
        r->n_ref = 1;
        r->client.kind = "requestor";
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
        if (r->client.bus) {
                /* Pending calls' slots go with the bus; their handlers are not called. */
                sd_bus_detach_event(r->client.bus);
                sd_bus_flush_close_unref(r->client.bus);
        }
        sd_event_source_disable_unref(r->kick_source);
        safe_close(r->kick_fd);
        client_done(&r->client);
        free(r->stasisd);
        free(r);
        return NULL;
}

int stasis_requestor_set_bus_address(StasisRequestor *r, const char *address) {
        if (!r)
                return -EINVAL;
        return client_set_bus_address(&r->client, address);
}

int stasis_requestor_set_timeout(StasisRequestor *r, uint64_t usec) {
        if (!r)
                return -EINVAL;
        r->timeout_usec = usec ?: REQUESTOR_TIMEOUT_DEFAULT_USEC;
        r->client.failed = false;
        return 0;
}

int stasis_requestor_attach_event(StasisRequestor *r, sd_event *event, int64_t priority) {
        int q;

        if (!r)
                return -EINVAL;
        if (r->client.bus)
                return requestor_fail(r, -EBUSY, "event loop: attach it before connecting");
        q = client_attach_event(&r->client, event, priority);
        if (q < 0)
                return q;
        /* The bus is attached to the caller's loop straight. */
        sd_event_unref(r->client.event);
        r->client.event = sd_event_ref(r->client.outer);
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
        return sd_event_add_io(r->client.event, &r->kick_source, r->kick_fd, EPOLLIN, on_kick, r);
}

/* After a synchronous call in the library's own loop: if the bus read
 * messages meanwhile (signals, answers of asynchronous calls), make the
 * loop's fd readable so that the caller's poll() wakes up for them. */
void requestor_kick(StasisRequestor *r) {
        uint64_t t, one = 1;

        if (r->kick_fd < 0 || sd_bus_get_timeout(r->client.bus, &t) <= 0 || t != 0)
                return;
        (void) !write(r->kick_fd, &one, sizeof one);
}

int stasis_requestor_connect(StasisRequestor *r) {
        const char *address, *unique;
        Client *c;
        int q;

        if (!r)
                return -EINVAL;
        c = &r->client;
        c->failed = false;
        if (c->bus)
                return 0;
        /* The library's own loop is made when first needed
         * (requestor_own_loop()): a requestor that only makes synchronous
         * calls never has one. */
        q = c->outer ? client_prepare(c) : client_register_errors(c);
        if (q < 0)
                return q;
        address = c->bus_address ?: stasis_bus_address();
        q = bus_open_address(address, "stasis-requestor", &c->bus);
        if (q < 0)
                return requestor_fail(r, q, "Cannot connect to the bus %s: %s", address ?: "(the system bus)",
                                      strerror(-q));
        /* In the caller's loop, wait for Hello now, so that calls are
         * written as they are made. Otherwise the first call goes out right
         * behind the Hello (requestor_call()), and the library's own loop
         * waits for it when it is made (requestor_own_loop()). */
        if (c->outer) {
                q = sd_bus_get_unique_name(c->bus, &unique);
                if (q >= 0)
                        q = sd_bus_attach_event(c->bus, c->event, c->priority);
        }
        if (q < 0) {
                c->bus = sd_bus_flush_close_unref(c->bus);
                return requestor_fail(r, q, "Cannot connect to the bus %s: %s", address ?: "(the system bus)",
                                      strerror(-q));
        }
        return 0;
}

int requestor_own_loop(StasisRequestor *r) {
        Client *c = &r->client;
        const char *unique;
        int q;

        if (c->outer || r->kick_source)
                return 0;
        q = client_prepare(c);
        if (q >= 0)
                q = sd_bus_get_unique_name(c->bus, &unique);    /* the Hello answered, as in the caller's loop */
        if (q >= 0)
                q = sd_bus_attach_event(c->bus, c->event, c->priority);
        if (q >= 0)
                q = kick_setup(r);
        if (q < 0) {
                (void) sd_bus_detach_event(c->bus);
                r->kick_source = sd_event_source_disable_unref(r->kick_source);
                r->kick_fd = safe_close(r->kick_fd);
                return requestor_fail(r, q, "Cannot set up the event loop: %s", strerror(-q));
        }
        /* Make the loop's first pass now: from then on its fd tells of
         * what the bus waits for (messages read already included). */
        (void) run_loop(r, 0);
        return 0;
}

int requestor_begin(StasisRequestor *r) {
        return stasis_requestor_connect(r);
}

const StasisErrorInfo *stasis_requestor_last_error(StasisRequestor *r) {
        return r && r->client.failed ? &r->client.last_error : NULL;
}

/* ---- The library's own loop ---- */

static int own_loop(StasisRequestor *r, const char *what) {
        int q = client_own_loop(&r->client, what);

        if (q >= 0)
                q = requestor_begin(r);
        return q < 0 ? q : requestor_own_loop(r);
}

int stasis_requestor_get_fd(StasisRequestor *r) {
        int q;

        if (!r)
                return -EINVAL;
        q = own_loop(r, "file descriptor");
        if (q < 0)
                return q;
        return sd_event_get_fd(r->client.event);
}

static int run_loop(StasisRequestor *r, uint64_t usec) {
        int n;

        stasis_requestor_ref(r);        /* a handler may drop the caller's reference */
        n = client_run(&r->client, usec);
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

/* ---- Calls, and calls that got no answer ---- */

static bool failure_is_disconnect(StasisRequestor *r, int q) {
        return !r->client.bus || sd_bus_is_open(r->client.bus) <= 0 ||
               q == -ECONNRESET || q == -ENOTCONN || q == -EPIPE || q == -ESHUTDOWN || q == -ECONNABORTED;
}

/* NoReply comes from the bus (the callee left, or the bus's own time
 * limit passed) or from sd-bus (the call's time-out passed, or the
 * connection closed); a synchronous call that timed out fails with
 * ETIMEDOUT and sd-bus's name for it. stasisd's own Timeout is not one. */
static bool failure_is_no_reply(int q, const sd_bus_error *e) {
        if (sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY))
                return true;
        return q == -ETIMEDOUT && (!sd_bus_error_is_set(e) || sd_bus_error_has_name(e, SD_BUS_ERROR_TIMEOUT));
}

int requestor_fail_call(StasisRequestor *r, StasisErrorInfo *info, int q, const sd_bus_error *e, uint64_t started,
                        uint64_t timeout) {
        _cleanup_(sd_bus_error_free) sd_bus_error oe = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *owner = NULL, *msg = NULL;
        uint64_t elapsed = now_usec(CLOCK_MONOTONIC) - started;
        const char *why = NULL;

        if (failure_is_disconnect(r, q))
                why = "the connection to the bus closed";
        else if (!failure_is_no_reply(q, e))
                return error_info_set_bus(info, q, e);
        else if (elapsed >= timeout) {
                if (asprintf(&msg, "stasisd did not answer within %" PRIu64 " ms", timeout / 1000) < 0)
                        msg = NULL;
                return error_info_set_code(info, -ETIMEDOUT, STASIS_ERR_NO_ANSWER,
                                           msg ?: "stasisd did not answer in time");
        } else if (bus_get_name_owner(r->client.bus, STASIS_BUS_NAME, &oe, &owner) < 0 || !owner)
                why = "nobody owns " STASIS_BUS_NAME " now";
        else if (r->stasisd && !streq(owner, r->stasisd))
                why = "another process owns " STASIS_BUS_NAME " now";
        else if (!r->stasisd)
                /* The bus ends a call unanswered when the callee leaves (a bus
                 * with a reply time-out of its own is rare): with an owner
                 * again, and no answer ever seen to compare, stasisd most
                 * likely restarted. */
                why = "the bus ended the call unanswered, and " STASIS_BUS_NAME " has an owner again";
        else {
                /* The same stasisd is still there: the bus gave up waiting for it. */
                if (asprintf(&msg, "stasisd did not answer: %s", e && e->message ? e->message : "no reply") < 0)
                        msg = NULL;
                return error_info_set_code(info, -ETIMEDOUT, STASIS_ERR_NO_ANSWER,
                                           msg ?: "stasisd did not answer in time");
        }
        if (asprintf(&msg, "stasisd went away before it answered: %s", why) < 0)
                msg = NULL;
        return error_info_set_code(info, -ECONNRESET, STASIS_ERR_DISCONNECTED,
                                   msg ?: "stasisd went away before it answered");
}

void requestor_note_answer(StasisRequestor *r, sd_bus_message *reply) {
        const char *sender = sd_bus_message_get_sender(reply);

        /* The unique name that answers for org.stasis1, to tell later
         * whether another process took the name over. */
        if (!sender || (r->stasisd && streq(sender, r->stasisd)))
                return;
        free(r->stasisd);
        r->stasisd = strdup(sender);
}

int requestor_call(StasisRequestor *r, sd_bus_message *m, sd_bus_message **ret_reply) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        uint64_t started = now_usec(CLOCK_MONOTONIC);
        int q;

        /* The first call of a connection without a loop: sent behind the
         * Hello, not after its answer. */
        if (sd_bus_is_open(r->client.bus) > 0 && sd_bus_is_ready(r->client.bus) == 0 &&
            !sd_bus_get_event(r->client.bus)) {
                BatchCall call = { .call = sd_bus_message_ref(m) };
                requestor_call_batch(r, &call, 1);
                q = batch_call_result(r, &call);
                if (q >= 0 && ret_reply)
                        *ret_reply = TAKE_PTR(call.reply);
                batch_calls_done(&call, 1);
                return q;
        }
        q = sd_bus_call(r->client.bus, m, r->timeout_usec, &error, &reply);
        requestor_kick(r);
        if (q < 0) {
                q = requestor_fail_call(r, &r->client.last_error, q, &error, started, r->timeout_usec);
                r->client.failed = true;
                return q;
        }
        requestor_note_answer(r, reply);
        if (ret_reply)
                *ret_reply = TAKE_PTR(reply);
        return 0;
}
