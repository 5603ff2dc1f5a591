/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* provider.h - the versioned ops table every in-tree snapshot provider fills */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mountinfo.h"

#define STASIS_PROVIDER_OPS_VERSION 1
#define STASIS_PROVIDER_MESSAGE_MAX 256

/* How a provider wants the file system held while it commits (docs/providers.md). */
typedef enum StasisHold {
        STASIS_HOLD_NONE,      /* it commits its own transaction: never FIFREEZE around it */
        STASIS_HOLD_FREEZE,    /* block-level copy: the coordinator must FIFREEZE around commit */
} StasisHold;

typedef struct StasisProvider StasisProvider;

/* One volume of a set: what the provider snapshots. All strings owned. */
typedef struct StasisVolume {
        char *path;            /* the first requested path that lies on it */
        char *mount_point;
        char *device;          /* the mount's source */
        char *fstype;
        char *source;          /* what is snapshotted (btrfs: the subvolume's path) */
        char *key;             /* identity, equal for two paths on one volume */
        char *handle;          /* the snapshot, once prepared (btrfs: its path) */
        const StasisProvider *provider;
        bool missing;          /* the coordinator found the snapshot gone */
} StasisVolume;

void stasis_volume_done(StasisVolume *v);

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
        StasisHold hold;

        /* Does this provider take the volume that holds path (on mount m)? Returns
         * a priority > 0 and fills v->source and v->key, 0 if the volume is not
         * its kind, or a negative errno with res->message for a volume of its
         * kind that it cannot take. Quick, no blocking I/O. */
        int (*probe)(const MountEntry *m, const char *path, StasisVolume *v, StasisProviderResult *res);

        /* Fills v->handle, the name the snapshot will get for set_id. No I/O. */
        int (*prepare)(StasisVolume *v, const char *set_id, StasisProviderResult *res);

        /* Takes the snapshots of all volumes at once, as near to one instant as
         * the provider can. Runs in a worker process. On failure it removes
         * what it made and fills results[i] for every volume. */
        int (*commit)(StasisVolume * const *volumes, size_t n, StasisProviderResult *results);

        /* Removes one snapshot; a snapshot that is already gone is success.
         * Runs in a worker process. */
        int (*remove)(const char *handle, StasisProviderResult *res);

        /* 1 if the snapshot exists, 0 if it is gone, negative errno on error. */
        int (*exists)(const char *handle);
};

extern const StasisProvider provider_btrfs;

/* The built-in providers, NULL-terminated. */
extern const StasisProvider * const stasis_providers[];

const StasisProvider *stasis_provider_find(const char *name);

/* Probes every provider; the one with the highest priority takes v.
 * -EOPNOTSUPP with a message naming path and fstype when none does. */
int stasis_provider_probe(const MountEntry *m, const char *path, StasisVolume *v, StasisProviderResult *res);
