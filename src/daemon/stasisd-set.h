/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set.h - one snapshot set: its volumes, its state and its life from create to delete */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "provider.h"
#include "stasisd-freeze.h"
#include "stasisd-manager.h"
#include "stasisd-writer.h"
#include "time-util.h"

/* A failed removal is retried after this (or the commit time limit, if
 * shorter), then twice as long each time, up to the maximum. */
#define SET_REMOVE_RETRY_USEC     (10 * USEC_PER_SEC)
#define SET_REMOVE_RETRY_MAX_USEC (3600 * USEC_PER_SEC)

/* How long past the hold time limit the daemon waits for the worker to thaw
 * before it kills the worker and thaws by itself. */
#define HOLD_WATCHDOG_GRACE_USEC (500 * USEC_PER_MSEC)

typedef enum SetState {
        SET_CREATING,   /* recorded, snapshots being taken */
        SET_CREATED,    /* all snapshots exist */
        SET_MISSING,    /* at least one snapshot vanished behind our back */
        SET_DELETING,   /* snapshots being removed */
        _SET_STATE_MAX,
        _SET_STATE_INVALID = -1,
} SetState;

const char *set_state_to_string(SetState s);
SetState set_state_from_string(const char *s);

/* A writer taking part in a set (stasisd-set-writers.c). */
typedef struct SetWriter {
        Writer *writer;                 /* a reference */
        char **components;              /* its components in the set */
        size_t *volumes;                /* indexes of the set's volumes they are on */
        size_t n_volumes;
        bool prepared;                  /* it got PrepareBackup */
        bool frozen;                    /* Freeze succeeded and no Thaw yet */
        bool aborted;
        bool failed;                    /* no more events for it but Abort */
        bool retryable;
        char *error;                    /* why it failed */
} SetWriter;

struct Set {
        Manager *manager;
        LIST_FIELDS(Set, sets);         /* the manager's, oldest first */

        uint64_t id_num;
        char id[24];
        char *object_path;
        usec_t created;         /* CLOCK_REALTIME */
        char *label;
        bool persistent;
        uid_t owner_uid;
        SetState state;
        char *consistency;      /* "crash-atomic", "per-volume" (or "application", with writers) */
        char *error;            /* the last failure, for people */

        StasisVolume *volumes;
        size_t n_volumes;

        char *requestor;        /* its unique bus name */
        bool auto_release;      /* released when the requestor leaves the bus */
        sd_bus_slot *requestor_check;   /* is the requestor still there (GetNameOwner)? */
        bool busy;              /* a worker is taking or removing the snapshots */
        sd_bus_message *pending;/* the call to answer when the current step ends */
        bool release_requested; /* delete as soon as the current step ends */
        sd_event_source *retry; /* retries a failed removal */
        usec_t retry_delay;

        /* The hold: file systems frozen around the commit, in freeze order. */
        FreezeTarget *targets;
        size_t n_targets;
        int *target_fds;        /* the daemon's own, to thaw if the worker cannot */
        sd_event_source *hold_watchdog;
        bool hold_overrun;      /* the watchdog fired */
        bool thaw_on_exit;      /* the worker did not end its hold itself: thaw once it is gone */
        pid_t worker_pid;
        struct Worker *commit_worker;   /* until the commit worker has exited */
        bool commit_reported;   /* its result, kept until it has exited */
        int commit_status;
        void *commit_data;
        size_t commit_size;
        usec_t hold_usec;       /* how long the file systems were held */
        LIST_FIELDS(Set, queue);        /* waiting for its turn to commit */

        /* Writers taking part (stasisd-set-writers.c), while it is made. */
        SetWriter *writers;
        size_t n_writers;
        bool require_writers;
        WriterBatch *batch;             /* the event being sent */
        size_t *batch_map;              /* its replies' index into writers */
        char *writers_failed;           /* a required writer failed: why */
        bool writers_retryable;
        int commit_start_error;         /* the commit could not even start */
        bool commit_skipped;            /* writers failed it before it began */
        bool committed;                 /* the commit ran; commit_failed says how it went */
        char *commit_failed;            /* why it failed; NULL if it succeeded */
        int level;                      /* the level being frozen or thawed */
        usec_t freeze_window;
        usec_t freeze_started, freeze_deadline; /* CLOCK_MONOTONIC */
        usec_t turn_started;            /* its turn came (CLOCK_MONOTONIC) */
        usec_t window_usec;             /* from its turn to the last Thaw answered */
        bool fail_after_hold;           /* fail once another set's hold ends */
        int commit_result;              /* the commit's outcome, while writers thaw */
        void *result_data;
        size_t result_size;

        /* The writer components it holds, and whether the backup was reported. */
        SetComponent *components;
        size_t n_components;
        usec_t completed;

        /* What it shows on the bus (stasisd-set-export.c). */
        size_t export_size;             /* its share of the manager's sets_export_bytes */
        size_t components_shown;        /* Components shows the first ones (SIZE_MAX: all) */
        bool export_hidden;             /* left out of GetManagedObjects */
};

/* Creates a set for volumes (taking them over) and starts taking the
 * snapshots; the reply to msg is sent when done. */
int set_create(Manager *m, sd_bus_message *msg, StasisVolume *volumes, size_t n_volumes,
               const char *label, bool persistent, uid_t owner_uid,
               struct SetWriter *writers, size_t n_writers, bool require_writers, sd_bus_error *error);

/* Starts deleting; msg (may be NULL) is answered when done. */
int set_delete(Set *s, sd_bus_message *msg, sd_bus_error *error);
/* The client with unique bus name requestor left: its auto-release sets go. */
void manager_sets_requestor_gone(Manager *m, const char *requestor);

/* Makes a Set from a catalog record at start-up (taking over its volumes). */
int set_load(Manager *m, CatalogSet *cs, Set **ret);

/* At start-up: finish what a previous run left half done, release sets whose
 * requestor is gone, mark vanished snapshots missing. */
void set_reconcile(Set *s);

Set *set_free(Set *s);

/* stasisd-set-commit.c: taking the snapshots */
void set_queue_commit(Set *s);          /* busy until done; replies to s->pending */
void set_commit_release(Set *s);        /* for set_free() */
/* Starts the next queued commit, if none is running. */
void manager_commit_next(Manager *m);

/* Shared by stasisd-set.c and stasisd-set-commit.c. */
void set_set_error(Set *s, const char *msg);
void set_record_state(Set *s, SetState state, const char *consistency);
/* Records the set created, with its consistency, hold time and components. */
int set_record_created(Set *s, const char *consistency);
void set_change_state(Set *s, SetState state, const char *consistency);
void set_remove(Set *s);                /* drops the set: catalog, bus, memory */
void set_reply_error(Set *s, const char *name, const char *what, const char *detail);
/* The index of the first failed volume in a worker's answer, -1 if all went
 * well, -2 if the worker failed, -3 if the hold overran; msg says why. */
ssize_t check_results(Set *s, int status, const void *data, size_t size, const char *what,
                      char *msg, size_t msg_size);


/* Starts a CreateSet with writers: Identify, resolve, create, prepare. */
int create_request_start(Manager *m, sd_bus_message *msg, char **paths, char **selectors, const char *label,
                         bool persistent, bool require_writers, uid_t uid, sd_bus_error *error);
void create_requests_free(Manager *m);
/* After the set is recorded: PrepareBackup, PrepareSnapshot, then its turn. */
int set_writers_prepare(Set *s);
/* The set's turn has come: freeze its writers, then commit. */
int set_writers_freeze(Set *s);
/* The commit is over (the hold too): thaw the writers, then finish. */
void set_writers_after_commit(Set *s, int status, const void *data, size_t size);
/* Another set's hold ended: carry out what had to wait for it. */
void set_writers_hold_ended(Set *s);
void set_writer_gone(Set *s, Writer *w, const char *why);
/* The set failed after all: Abort to every writer prepared and not aborted yet. */
void set_writers_abort_all(Set *s, const char *reason);
void set_writers_release(Set *s);       /* for set_free() */
void set_writers_free(SetWriter *sw, size_t n);
/* Set.Complete: BackupComplete to the writers. */
int set_complete(Set *s, sd_bus_message *msg, char **failed, sd_bus_error *error);

/* stasisd-set-commit.c, for stasisd-set-writers.c */
int set_start_commit(Set *s);
void set_commit_failed_to_start(Set *s, int r);
/* The end of making a set: the slot is free again; the result is recorded
 * and answered (a failed commit cleans up). */
void set_commit_finished(Set *s, int status, const void *data, size_t size);
const char *set_consistency(const Set *s);

/* stasisd-set-bus.c */
extern const sd_bus_vtable set_vtable[];
int set_bus_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                 void **found, sd_bus_error *error);
int set_bus_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error);
void set_bus_emit_changed(Set *s);
int set_bus_append_volumes(sd_bus_message *reply, Set *s);
