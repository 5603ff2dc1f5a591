/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-select.h - which writer components and volumes take part in a set: selectors, then the closure */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "provider.h"
#include "stasisd-writer-call.h"
#include "writer-metadata.h"

/* WRITER[@INSTANCE][:COMPONENT]. instance is NULL for any instance,
 * component NULL for all of the writer's components. Pointers into sel. */
typedef struct Selector {
        const char *writer, *instance, *component;
        size_t writer_len, instance_len;
} Selector;

/* -EINVAL if sel is not WRITER[@INSTANCE][:COMPONENT] with valid names. */
int selector_parse(const char *sel, Selector *ret);
bool selector_matches(const Selector *x, const WriterMetadata *meta);

/* A component of a writer that answered (or failed) Identify, and where its
 * paths are. */
typedef struct Candidate {
        size_t writer;                  /* index into the Identify batch */
        const WriterComponent *component;
        bool included;
        size_t first_path, n_paths;
} Candidate;

typedef struct PathVolume {
        const char *path;
        struct PathVolume *same;        /* an earlier one of the same path, which has the volume */
        StasisVolume volume;            /* moved into the set when it joins */
        char *key;
        uid_t owner;                    /* of the directory resolved, from the same lookup */
        const char *error_name;         /* NULL if it resolved */
        char *error;
} PathVolume;

typedef struct Resolution {
        WriterBatch *b;
        size_t *by_path;                /* hash of pv indexes + 1 by path; 0 is empty */
        size_t n_by_path;
        Candidate *cands;
        size_t n_cands;
        PathVolume *pv;
        size_t n_pv;
        StasisVolume *vols;
        size_t n_vols;
} Resolution;

/* Frees what x holds (not the batch). */
void resolution_done(Resolution *x);

/* Marks the components the selectors name (checked with selector_parse()
 * before); NoSuchComponent names the selector that matches nothing. */
int resolution_select(Resolution *x, char **selectors, sd_bus_error *error);

/* Components join the set when selected, when one of their paths is on a
 * volume of the set, or when they are not selectable and their writer takes
 * part; every volume of a component that joins joins too (moved from its
 * PathVolume into vols, which has room for MANAGER_VOLUMES_PER_SET_MAX).
 * Fails on a path of a joining component that did not resolve, or that a
 * writer other than root does not own. */
int resolution_close_over(Resolution *x, sd_bus_error *error);

/* Whether a component of writer (an index into the batch) joined. */
bool resolution_writer_included(const Resolution *x, size_t writer);
/* The index into vols of the volume with key, or -1. */
ssize_t resolution_volume_index(const Resolution *x, const char *key);
