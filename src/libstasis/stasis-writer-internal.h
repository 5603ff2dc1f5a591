/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-writer-internal.h - the StasisWriter and StasisEvent objects, shared by the files of the writer API */
#pragma once

#include <stdbool.h>
#include <stdlib.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "backup-metadata.h"
#include "macro.h"
#include "stasis-client.h"
#include "stasis/stasis.h"
#include "time-util.h"
#include "writer-metadata.h"

/* Entries of the arrays stasisd sends with an event; more is a malformed call. */
#define WRITER_EVENT_ITEMS_MAX 4096

/* Sets prepared at once whose component paths are kept until PostSnapshot. */
#define WRITER_PATHS_SETS_MAX 16

/* Where one component path is: in the snapshot at index of PostSnapshot's list, at in_snapshot. */
typedef struct PathSnapshot {
        char *path;
        uint32_t index;
        char *in_snapshot;
} PathSnapshot;

typedef struct PathSnapshots {
        char *set_id;
        PathSnapshot *items;
        size_t n;
} PathSnapshots;

typedef struct WriterHandler {
        stasis_writer_handler_t handler;
        void *userdata;
} WriterHandler;

struct StasisWriter {
        unsigned n_ref;

        WriterMetadata *meta;           /* components may be empty until the writer starts */
        char *metadata_json;            /* cache of the JSON of meta; NULL when stale */
        WriterHandler handlers[_STASIS_EVENT_MAX];

        /* Its event is the writer's own loop; its outer, the caller's loop,
         * runs ours when our fd is readable. */
        Client client;
        sd_event_source *outer_source;

        /* The phase, moved by writer_enter() only; the application hears
         * of each change through state_handler. */
        StasisWriterState state;
        stasis_writer_state_handler_t state_handler;
        void *state_userdata;

        sd_bus_slot *vtable_slot;
        sd_bus_slot *owner_match_slot;
        sd_bus_slot *owner_query_slot;  /* GetNameOwner in flight, after connecting again */
        sd_bus_slot *register_slot;     /* a RegisterWriter call in flight */
        sd_bus_slot *announce_slot;     /* an UpdateWriterMetadata call in flight */
        bool announce_refused;          /* stasisd refused the last update: it asks Identify */
        sd_bus_slot *disconnect_slot;
        /* The direct channel stasisd gave (Freeze and Thaw come over it), -1 if none. */
        sd_bus_slot *channel_slot;      /* OpenWriterChannel in flight */
        int channel_fd;
        sd_event_source *channel_source;
        unsigned channel_generation;    /* one more for each channel taken */
        char *coordinator;              /* unique name owning org.stasis1, NULL if none */

        /* Connecting again after the bus connection was lost: the timer of
         * the next attempt and the delay after the one after it. */
        sd_event_source *reconnect_timer;
        usec_t reconnect_delay_usec;

        /* The freeze: the set the writer is frozen for, and the timer that
         * thaws it when the window passes. */
        char *frozen_set;
        usec_t freeze_window_usec;      /* as the timer was armed: the window, at most freeze_timeout */
        sd_event_source *thaw_timer;
        /* The last set the library thawed by itself, and why: its Thaw is
         * answered with org.stasis1.Error.Timeout. */
        char *auto_thawed_set;
        char *auto_thaw_reason;

        /* From PrepareSnapshot to PostSnapshot: where the component paths are, per set. */
        PathSnapshots *paths[WRITER_PATHS_SETS_MAX];
        size_t n_paths;
};

typedef struct SnapshotPair {
        char *source;
        char *snapshot;
} SnapshotPair;

struct StasisEvent {
        unsigned n_ref;
        StasisWriter *writer;           /* a reference */
        StasisWriterEvent type;
        sd_bus_message *message;        /* the call to answer; NULL for events the library raises */
        uint32_t channel_seq;           /* or the call over the channel to answer, 0 if none, */
        unsigned channel_generation;    /* on that channel: an answer goes on no other */
        bool answered;

        char *set_id;
        char **components;              /* never NULL */
        int *succeeded;                 /* BackupComplete: one per component; PostRestore: one */
        int crash_atomic;               /* -ENODATA unless PrepareSnapshot */
        uint64_t window_usec;
        bool auto_thaw;
        char *reason;
        SnapshotPair *snapshots;
        size_t n_snapshots;
        PathSnapshots *paths;           /* PostSnapshot: where the component paths are; NULL if not told */

        BackupMetadataList metadata;    /* PostSnapshot, BackupComplete: sent with the answer */

        bool vetoed;
        bool veto_retryable;
        char *veto_reason;
};

/* stasis-writer.c */
#define writer_set_error(w, r, ...) client_fail(&(w)->client, r, __VA_ARGS__)
/* The metadata JSON, built again if stale; -EINVAL (message in last_error) if not valid. */
int writer_build_metadata(StasisWriter *w, const char **ret);

/* Moves w to state, and tells the application (reason may be NULL) if it
 * changed, unless to STOPPED (which only its own calls bring). The one
 * place the state changes. */
void writer_enter(StasisWriter *w, StasisWriterState state, const char *reason);

/* stasis-writer-bus.c: the connection, losing it and connecting again */
/* Back-off between attempts to connect again: the first after 100 ms, each
 * next one twice as long after the last, at most 5 s apart. */
#define WRITER_RECONNECT_FIRST_USEC (100 * USEC_PER_MSEC)
#define WRITER_RECONNECT_MAX_USEC (5 * USEC_PER_SEC)
/* Connects, exports the object and registers if stasisd is there
 * (synchronously: stasis_writer_start()). */
int writer_connect(StasisWriter *w);
/* Unregisters, closes the connection, stops connecting again. */
void writer_disconnect(StasisWriter *w);

/* stasis-writer-register.c: who owns org.stasis1, and registering with it */
/* The match for NameOwnerChanged of org.stasis1; async: no round trip. */
int writer_watch_owner(StasisWriter *w, bool async);
/* Asks the bus who owns org.stasis1 and registers with it: at start,
 * waiting for the answers (a refusal is the caller's error); after
 * connecting again, without waiting. */
int writer_find_coordinator_sync(StasisWriter *w);
int writer_find_coordinator_async(StasisWriter *w);
/* The owner went away (and the bus with it): not registered; thaws. */
void writer_forget_coordinator(StasisWriter *w, const char *reason);
/* Best effort, without waiting for the answer. */
void writer_unregister(StasisWriter *w);

/* stasis-writer-announce.c: Manager.UpdateWriterMetadata, the metadata and
 * the events the writer takes; once registered, and after each change. */
int writer_announce(StasisWriter *w);           /* without waiting for the answer */
int writer_announce_sync(StasisWriter *w);      /* at start; a refusal is only recorded */

/* stasis-writer-events.c: the org.stasis1.Writer object and the freeze state */
extern const sd_bus_vtable writer_vtable[];
/* Called when the owner of org.stasis1 leaves, or the bus: thaws at once if frozen. */
void writer_coordinator_gone(StasisWriter *w, const char *reason);
void writer_freeze_state_clear(StasisWriter *w);
/* Called when a Freeze for set is answered with an error: not frozen then. */
void writer_freeze_failed(StasisWriter *w, const char *set);

/* The checked Freeze (with its window) and Thaw, from the bus (m) or the channel (m NULL,
 * e->channel_seq set): as an sd-bus method handler returns. */
int writer_dispatch_freeze(StasisEvent *e, sd_bus_message *m, uint64_t window, sd_bus_error *error);
int writer_dispatch_thaw(StasisEvent *e, sd_bus_message *m, sd_bus_error *error);

/* stasis-writer-channel.c: Freeze and Thaw past dbus-daemon */
/* Asks stasisd for the channel, once registered (without waiting); a stasisd without it: none. */
int writer_channel_open(StasisWriter *w);
int writer_channel_open_sync(StasisWriter *w);
/* Closes it (stasisd fails what it sent on it). */
void writer_channel_close(StasisWriter *w);
/* Answers e, which came over the channel. */
int writer_channel_answer(StasisEvent *e, int error);

/* stasis-event-paths.c */
void path_snapshots_free(PathSnapshots *p);
/* Reads option "paths" (positioned at its variant) of PrepareSnapshot for set, and keeps it. */
int writer_read_paths(StasisWriter *w, const char *set, sd_bus_message *m);
/* The paths kept for set, taken out (NULL if none). */
PathSnapshots *writer_take_paths(StasisWriter *w, const char *set);
void writer_paths_clear(StasisWriter *w);

/* stasis-event-metadata.c */
/* Appends e's backup metadata to its answer: a(sss) values, a(ssayu) files. */
int event_append_metadata(StasisEvent *e, sd_bus_message *reply);

/* stasis-event.c */
int event_new(StasisWriter *w, StasisWriterEvent type, StasisEvent **ret);
/* Calls the handler for e, which answers message (NULL for an event the
 * library raises itself) unless the handler goes asynchronous. Returns 1,
 * as an sd-bus method handler that has answered. */
int event_dispatch(StasisEvent *e, sd_bus_message *message);
static inline void stasis_event_unrefp(StasisEvent **e) {
        stasis_event_unref(*e);
}
#define _cleanup_event_unref_ __attribute__((cleanup(stasis_event_unrefp)))

static inline void stasis_writer_unrefp(StasisWriter **w) {
        stasis_writer_unref(*w);
}
