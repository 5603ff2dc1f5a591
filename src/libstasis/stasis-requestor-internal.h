/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-requestor-internal.h - the StasisRequestor, StasisSet and StasisErrorInfo objects, shared by the files of the requestor API */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "stasis-client.h"
#include "stasis/stasis.h"

/* The most volumes and components one set's reply is read with; a set has
 * at most 64 volumes, so more is a malformed reply. */
#define SET_ITEMS_MAX 4096

struct StasisRequestor {
        unsigned n_ref;
        Client client;                  /* in the caller's loop, its event is the caller's */
        uint64_t timeout_usec;          /* method calls */
        /* In the library's own loop: made readable after a synchronous call
         * that left messages queued, which the loop's fd would not tell of. */
        int kick_fd;
        sd_event_source *kick_source;

        /* Watching sets: the handler, and who owns org.stasis1. */
        stasis_set_handler_t set_handler;
        void *set_userdata;
        sd_bus_slot *owner_slot;
        sd_bus_slot *signal_slots[3];
        char *owner;                    /* unique name of stasisd; NULL if none known */
        char *stasisd;                  /* the unique name that last answered a call; NULL: none yet */
};

struct StasisSetRequest {
        unsigned n_ref;
        char **paths;                   /* never NULL */
        char **components;              /* never NULL */
        char **exclude_writers;         /* NULL: none */
        char *label;                    /* NULL: none */
        char *request_id;               /* NULL: none */
        bool persistent;
        bool require_writers;
        uint64_t expire_after;          /* ExpireAfterUSec; 0: none */
};

typedef struct SetVolume {
        char *fields[8];        /* path, mount point, device, fstype, provider, source, snapshot, state */
} SetVolume;

typedef struct SetComponent {
        char *fields[5];        /* writer, instance, component, consistency, reason */
} SetComponent;

struct StasisSet {
        unsigned n_ref;
        char *id;
        char *object_path;
        char *label;
        char *state;
        char *consistency;
        char *error;
        char *mounted_at;               /* NULL: not known (a summary, an older stasisd) */
        uint32_t open_views;            /* OpenViews; 0 if not known */
        bool persistent;
        uint32_t owner;
        uint64_t created, completed, hold, window;
        SetVolume *volumes;
        size_t n_volumes;
        SetComponent *components;
        size_t n_components;
        uint64_t *event_at;             /* Events: when (CLOCK_REALTIME, usec) and what, oldest first */
        char **event_text;
        size_t n_events;
        char **excluded_writers;        /* NULL: none (or not known) */
        uint64_t expires;               /* ExpiresAt; 0: none */
        char *policy;                   /* Policy; NULL: none or not known */
        bool summary;                   /* from ListSets: only the summary's fields are known */
        size_t n_volumes_listed;        /* with summary: how many volumes ListSets counted */
};

/* stasis-retention.c: ListExpiries' answer (call, made with ListSets) into
 * the summaries list (n of them). */
struct BatchCall;
int requestor_read_expiries(StasisRequestor *r, struct BatchCall *call, StasisSet **list, size_t n);

/* stasis-requestor.c */
/* Records a failure in r's last error; returns error. */
#define requestor_fail(r, error, ...) client_fail(&(r)->client, error, __VA_ARGS__)
#define requestor_fail_bus(r, error, e) client_fail_bus(&(r)->client, error, e)
/* Connects if not connected yet; clears the last error. -EINVAL if r is NULL. */
int requestor_begin(StasisRequestor *r);
/* Without the caller's loop: makes the library's own and attaches the bus
 * to it, if not done yet. Needed before anything is dispatched: answers
 * of asynchronous calls, signals. */
int requestor_own_loop(StasisRequestor *r);
/* After a synchronous call in the library's own loop: makes the loop's fd
 * readable if the bus read messages meanwhile. */
void requestor_kick(StasisRequestor *r);
/* A method call on stasisd with r's timeout; failures recorded in r. */
int requestor_call(StasisRequestor *r, sd_bus_message *m, sd_bus_message **ret_reply);
/* Records in info the failure q (with e, as sd-bus gave it) of a call
 * sent at started (CLOCK_MONOTONIC) with a time-out: a call that got no
 * answer is STASIS_ERR_DISCONNECTED (-ECONNRESET) if stasisd left or the
 * connection closed, STASIS_ERR_NO_ANSWER (-ETIMEDOUT) if stasisd is still
 * there; any other failure as it is. Returns the negative errno. */
int requestor_fail_call(StasisRequestor *r, StasisErrorInfo *info, int q, const sd_bus_error *e, uint64_t started,
                        uint64_t timeout);
/* Notes who sent an answer of stasisd. */
void requestor_note_answer(StasisRequestor *r, sd_bus_message *reply);

/* stasis-requestor-batch.c */
#define BATCH_CALLS_MAX 8
typedef struct BatchCall {
        sd_bus_message *call;           /* set by the caller */
        sd_bus_message *reply;          /* the answer, if not an error */
        sd_bus_error error;
        int result;                     /* 0, or the call's failure */
        uint64_t started;               /* CLOCK_MONOTONIC, when sent */
        bool done;
        bool unconnected;               /* failed before the bus answered Hello */
} BatchCall;
/* Makes the n (at most BATCH_CALLS_MAX) calls, each with r's timeout, and
 * waits for all their answers; records no failure in r. */
void requestor_call_batch(StasisRequestor *r, BatchCall *calls, size_t n);
/* 0 if c was answered; otherwise records its failure in r, as
 * requestor_call() does, and returns it. */
int batch_call_result(StasisRequestor *r, BatchCall *c);
/* Frees the calls, answers and errors of n calls. */
void batch_calls_done(BatchCall *calls, size_t n);

/* stasis-requestor-calls.c */
/* Calls member(id) on the manager; ret_reply may be NULL. */
int requestor_call_id(StasisRequestor *r, const char *member, const char *id, sd_bus_message **ret_reply);
/* Appends to an a{sv} being built in m the entry key of type "as" with
 * values; nothing if values is empty. */
int requestor_append_strv_option(sd_bus_message *m, const char *key, char **values);

/* stasis-set-metadata.c: the list of a BackupMetadata answer; failures recorded in r. */
int metadata_list_from_reply(StasisRequestor *r, sd_bus_message *reply, StasisMetadataList **ret);

/* stasis-set.c */
/* id could name a set's object: letters, digits and '_' (stasisd's ids
 * are decimal numbers; it answers NoSuchSet for the others). */
bool set_id_valid(const char *id);
/* id is a decimal number, as stasisd gives out: its object path is known. */
bool set_id_is_number(const char *id);
/* A set with the id and object path of path; -EINVAL if path is not a set's. */
int set_new(const char *path, StasisSet **ret);
/* Reads the a{sv} of org.stasis1.Set properties m points at into s. */
int set_read_properties(StasisSet *s, sd_bus_message *m);
/* Reads one object as GetManagedObjects and InterfacesAdded give it,
 * o a{sa{sv}}: *ret is the set, or NULL if the object is not one. */
int set_read_object(sd_bus_message *m, StasisSet **ret);

/* stasis-requestor-watch.c */
void requestor_watch_stop(StasisRequestor *r);

static inline void stasis_set_unrefp(StasisSet **s) {
        stasis_set_unref(*s);
}
#define _cleanup_set_unref_ __attribute__((cleanup(stasis_set_unrefp)))
