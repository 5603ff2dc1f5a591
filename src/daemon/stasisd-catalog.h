/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-catalog.h - the SQLite record of snapshot sets and their volumes */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "provider.h"
#include "time-util.h"

#define CATALOG_SCHEMA_VERSION 5

/* Set ids are reserved (durably) this many at a time. */
#define CATALOG_ID_BLOCK 64

/* Room kept for deleting sets on a full disk: a file of this size beside the
 * catalog, given up a step at a time when a removal finds the disk full. New
 * sets are recorded only while it is whole and this much more is free. */
#define CATALOG_RESERVE_SIZE (1024 * 1024)
#define CATALOG_RESERVE_STEP (256 * 1024)
#define CATALOG_ROOM_MIN     (256 * 1024)
/* More free than this (statvfs) needs no allocation to prove it. */
#define CATALOG_ROOM_AMPLE   (64 * 1024 * 1024)

typedef struct Catalog Catalog;

/* A writer component of a set, and what the set holds of it. Strings owned. */
typedef struct SetComponent {
        char *writer;
        char *instance;         /* "" if none */
        char *component;
        char *consistency;      /* "application" or "crash-consistent" */
        char *reason;           /* why not application-consistent; "" if it is */
} SetComponent;

void set_components_free(SetComponent *c, size_t n);

/* One set as the catalog keeps it. Strings owned. */
typedef struct CatalogSet {
        uint64_t id;
        usec_t created;
        char *label;
        bool persistent;
        uid_t owner_uid;
        char *state;
        char *consistency;
        StasisVolume *volumes;
        size_t n_volumes;
        SetComponent *components;
        size_t n_components;
        usec_t completed;       /* when the requestor reported the backup; 0 if not */
        usec_t hold_usec;
        char *request_id;       /* the requestor's own id of the create; NULL if none */
        usec_t expires;         /* when it expires (CLOCK_REALTIME); 0: never */
        char *policy;           /* the policy that made it; NULL or "" if none */
} CatalogSet;

void catalog_set_done(CatalogSet *s);

/* Opens (creating if needed) dir/catalog.db in WAL mode. dir is created 0700. */
int catalog_open(const char *dir, Catalog **ret);
/* The same, with the reason it failed in why: a message for people that names
 * the file and what to do (a catalog that is a symbolic link, not root's,
 * writable by others, empty, or not an SQLite database). */
int catalog_open_why(const char *dir, Catalog **ret, char *why, size_t why_size);
Catalog *catalog_close(Catalog *c);
static inline void catalog_closep(Catalog **c) {
        catalog_close(*c);
}

/* Whether new records may be written: the reserve is in place (made again
 * if it is missing and there is room) and there is room beyond it; -ENOSPC
 * (or another errno) if not. Removals may be written in any case. */
int catalog_check_room(Catalog *c);

/* Whether a commit is on disk when it returns (false only with the
 * benchmarks' STASIS_BENCH_CATALOG_SYNC=normal). */
bool catalog_durable(const Catalog *c);

/* A failure of any call leaves a message here until the next call. */
const char *catalog_last_error(const Catalog *c);

/* Records a new set with its volumes in one transaction. It is on disk at the
 * latest when the next synced commit returns (catalog_record_created(),
 * say): only a set whose id passes the reserved block syncs at once. The id
 * is above every id ever given and every id in the catalog
 * (AUTOINCREMENT's sequence, which removals never lower), and above the
 * block of reserved ids that an unclean stop left. prepare, if set,
 * runs inside the transaction once the id is known (to name the snapshots);
 * a failure there records nothing. */
int catalog_add_set(Catalog *c, CatalogSet *s,
                    int (*prepare)(CatalogSet *s, void *userdata), void *userdata);

int catalog_update_state(Catalog *c, uint64_t id, const char *state, const char *consistency);
/* Records a created set's outcome: its state, consistency, hold time and
 * components, in one transaction. */
int catalog_record_created(Catalog *c, uint64_t id, const char *state, const char *consistency,
                           usec_t hold_usec, const SetComponent *components, size_t n_components);
int catalog_update_completed(Catalog *c, uint64_t id, usec_t completed);
int catalog_update_volume_missing(Catalog *c, uint64_t id, size_t index, bool missing);
int catalog_remove_set(Catalog *c, uint64_t id);

/* Loads all sets, oldest first. *ret is an array of *ret_n sets. Each
 * volume's provider is looked up by name among the built-in providers and
 * those in providers (NULL: built-in only); NULL for one this stasisd lacks. */
int catalog_load(Catalog *c, const StasisProviders *providers, CatalogSet **ret, size_t *ret_n);
void catalog_sets_free(CatalogSet *sets, size_t n);

/* Makes the next set id larger than above (ids found outside the catalog,
 * in the providers' stores). */
int catalog_raise_next_id(Catalog *c, uint64_t above);
/* Records a set under its own id s->id, with its volumes, in one
 * transaction (snapshots found in a store that the catalog had lost).
 * Fails if the id is taken. */
int catalog_adopt_set(Catalog *c, const CatalogSet *s);
