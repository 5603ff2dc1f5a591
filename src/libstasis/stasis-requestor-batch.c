/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-requestor-batch.c - method calls sent together and answered in one wait */
#include <assert.h>
#include <errno.h>
#include <stdint.h>

#include "stasis-requestor-internal.h"
#include "time-util.h"

static int on_batch_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        BatchCall *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        c->done = true;
        if (e) {
                c->result = -sd_bus_error_get_errno(e) ?: -EIO;
                (void) sd_bus_error_copy(&c->error, e);
        } else
                c->reply = sd_bus_message_ref(reply);
        return 0;
}

/* Each call as requestor_call() makes it, one after the other. */
static void batch_one_by_one(StasisRequestor *r, BatchCall *calls, size_t n) {
        for (size_t i = 0; i < n; i++) {
                uint64_t started = now_usec(CLOCK_MONOTONIC);
                int q = sd_bus_call(r->client.bus, calls[i].call, r->timeout_usec, &calls[i].error, &calls[i].reply);
                if (q < 0) {
                        calls[i].started = started;
                        calls[i].result = q;
                }
                calls[i].done = true;
        }
        requestor_kick(r);
}

/* Sends all, then reads until each has its answer: stasisd answers calls of
 * one connection in order, so the answers come one after the other, and
 * the caller waits about as long as for one call. On a bus not running
 * yet (its Hello not answered), the calls go out right behind the Hello.
 * Only without an event loop attached to the bus: processing the bus here
 * dispatches what it reads, which a loop's callbacks must not see from
 * inside a call; with one, the calls are made one by one. */
void requestor_call_batch(StasisRequestor *r, BatchCall *calls, size_t n) {
        sd_bus *bus = r->client.bus;
        sd_bus_slot *slots[BATCH_CALLS_MAX] = {};
        size_t left = n;
        /* Open, its Hello not answered yet: if it closes before, the calls
         * never reached stasisd. */
        bool hello_pending = sd_bus_is_open(bus) > 0 && sd_bus_is_ready(bus) == 0, ready = false;
        int q = 0;

        assert(n <= BATCH_CALLS_MAX);
        for (size_t i = 0; i < n; i++)
                calls[i] = (BatchCall) { .call = calls[i].call, .error = SD_BUS_ERROR_NULL };
        if (sd_bus_get_event(bus)) {
                batch_one_by_one(r, calls, n);
                goto finish;
        }
        for (size_t i = 0; i < n; i++) {
                calls[i].started = now_usec(CLOCK_MONOTONIC);
                q = sd_bus_call_async(bus, &slots[i], calls[i].call, on_batch_reply, &calls[i], r->timeout_usec);
                if (q < 0) {
                        calls[i].result = q;
                        calls[i].done = true;
                        left--;
                }
        }
        /* The calls' own time-outs, kept here too: sd-bus may wake up a
         * moment before one passes and then not wait for it again. */
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + r->timeout_usec;
        while (left > 0) {
                q = sd_bus_process(bus, NULL);
                ready = ready || sd_bus_is_ready(bus) > 0;
                if (q < 0 && q != -EINTR)
                        break;
                left = 0;
                for (size_t i = 0; i < n; i++)
                        left += !calls[i].done;
                if (left == 0 || q > 0)
                        continue;
                uint64_t now = now_usec(CLOCK_MONOTONIC);
                if (now >= deadline) {
                        for (size_t i = 0; i < n; i++)
                                if (!calls[i].done) {
                                        calls[i].result = -ETIMEDOUT;
                                        (void) sd_bus_error_set(&calls[i].error, SD_BUS_ERROR_NO_REPLY,
                                                                "Method call timed out");
                                        calls[i].done = true;
                                }
                        break;
                }
                q = sd_bus_wait(bus, deadline - now);
                if (q < 0 && q != -EINTR)
                        break;
        }
        for (size_t i = 0; i < n; i++) {
                if (!calls[i].done) {
                        /* The bus failed under us: sd-bus closes it; the call is lost. */
                        calls[i].result = q < 0 ? q : -EIO;
                        calls[i].done = true;
                }
                /* Closed before its Hello was answered: nothing reached stasisd. */
                calls[i].unconnected = calls[i].result < 0 && hello_pending && !ready;
                sd_bus_slot_unref(slots[i]);
        }
finish:
        for (size_t i = 0; i < n; i++)
                if (calls[i].result >= 0)
                        requestor_note_answer(r, calls[i].reply);
}

int batch_call_result(StasisRequestor *r, BatchCall *c) {
        if (c->result >= 0)
                return 0;
        if (c->unconnected)
                return requestor_fail(r, -ENOTCONN, "the connection closed before the bus answered Hello");
        int q = requestor_fail_call(r, &r->client.last_error, c->result, &c->error, c->started, r->timeout_usec);
        r->client.failed = true;
        return q;
}

void batch_calls_done(BatchCall *calls, size_t n) {
        for (size_t i = 0; i < n; i++) {
                calls[i].call = sd_bus_message_unref(calls[i].call);
                calls[i].reply = sd_bus_message_unref(calls[i].reply);
                sd_bus_error_free(&calls[i].error);
        }
}
