/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-writer-call.c - one event to many writers at once, each call with a deadline */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-errors.h"
#include "bus-util.h"
#include "echo.h"
#include "list.h"
#include "log.h"
#include "macro.h"
#include "stasis/stasis.h"
#include "stasisd-writer-announce.h"
#include "stasisd-writer-call.h"
#include "stasisd-writer-channel.h"
#include "stasisd-writer.h"
#include "utf8.h"

/* The writer's own state, as ListWriters shows it, after an event. */
static void writer_note_result(Writer *w, const WriterBatch *b, const WriterReply *r) {
        if (b->event != STASIS_EVENT_IDENTIFY)
                snprintf(w->last_set, sizeof w->last_set, "%s", b->set_id);
        if (r->error < 0) {
                writer_mark_failed(w, b->event, r->message);
                return;
        }
        switch (b->event) {
        case STASIS_EVENT_IDENTIFY:
                if (w->state == WRITER_FAILED && w->failed_at == STASIS_EVENT_IDENTIFY)
                        w->state = WRITER_STABLE;
                break;
        case STASIS_EVENT_PREPARE_BACKUP:
                w->state = WRITER_STABLE;
                w->last_error = mfree(w->last_error);
                break;
        case STASIS_EVENT_PREPARE_SNAPSHOT:
                w->state = WRITER_WAITING_FOR_FREEZE;
                break;
        case STASIS_EVENT_FREEZE:
                w->state = WRITER_FROZEN;
                break;
        case STASIS_EVENT_THAW:
                w->state = WRITER_WAITING_FOR_POST_SNAPSHOT;
                break;
        case STASIS_EVENT_POST_SNAPSHOT:
                w->state = WRITER_WAITING_FOR_BACKUP_COMPLETE;
                break;
        default:        /* BackupComplete, Abort: a failure stays shown */
                if (w->state != WRITER_FAILED)
                        w->state = WRITER_STABLE;
                break;
        }
}

static int on_finish(sd_event_source *es, void *userdata) {
        WriterBatch *b = userdata;

        bool owned = b->owned;

        b->finish = sd_event_source_disable_unref(b->finish);
        b->channel_timer = sd_event_source_disable_unref(b->channel_timer);
        if (b->done)
                b->done(b, b->userdata);        /* an owned batch may be freed here */
        if (!owned)
                writer_batch_free(b);
        return 0;
}

static void reply_finish(WriterReply *r, int error, bool retryable, const char *message) {
        WriterBatch *b = r->batch;
        Manager *m = b->manager;

        if (r->done)
                return;
        if (r->slot) {
                r->slot = sd_bus_slot_unref(r->slot);
                m->n_calls_in_flight--;
        }
        writer_channel_forget(r);
        r->done = true;
        r->error = error;
        r->retryable = retryable;
        r->done_usec = now_usec(CLOCK_MONOTONIC);
        if (error < 0)
                r->message = strdup(strempty(message));
        if (!r->not_called)     /* the writer did nothing wrong: its state stays */
                writer_note_result(r->writer, b, r);
        if (++b->n_done == b->n && !b->finish) {
                int k = sd_event_add_defer(m->event, &b->finish, on_finish, b);
                if (k < 0)
                        log_error_errno(k, "Cannot schedule the end of %s calls: %m", writer_event_name(b->event));
        }
}

/* A writer's reason, cut (at a character) to what ListWriters keeps of it. */
#define WRITER_ECHO(s) echo_prefix((s), WRITER_LAST_ERROR_MAX, (char[ECHO_SIZE(WRITER_LAST_ERROR_MAX)]){ 0 }, \
                                   ECHO_SIZE(WRITER_LAST_ERROR_MAX))

static void reply_failed_errorf(WriterReply *r, bool retryable, const char *format, ...) _printf_(3, 4);
static void reply_failed_errorf(WriterReply *r, bool retryable, const char *format, ...) {
        char msg[1024];
        va_list ap;

        va_start(ap, format);
        vsnprintf(msg, sizeof msg, format, ap);
        va_end(ap);
        /* A writer's long message, cut short: at a character, or it could not go on the bus. */
        utf8_trim_incomplete(msg);
        reply_finish(r, -EIO, retryable, msg);
}

static int on_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        WriterReply *r = userdata;
        WriterBatch *b = r->batch;
        const char *ev = writer_event_name(b->event);
        const sd_bus_error *e;

        r->slot = sd_bus_slot_unref(r->slot);
        b->manager->n_calls_in_flight--;

        e = sd_bus_message_get_error(reply);
        if (!e) {
                if (b->event == STASIS_EVENT_IDENTIFY || b->event == STASIS_EVENT_POST_SNAPSHOT ||
                    b->event == STASIS_EVENT_BACKUP_COMPLETE)
                        r->reply = sd_bus_message_ref(reply);
                reply_finish(r, 0, false, NULL);
        } else if (sd_bus_error_has_name(e, STASIS_ERROR_VETO))
                reply_failed_errorf(r, false, "vetoed %s: %s", ev, WRITER_ECHO(e->message));
        else if (sd_bus_error_has_name(e, STASIS_ERROR_VETO_RETRYABLE))
                reply_failed_errorf(r, true, "vetoed %s: %s (retryable)", ev, WRITER_ECHO(e->message));
        else if (sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY) && now_usec(CLOCK_MONOTONIC) + USEC_PER_MSEC >= b->deadline)
                reply_failed_errorf(r, true, "did not answer %s within %.3g s (retryable)", ev,
                                    (double) (b->deadline - b->started) / USEC_PER_SEC);
        else if (sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY) || sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
                 sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                reply_failed_errorf(r, false, "left the bus during %s", ev);
        else
                reply_failed_errorf(r, false, "failed %s: %s", ev, WRITER_ECHO(e->message));
        manager_writer_calls_pump(b->manager);
        return 0;
}

void writer_reply_channel_answered(WriterReply *r, WriterChannelResult result, const char *message) {
        const char *ev = writer_event_name(r->batch->event);
        Manager *m = r->batch->manager;

        assert(r);
        switch (result) {
        case WRITER_CHANNEL_OK:
                reply_finish(r, 0, false, NULL);
                break;
        case WRITER_CHANNEL_VETO:
                reply_failed_errorf(r, false, "vetoed %s: %s", ev, WRITER_ECHO(message));
                break;
        case WRITER_CHANNEL_VETO_RETRYABLE:
                reply_failed_errorf(r, true, "vetoed %s: %s (retryable)", ev, WRITER_ECHO(message));
                break;
        default:
                reply_failed_errorf(r, false, "failed %s: %s", ev, WRITER_ECHO(message));
                break;
        }
        manager_writer_calls_pump(m);
}

void writer_reply_channel_failed(WriterReply *r, const char *why) {
        Manager *m = r->batch->manager;

        reply_failed_errorf(r, false, "%s during %s", WRITER_ECHO(why), writer_event_name(r->batch->event));
        manager_writer_calls_pump(m);
}

/* The deadline of the calls sent over channels: those not answered fail, as a call on the bus does. */
static int on_channel_deadline(sd_event_source *es, uint64_t usec, void *userdata) {
        WriterBatch *b = userdata;
        Manager *m = b->manager;

        b->channel_timer = sd_event_source_disable_unref(b->channel_timer);
        for (size_t i = 0; i < b->n_sent; i++)
                if (b->replies[i].channel_out)
                        reply_failed_errorf(&b->replies[i], true, "did not answer %s within %.3g s (retryable)",
                                            writer_event_name(b->event), (double) (b->deadline - b->started) / USEC_PER_SEC);
        manager_writer_calls_pump(m);
        return 0;
}

/* Sends r over its writer's channel, with a timer for the batch's deadline. */
static int reply_send_channel(WriterReply *r, usec_t now) {
        WriterBatch *b = r->batch;
        uint64_t window = b->freeze_deadline > now ? b->freeze_deadline - now : 1;
        int k;

        if (!b->channel_timer) {
                k = sd_event_add_time(b->manager->event, &b->channel_timer, CLOCK_MONOTONIC, b->deadline, 0,
                                      on_channel_deadline, b);
                if (k < 0)
                        return k;
        }
        return writer_channel_send(r->writer, r, b->event, b->event == STASIS_EVENT_FREEZE ? window : 0, b->set_id);
}

static int reply_send(WriterReply *r) {
        _cleanup_bus_message_unref_ sd_bus_message *msg = NULL;
        WriterBatch *b = r->batch;
        Manager *m = b->manager;
        Writer *w = r->writer;
        usec_t now = now_usec(CLOCK_MONOTONIC);
        int k;

        r->sent = true;
        if (!w->manager) {
                reply_failed_errorf(r, false, "left the bus before %s", writer_event_name(b->event));
                return 0;
        }
        if (!writer_takes_event(w, b->event)) {
                /* It handles nothing for this event: it has succeeded, without a message. */
                r->skipped = true;
                reply_finish(r, 0, false, NULL);
                return 0;
        }
        if (now >= b->deadline) {
                r->not_called = true;
                reply_failed_errorf(r, true, "was not called: the time for %s had run out (retryable)",
                                    writer_event_name(b->event));
                return 0;
        }
        if (writer_channel_takes(w, b->event)) {
                k = reply_send_channel(r, now);
                if (k < 0)
                        reply_failed_errorf(r, false, "cannot be called over its channel (%s): %s",
                                            writer_event_name(b->event), strerror(-k));
                return k;
        }
        k = sd_bus_message_new_method_call(m->bus, &msg, w->owner, w->path, STASIS_WRITER_INTERFACE,
                                           writer_event_name(b->event));
        if (k >= 0 && b->append)
                k = b->append(msg, b, (size_t) (r - b->replies), b->userdata);
        if (k >= 0)
                k = sd_bus_call_async(m->bus, &r->slot, msg, on_reply, r, MAX(b->deadline - now, USEC_PER_MSEC));
        if (k < 0) {
                reply_failed_errorf(r, false, "cannot be called (%s): %s", writer_event_name(b->event), strerror(-k));
                return k;
        }
        m->n_calls_in_flight++;
        return 0;
}

void manager_writer_calls_pump(Manager *m) {
        assert(m);

        LIST_FOREACH(batches, b, m->batches)
                while (b->n_sent < b->n && m->n_calls_in_flight < WRITER_CALLS_IN_FLIGHT_MAX)
                        (void) reply_send(&b->replies[b->n_sent++]);
}

void writer_batches_writer_gone(Manager *m, Writer *w, const char *why) {
        assert(m);
        assert(w);
        assert(why);

        LIST_FOREACH(batches, b, m->batches)
                for (size_t i = 0; i < b->n_sent; i++)
                        if (b->replies[i].writer == w && !b->replies[i].done)
                                reply_failed_errorf(&b->replies[i], false, "%s during %s", why,
                                                    writer_event_name(b->event));
        manager_writer_calls_pump(m);
}

int writer_batch_start(Manager *m, const WriterBatchSpec *spec, Writer **writers, size_t n, WriterBatch **ret) {
        assert(m);
        assert(spec);
        assert(writers || n == 0);
        assert(spec->owned ? !!ret : true);

        WriterBatch *b = calloc(1, sizeof(WriterBatch));
        int r;

        if (!b || !(b->replies = calloc(MAX(n, 1), sizeof(WriterReply)))) {
                free(b);
                if (spec->args_free)
                        spec->args_free(spec->args);
                return -ENOMEM;
        }
        b->manager = m;
        b->event = spec->event;
        snprintf(b->set_id, sizeof b->set_id, "%s", strempty(spec->set_id));
        b->n = n;
        b->started = now_usec(CLOCK_MONOTONIC);
        b->deadline = b->started + spec->timeout;
        b->append = spec->append;
        b->done = spec->done;
        b->userdata = spec->userdata;
        b->owned = spec->owned;
        b->freeze_deadline = spec->freeze_deadline;
        b->args = spec->args;
        b->args_free = spec->args_free;
        for (size_t i = 0; i < n; i++) {
                b->replies[i].batch = b;
                b->replies[i].writer = writer_ref(writers[i]);
        }
        /* Linked at the tail: calls go out in the order the batches began. */
        LIST_APPEND(batches, m->batches, m->batches_tail, b);

        if (n == 0) {
                r = sd_event_add_defer(m->event, &b->finish, on_finish, b);
                if (r < 0) {
                        writer_batch_free(b);
                        return r;
                }
        }
        manager_writer_calls_pump(m);
        if (ret)
                *ret = b;
        return 0;
}

WriterBatch *writer_batch_free(WriterBatch *b) {
        Manager *m;
        bool cancelled = false;

        if (!b)
                return NULL;
        m = b->manager;
        for (size_t i = 0; i < b->n; i++) {
                WriterReply *r = &b->replies[i];
                if (r->slot) {
                        r->slot = sd_bus_slot_unref(r->slot);
                        m->n_calls_in_flight--;
                        cancelled = true;
                }
                cancelled = cancelled || r->channel_out;
                writer_channel_forget(r);
                writer_unref(r->writer);
                sd_bus_message_unref(r->reply);
                free(r->message);
        }
        free(b->replies);
        if (b->args_free)
                b->args_free(b->args);
        sd_event_source_disable_unref(b->finish);
        sd_event_source_disable_unref(b->channel_timer);
        LIST_REMOVE(batches, m->batches, m->batches_tail, b);
        free(b);
        if (cancelled)
                manager_writer_calls_pump(m);
        return NULL;
}
