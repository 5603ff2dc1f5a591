/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set.h - one snapshot set: its volumes, its state and its life from create to delete */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "provider.h"
#include "stasisd-commit-result.h"
#include "stasisd-commit-runner.h"
#include "stasisd-freeze.h"
#include "stasisd-manager.h"
#include "stasisd-set-phase.h"
#include "list.h"
#include "time-util.h"

/* A failed removal is retried after this (or the commit time limit, if
 * shorter), then twice as long each time, up to the maximum. */
#define SET_REMOVE_RETRY_USEC     (10 * USEC_PER_SEC)
#define SET_REMOVE_RETRY_MAX_USEC (3600 * USEC_PER_SEC)

/* set_create()'s external for the freeze window of stasisd.conf. */
#define SET_EXTERNAL_WINDOW_DEFAULT UINT64_MAX

typedef enum SetState {
        SET_CREATING,   /* recorded, snapshots being taken */
        SET_CREATED,    /* all snapshots exist */
        SET_MISSING,    /* at least one snapshot vanished behind our back */
        SET_DELETING,   /* snapshots being removed */
        SET_INVALID,    /* a snapshot filled up and its provider dropped it: it cannot be read */
        SET_FAILED,     /* an external set whose writers were not thawed in time (stasisd-set-external.c) */
        _SET_STATE_MAX,
        _SET_STATE_INVALID = -1,
} SetState;

const char *set_state_to_string(SetState s);
SetState set_state_from_string(const char *s);

typedef struct SetWriter SetWriter;

/* The end of a step of a set's making (stasisd-set-life.c). */
typedef void (*set_step_done_t)(Set *s);

struct Set {
        Manager *manager;
        LIST_FIELDS(Set, sets);         /* the manager's, oldest first */

        uint64_t id_num;
        char id[24];
        char *object_path;
        usec_t created;         /* CLOCK_REALTIME */
        char *label;
        char *request_id;       /* the requestor's own id of its create (stasisd-request-id.c); NULL if none */
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
        SetPhase phase;         /* what is under way (set_enter() moves it) */
        sd_bus_message *pending;/* the call to answer when the current step ends */
        bool release_requested; /* delete as soon as the current step ends */
        set_step_done_t step_done;      /* called when the step under way ends */
        sd_event_source *retry; /* retries a failed removal */
        usec_t retry_delay;

        /* The hold: file systems frozen around the commit, in freeze order. */
        FreezeTarget *targets;
        size_t n_targets;
        CommitRunner *runner;   /* &runner_mem from the commit's start until its worker is gone */
        CommitRunner runner_mem;
        CommitResult commit;    /* how the commit went */
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
        int level;                      /* the level being frozen or thawed */
        usec_t freeze_window;
        usec_t freeze_started, freeze_deadline; /* CLOCK_MONOTONIC */
        usec_t turn_started;            /* its turn came (CLOCK_MONOTONIC) */
        usec_t window_usec;             /* from its turn to the last Thaw answered */

        /* The writer components it holds, and whether the backup was reported. */
        SetComponent *components;
        size_t n_components;
        usec_t completed;
        bool was_created;       /* recorded created once: its writers hear when it goes */
        char **excluded_writers;        /* WRITER[@INSTANCE] its requestor left out; never NULL */

        /* The writers' backup metadata, from their answers until it is recorded (stasisd-set-metadata.c). */
        struct SetMetadata *metadata;
        size_t n_metadata;
        size_t metadata_recorded;       /* entries in the catalog: none, and the listing needs no catalog read */

        /* What it shows on the bus (stasisd-set-export.c). */
        size_t export_size;             /* its share of the manager's sets_export_bytes */
        size_t components_shown;        /* Components shows the first ones (SIZE_MAX: all) */
        bool export_hidden;             /* left out of GetManagedObjects */

        struct SetView *view;           /* where it is mounted, if it is (stasisd-set-views.c) */
        /* The views OpenView handed out, by holder (stasisd-set-open-views.c). */
        struct SetOpenView **open_views;
        size_t n_open_view_holders;
        unsigned n_open_views;
        bool release_after_views;       /* its requestor left: released when the others' views are closed */

        /* What happened to it after it was made (stasisd-set-events.c). */
        struct SetEvent *events;
        size_t n_events;
        /* An external set (stasisd-set-external.c): someone else takes the snapshots. */
        bool external;
        usec_t external_window;         /* the freeze window the requestor asked for (0: stasisd's) */
        usec_t external_answer_by;      /* Freeze ends by then, answered or not (CLOCK_MONOTONIC; 0: no limit) */
        sd_event_source *external_timer;        /* the end of the freeze window */
        char *external_failed;          /* the window passed before the thaw: why */
        sd_bus_message *external_thaw;  /* a ThawExternal that came before the writers froze */
        /* Retention (stasisd-retention.c). */
        usec_t expires;                 /* CLOCK_REALTIME; 0: never */
        char *policy;                   /* the policy that made it; NULL if none */
        struct RetentionRun *retention_run;     /* a Cleanup waiting for its removal */
};

/* What a create asks besides its volumes and writers (each may be 0 or NULL). */
typedef struct SetCreateExtras {
        char **excluded;        /* writers left out (WRITER[@INSTANCE]), recorded with the set */
        usec_t external;        /* not 0: an external set with that freeze window
                                 * (SET_EXTERNAL_WINDOW_DEFAULT: stasisd's), whose snapshots
                                 * someone else takes (stasisd-set-external.c) */
        usec_t expire_after;    /* the set expires that long after it is made (stasisd-retention.c) */
        const char *policy;     /* the policy that makes it */
} SetCreateExtras;

/* Creates a set for volumes (taking them over) and starts taking the
 * snapshots; the reply to msg is sent when done. extras may be NULL. */
int set_create(Manager *m, sd_bus_message *msg, StasisVolume *volumes, size_t n_volumes,
               const char *label, const char *request_id, bool persistent, uid_t owner_uid,
               struct SetWriter *writers, size_t n_writers, bool require_writers,
               const SetCreateExtras *extras, sd_bus_error *error);

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

/* Shared by stasisd-set.c and stasisd-set-commit.c. */
void set_set_error(Set *s, const char *msg);
void set_record_state(Set *s, SetState state, const char *consistency);
/* Records the set created, with its consistency, hold time and components. */
int set_record_created(Set *s, const char *consistency);
void set_change_state(Set *s, SetState state, const char *consistency);
/* Moves the set to phase to; a move the table does not allow is a bug. */
void set_enter(Set *s, SetPhase to);
void set_remove(Set *s);                /* drops the set: catalog, bus, memory */
void set_reply_error(Set *s, const char *name, const char *what, const char *detail);
