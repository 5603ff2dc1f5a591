/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-writer.h - registered writers, and calling many of them at once with deadlines */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "stasisd-manager.h"
#include "time-util.h"
#include "writer-event.h"
#include "writer-metadata.h"

#define MANAGER_WRITERS_MAX                4096
#define MANAGER_WRITERS_PER_CONNECTION_MAX 1024
/* All registered writers' metadata together (canonical JSON), so that no
 * reply about writers comes near the bus's 32 MiB message limit. */
#define MANAGER_WRITERS_METADATA_TOTAL_MAX (16U * 1024U * 1024U)
/* The last error kept per writer, for ListWriters. */
#define WRITER_LAST_ERROR_MAX               512
/* Calls to writers waiting for an answer at once: the system bus lets a
 * connection have 128 (max_replies_per_connection). */
#define WRITER_CALLS_IN_FLIGHT_MAX           96


typedef enum WriterState {
        WRITER_STABLE,
        WRITER_WAITING_FOR_FREEZE,
        WRITER_FROZEN,
        WRITER_WAITING_FOR_POST_SNAPSHOT,
        WRITER_WAITING_FOR_BACKUP_COMPLETE,
        WRITER_FAILED,                  /* at failed_at */
        _WRITER_STATE_MAX,
} WriterState;


typedef struct Writer Writer;
struct Writer {
        unsigned n_ref;
        Manager *manager;               /* NULL once unregistered or gone */
        LIST_FIELDS(Writer, writers);

        char *owner;                    /* unique bus name */
        char *path;                     /* its object */
        pid_t pid;
        uid_t uid;
        WriterMetadata *meta;           /* as of the last Identify */
        char *meta_json;                /* canonical */
        char *display;                  /* "name" or "name@instance" */

        WriterState state;
        StasisWriterEvent failed_at;
        char *last_error;
        char last_set[24];
};

Writer *writer_ref(Writer *w);
Writer *writer_unref(Writer *w);
/* The state as ListWriters shows it: "stable", "failed-at-freeze", ... */
const char *writer_state_string(const Writer *w, char *buf, size_t size);
/* Replaces the metadata; -EINVAL (message in err) if it names another writer. */
int writer_update_metadata(Writer *w, WriterMetadata *meta, char *err, size_t err_size);
/* A failure stasisd found itself (not an answer), for ListWriters. */
void writer_mark_failed(Writer *w, StasisWriterEvent event, const char *message);
Writer *manager_find_writer(Manager *m, const char *name, const char *instance);

/* The unique bus name owner left the bus: its writers are gone. */
void manager_writers_owner_gone(Manager *m, const char *owner);
void manager_writers_free(Manager *m);

/* stasisd-manager-bus.c calls these for RegisterWriter, UnregisterWriter, ListWriters. */
int method_register_writer(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_unregister_writer(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_list_writers(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_get_writer_metadata(sd_bus_message *msg, void *userdata, sd_bus_error *error);

/* ---- Calling writers: one event to many writers, in parallel ---- */

typedef struct WriterBatch WriterBatch;

typedef struct WriterReply {
        WriterBatch *batch;
        Writer *writer;                 /* a reference */
        sd_bus_slot *slot;              /* while the call is out */
        bool sent, done;
        bool not_called;                /* its time ran out before the call went out */
        int error;                      /* 0, or <0 when it failed */
        bool retryable;                 /* a retryable veto, or a time-out */
        char *message;                  /* why it failed, for people */
        sd_bus_message *reply;          /* Identify: the answer */
        usec_t done_usec;               /* CLOCK_MONOTONIC */
} WriterReply;

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
/* w left: its calls in every batch fail at once. */
void writer_batches_writer_gone(Manager *m, Writer *w, const char *why);
