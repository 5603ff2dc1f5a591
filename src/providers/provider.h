/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* provider.h - the versioned ops table every in-tree snapshot provider fills */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fd-util.h"
#include "mountinfo.h"
#include "time-util.h"

#define STASIS_PROVIDER_OPS_VERSION 1
#define STASIS_PROVIDER_MESSAGE_MAX 256
#define STASIS_PROVIDER_LIST_TIMEOUT (60 * USEC_PER_SEC)
#define STASIS_PROVIDER_MOUNT_TIMEOUT (30 * USEC_PER_SEC)
#define STASIS_PROVIDER_SPACE_TIMEOUT (30 * USEC_PER_SEC)
#define STASIS_DETAILS_MAX 16           /* what a provider tells of a volume (StasisVolume.details) */
#define STASIS_DETAIL_VALUE_MAX 256

/* How a provider wants the file system held while it commits (docs/providers.md). */
typedef enum StasisHold {
        STASIS_HOLD_NONE,      /* it commits its own transaction: never FIFREEZE around it */
        STASIS_HOLD_FREEZE,    /* block-level copy: the coordinator must FIFREEZE around commit */
} StasisHold;

typedef struct StasisProvider StasisProvider;
typedef struct StasisSpace StasisSpace;
typedef struct StasisStoredSnapshot StasisStoredSnapshot;

/* One volume of a set: what the provider snapshots. All strings owned. */
typedef struct StasisVolume {
        char *path;            /* the first requested path that lies on it */
        char *mount_point;
        char *device;          /* the mount's source */
        char *fstype;
        char *source;          /* what is snapshotted (btrfs: the subvolume's path) */
        char *key;             /* identity, equal for two paths on one volume */
        char *handle;          /* the snapshot, once prepared (btrfs: its path) */
        char **details;        /* what the provider tells of the volume, "key=value" (probe; NULL: nothing) */
        const StasisProvider *provider;
        StasisHold hold;       /* how the provider wants this volume held, from probe */
        bool missing;          /* the coordinator found the snapshot gone */
        /* Who the mount point and the source were when the set was resolved,
         * checked again right before the freeze and the snapshot (not kept
         * in the catalog: unset for sets loaded from it). */
        FileIdentity mount_identity;
        FileIdentity source_identity;   /* set by providers whose source is a directory */
} StasisVolume;

void stasis_volume_done(StasisVolume *v);
/* Where the snapshot of v sits in a view of its set (docs/views.md): the
 * directory snapshotted (source) for a provider that snapshots directories,
 * else the mount point. */
const char *stasis_volume_view_path(const StasisVolume *v);

/* A provider's answer with a human-readable reason; message is "" on success. */
typedef struct StasisProviderResult {
        int32_t error;         /* 0 or a negative errno */
        char message[STASIS_PROVIDER_MESSAGE_MAX];
} StasisProviderResult;

int stasis_provider_result_set(StasisProviderResult *res, int error, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

struct StasisProvider {
        uint32_t version;      /* STASIS_PROVIDER_OPS_VERSION */
        size_t size;           /* sizeof(StasisProvider) */
        const char *name;
        bool external;         /* an executable in the providers directory */
        void *data;            /* the provider's own (the executable's path) */
        bool snapshots_directory; /* source is the directory it snapshots (btrfs: a subvolume) */

        /* Does this provider take the volume that holds path (on mount m)? Returns
         * a priority > 0 and fills v->source, v->key and v->hold, 0 if the volume
         * is not its kind, or a negative errno with res->message for a volume of
         * its kind that it cannot take. Quick. */
        int (*probe)(const StasisProvider *self, const MountEntry *m, const char *path,
                     StasisVolume *v, StasisProviderResult *res);

        /* Fills v->handle, the name the snapshot will get for set_id, index the
         * volume's place in the set. No I/O. */
        int (*prepare)(const StasisProvider *self, StasisVolume *v, const char *set_id, size_t index,
                       StasisProviderResult *res);

        /* Takes the snapshots of all volumes at once, as near to one instant as
         * the provider can. Runs in a worker process, inside the hold window for
         * volumes held with STASIS_HOLD_FREEZE. abort_fd, if >= 0, becomes
         * readable when the commit must stop at once. On failure it removes
         * what it made and fills results[i] for every volume. */
        int (*commit)(const StasisProvider *self, StasisVolume * const *volumes, size_t n,
                      usec_t timeout, int abort_fd, StasisProviderResult *results);

        /* Optional: gets ready for a commit that will follow soon (inside a
         * hold), so that only the commit's own work falls in the window. Runs
         * in the worker just before the first FIFREEZE. */
        int (*prestart)(const StasisProvider *self);

        /* Removes one snapshot; a snapshot that is already gone is success.
         * Runs in a worker process. */
        int (*remove)(const StasisProvider *self, const StasisVolume *v, StasisProviderResult *res);

        /* 1 if the snapshot exists, 0 if it is gone, negative errno if it
         * cannot tell. */
        int (*exists)(const StasisProvider *self, const StasisVolume *v);

        /* Optional: every snapshot in the stores the provider owns, known to
         * the catalog or not (docs/providers.md). Runs in a worker process, in
         * STASIS_PROVIDER_LIST_TIMEOUT at most; it only reads. Returns the
         * number found; a store it cannot read is skipped, and res->message
         * names the first such store. */
        int (*list)(const StasisProvider *self, StasisStoredSnapshot **ret, size_t *ret_n,
                    StasisProviderResult *res);

        /* Optional: a detached mount (open_tree()/fsmount(), no path reaches
         * it) of the snapshot of v, read-only, nosuid and nodev, for a view
         * of the set (docs/views.md). Runs in stasisd, in
         * STASIS_PROVIDER_MOUNT_TIMEOUT at most. scratch is an empty
         * directory only root reaches, where the provider may mount the
         * snapshot on the way; it must leave nothing mounted there. */
        int (*mount)(const StasisProvider *self, const StasisVolume *v, const char *scratch, int *ret_mount_fd,
                     StasisProviderResult *res);

        /* Optional: how full the snapshots of volumes are (space[i] for
         * volumes[i]), for the space watch (docs/providers.md). Runs in a
         * worker, in STASIS_PROVIDER_SPACE_TIMEOUT at most; it only reads. */
        int (*space)(const StasisProvider *self, const StasisVolume * const *volumes, size_t n, StasisSpace *space,
                     StasisProviderResult *res);

        /* Optional: grows the snapshot of v (one whose space says it can
         * grow) to size bytes; *ret_size is its size now. Runs in a worker. */
        int (*extend)(const StasisProvider *self, const StasisVolume *v, uint64_t size, uint64_t *ret_size,
                      StasisProviderResult *res);
};

/* How full one snapshot is, as the provider's space op tells it. */
#define STASIS_SPACE_NAME_MAX 260
struct StasisSpace {
        bool known;             /* the provider said something of it */
        bool exists;
        bool growable;          /* a snapshot of fixed size that extend() grows (LVM classic) */
        bool invalid;           /* it filled up and the provider dropped it: it cannot be read */
        int used;               /* hundredths of a percent of its size; -1: not told */
        uint64_t size, room;    /* its size; how much it may grow by (free in its group) */
        uint64_t step;          /* it grows by multiples of this (an extent); 0: any */
        char group[STASIS_SPACE_NAME_MAX];      /* where its room comes from (an LVM VG) */
        char pool[STASIS_SPACE_NAME_MAX];       /* the pool it lives in (an LVM thin pool); "" if none */
        int pool_data, pool_metadata;           /* the pool's use, hundredths of a percent; -1: not told */
};

/* A snapshot a provider found in its store. Strings owned. */
struct StasisStoredSnapshot {
        /* As in a set: handle (as prepare() names it), key (the volume it was
         * taken of, as probe() names it), provider; fstype, device,
         * mount_point, source and path where the provider can tell where that
         * volume is now mounted, else NULL. */
        StasisVolume volume;
        char *set_id;           /* the set id in its name */
        uint64_t index;         /* the volume's place in that set, from its name */
        usec_t created;         /* CLOCK_REALTIME; 0 if the store does not say */
};

void stasis_stored_snapshots_free(StasisStoredSnapshot *s, size_t n);

extern const StasisProvider provider_btrfs;
/* The volumes of an external set (provider-external.c): someone else takes
 * their snapshots; never probed but through stasis_providers_external_only. */
extern const StasisProvider provider_external;

/* The external providers a daemon loaded (the built-in ones are always
 * there). Functions that take one accept NULL: the built-in ones only. */
#define STASIS_PROVIDERS_EXTERNAL_MAX 64
typedef struct StasisProviders {
        StasisProvider *external[STASIS_PROVIDERS_EXTERNAL_MAX];
        size_t n_external;
        const StasisProvider *only;     /* non-NULL: probing asks this provider alone */
} StasisProviders;

/* Probes every volume as provider_external's (external sets). */
extern const StasisProviders stasis_providers_external_only;

/* Built-in providers first, then the external ones loaded from a directory. */
const StasisProvider *stasis_provider_find(const StasisProviders *providers, const char *name);

/* Loads every executable in dir as an external provider (provider-exec.c)
 * into providers; a missing dir is no error. Replaces those loaded before.
 * dir, every directory above it and each provider (a symbolic link: its
 * target, and every directory above that) must be owned by root and not
 * writable by group or others (path_open_trusted()): an entry that is not is
 * left out and refused(path, why, userdata) is told why. Returns the number
 * loaded, or -EPERM with why (the directory itself cannot be trusted), or
 * another negative errno (it cannot be read). */
typedef void (*StasisProviderRefused)(const char *path, const char *why, void *userdata);
int stasis_providers_load_external(StasisProviders *providers, const char *dir, StasisProviderRefused refused,
                                   void *userdata, char *why, size_t why_size);
void stasis_providers_free_external(StasisProviders *providers);
size_t stasis_providers_list(const StasisProviders *providers, const StasisProvider **ret, size_t max);

/* Probes every provider; the one with the highest priority takes v.
 * -EOPNOTSUPP with a message naming path and fstype when none does. */
int stasis_provider_probe(const StasisProviders *providers, const MountEntry *m, const char *path, StasisVolume *v,
                          StasisProviderResult *res);
