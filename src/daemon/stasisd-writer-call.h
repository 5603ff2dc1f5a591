/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-writer-call.h - calling one event on many writers at once, with a deadline and a window of calls in flight */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "list.h"
#include "stasisd-manager.h"
#include "stasisd-writer.h"
#include "time-util.h"
#include "writer-channel.h"
#include "writer-event.h"

/* Calls to writers waiting for an answer at once: the system bus lets a
 * connection have 128 (max_replies_per_connection). */
#define WRITER_CALLS_IN_FLIGHT_MAX           96

typedef struct WriterBatch WriterBatch;

struct WriterReply {
        WriterBatch *batch;
        Writer *writer;                 /* a reference */
        sd_bus_slot *slot;              /* while the call is out */
        bool sent, done;
        bool not_called;                /* its time ran out before the call went out */
        bool skipped;                   /* not sent: the writer does not take the event (succeeded) */
        int error;                      /* 0, or <0 when it failed */
        bool retryable;                 /* a retryable veto, or a time-out */
        char *message;                  /* why it failed, for people */
        sd_bus_message *reply;          /* Identify, PostSnapshot, BackupComplete: the answer (NULL if skipped) */
        usec_t done_usec;               /* CLOCK_MONOTONIC */
        /* Sent over the writer's channel instead of the bus: the call's number, and its
         * place in the writer's channel_calls while out. */
        uint32_t channel_seq;
        bool channel_out;
        LIST_FIELDS(WriterReply, channel_calls);
};

/* Appends the event's arguments for writer index i. */
typedef int (*writer_batch_append_t)(sd_bus_message *m, WriterBatch *b, size_t i, void *userdata);
/* All writers answered, failed or ran out of time. Called from the event
 * loop, never from within writer_batch_start(). */
typedef void (*writer_batch_done_t)(WriterBatch *b, void *userdata);

struct WriterBatch {
        Manager *manager;
        LIST_FIELDS(WriterBatch, batches);
        StasisWriterEvent event;
        char set_id[24];
        WriterReply *replies;
        size_t n, n_sent, n_done;
        usec_t deadline;                /* CLOCK_MONOTONIC */
        usec_t started;
        writer_batch_append_t append;
        writer_batch_done_t done;
        void *userdata;
        sd_event_source *finish;        /* calls done */
        sd_event_source *channel_timer; /* the deadline of the calls sent over channels */
        usec_t freeze_deadline;         /* Freeze: the end of the freeze window, sent with it */
        bool owned;                     /* freed by its owner, else after done */
        void *args;                     /* the event's arguments, for batches that outlive their set */
        void (*args_free)(void *args);
};

/* What to send, and what to do once every writer has answered. */
typedef struct WriterBatchSpec {
        StasisWriterEvent event;
        const char *set_id;             /* NULL for Identify */
        usec_t timeout;                 /* for all the calls, from now */
        writer_batch_append_t append;   /* NULL: no arguments */
        writer_batch_done_t done;       /* may be NULL */
        void *userdata;
        bool owned;                     /* false: the batch frees itself after done */
        usec_t freeze_deadline;         /* Freeze: the end of the set's freeze window (CLOCK_MONOTONIC) */
        void *args;                     /* taken over; freed with the batch */
        void (*args_free)(void *args);
} WriterBatchSpec;

/* Calls the event on each of writers (taking references), in parallel but
 * at most WRITER_CALLS_IN_FLIGHT_MAX at once. */
int writer_batch_start(Manager *m, const WriterBatchSpec *spec, Writer **writers, size_t n, WriterBatch **ret);
WriterBatch *writer_batch_free(WriterBatch *b);
static inline void writer_batch_freep(WriterBatch **b) {
        writer_batch_free(*b);
}
/* Sends more calls if the window has room: after any call ended. */
void manager_writer_calls_pump(Manager *m);
/* The writer answered the call r over its channel (r is out of its channel_calls already). */
void writer_reply_channel_answered(WriterReply *r, WriterChannelResult result, const char *message);
/* The call r cannot be answered over its channel any more: why names it. */
void writer_reply_channel_failed(WriterReply *r, const char *why);
/* w left: its calls in every batch fail at once. */
void writer_batches_writer_gone(Manager *m, Writer *w, const char *why);
