/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-manager.h - the coordinator: bus, event loop, catalog and the sets it keeps */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "list.h"
#include "mountinfo.h"
#include "stasisd-callers.h"
#include "stasisd-catalog.h"
#include "stasisd-spare.h"
#include "time-util.h"

/* Limits on what clients can make the daemon allocate. */
#define MANAGER_SETS_MAX              4096
#define MANAGER_SETS_PER_CLIENT_MAX     64     /* auto-release sets per bus connection */
#define MANAGER_PATHS_PER_REQUEST_MAX  256
#define MANAGER_VOLUMES_PER_SET_MAX     64
#define MANAGER_LABEL_MAX              256
#define MANAGER_DEFERRED_MAX          1024     /* calls put off during a hold */
#define MANAGER_EXPIRE_AFTER_MAX      (UINT64_C(3155760000) * USEC_PER_SEC)     /* 100 years */

/* Defaults of the time limits (stasisd(8) documents them; --help shows them). */
#define MANAGER_COMMIT_TIMEOUT_DEFAULT   (60 * USEC_PER_SEC)
#define MANAGER_HOLD_TIMEOUT_DEFAULT     (10 * USEC_PER_SEC)
#define MANAGER_FREEZE_SETTLE_DEFAULT    (40 * USEC_PER_MSEC)
#define MANAGER_IDENTIFY_TIMEOUT_DEFAULT (10 * USEC_PER_SEC)
#define MANAGER_PREPARE_TIMEOUT_DEFAULT  (300 * USEC_PER_SEC)
#define MANAGER_FREEZE_WINDOW_DEFAULT    (60 * USEC_PER_SEC)

typedef struct Set Set;
typedef struct Writer Writer;
typedef struct WriterBatch WriterBatch;
typedef struct CreateRequest CreateRequest;
typedef struct StasisdConfig StasisdConfig;
typedef struct AuthQuery AuthQuery;

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        Catalog *catalog;
        bool read_only;         /* the catalog's file system is full: no new sets */
        char *state_dir;
        char *runtime_dir;      /* views of sets are attached under its sets/ (stasisd-set-views.c) */
        char *providers_dir;
        MountCache mounts;
        StasisProviders providers;      /* the external ones loaded */
        usec_t commit_timeout;
        usec_t hold_timeout;
        usec_t freeze_settle;
        bool expedite_freeze;   /* expedited RCU grace periods for FIFREEZE (stasisd-rcu.h) */

        /* Commits run one at a time, so no two holds ever interleave and no
         * provider is called on a file system another set holds frozen. */
        Set *committing;
        Set *commit_queue, *commit_queue_tail;   /* waiting for their turn */
        bool holding;           /* file systems are frozen right now */
        unsigned n_removing;    /* removal and orphan-scan workers running */

        /* Calls that would write to the catalog, put off while holding. */
        struct Deferred *deferred, *deferred_tail;
        unsigned n_deferred;

        Callers *callers;               /* unprivileged calls wait their turn */
        sd_bus_slot *name_match;        /* NameOwnerChanged: writers and requestors that leave */

        unsigned n_open_views;  /* views handed out by OpenView, of all sets (stasisd-set-open-views.c) */
        Set *sets;              /* doubly linked, oldest first */
        Set *sets_tail;
        unsigned n_sets;
        size_t sets_export_bytes;       /* their properties on the bus (stasisd-set-export.c) */
        unsigned n_export_hidden;       /* sets left out of GetManagedObjects */

        /* Writers (stasisd-writer.c), in the order they registered. */
        Writer *writers, *writers_tail;
        unsigned n_writers;
        /* Told when a writer leaves (stasisd-writer.c knows nothing of sets). */
        void (*writer_gone)(struct Manager *m, Writer *w, const char *why);
        size_t writers_metadata_bytes;  /* their meta_json, together */
        WriterBatch *batches, *batches_tail;    /* events being sent */
        /* Writers of stasisd's previous life not registered again (stasisd-writer-memory.c). */
        Writer *missing_writers, *missing_writers_tail;
        unsigned n_missing_writers;
        sd_event_source *writer_grace;  /* their grace period, from the start */
        bool writers_catalog_dirty;     /* the catalog's writers wait for the end of a hold */
        unsigned n_calls_in_flight;
        CreateRequest *requests, *requests_tail;        /* CreateSet calls asking the writers first */
        /* CreateSet calls waiting for the create with their request id (stasisd-request-id.c). */
        struct RequestWaiter *request_waiters, *request_waiters_tail;
        unsigned n_request_waiters;
        sd_event_source *request_waiters_kick;
        usec_t identify_timeout;
        usec_t prepare_timeout;
        usec_t freeze_window;

        /* Authorization (stasisd-auth.c): stasisd.conf, and polkit checks under way. */
        StasisdConfig *config;
        AuthQuery *auth_queries, *auth_queries_tail;
        unsigned n_auth_queries;
        /* Snapshots in the stores that no set holds (stasisd-orphans.c). */
        struct Orphan *orphans;
        size_t n_orphans;
        SpareSlot spare;                /* the next commit worker, started ahead */
        bool orphan_scan;               /* look for them at start-up */
        struct OrphanScan *orphan_scan_running;
        uint64_t orphans_max_set_id;    /* found in the stores, not yet written to the catalog */
        struct SpaceWatch *space_watch; /* snapshots that fill up (stasisd-space-watch.c) */

        /* Retention (stasisd-retention*.c, stasisd-policy*.c). */
        char *test_clock;               /* --test-clock=FILE: the time is read from FILE (tests only) */
        sd_event_source *expiry_timer;  /* the earliest expiry, or a retry */
        struct Policies *policies;      /* /etc/stasis/policies.d */
        char *policies_dir;
} Manager;

int manager_new(const char *state_dir, Manager **ret);
Manager *manager_free(Manager *m);
static inline void manager_freep(Manager **m) {
        manager_free(*m);
}

/* Loads the catalog and reconciles it, connects to the bus, exports the
 * objects and takes the bus name. */
int manager_start(Manager *m);
int manager_run(Manager *m);

Set *manager_find_set(Manager *m, const char *id);

/* Whether new sets can be recorded: fails with NoSpace (and stasisd is
 * read-only) while the catalog's file system is full; says so when that
 * changes. */
int manager_check_room(Manager *m, sd_bus_error *error);

typedef struct Deferred {
        LIST_FIELDS(struct Deferred, deferred);
        sd_bus_message *msg;
        sd_bus_message_handler_t handler;
        void *userdata;
} Deferred;

/* While file systems are held, a call that writes is put off until the hold
 * ends (the catalog may be on a frozen file system). Returns 1 if deferred. */
int manager_defer_if_holding(Manager *m, sd_bus_message *msg, sd_bus_message_handler_t handler, void *userdata);
void manager_hold_ended(Manager *m);

