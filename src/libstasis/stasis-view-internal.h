/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-view-internal.h - the StasisView object, shared by the files of views */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>

#include "stasis/stasis.h"

/* A writer's backup metadata file, to be placed at path in the view. */
typedef struct ViewFile {
        char *path;
        void *data;
        size_t size;
        mode_t mode;
} ViewFile;

struct StasisView {
        size_t n;
        char **mount_points;    /* parents first */
        int *fds;               /* detached mounts; -1 once attached */
        ViewFile *files;
        size_t n_files;
        char *error;            /* what stasis_view_enter() could not do, if it says more than errno */
};

void view_files_free(ViewFile *f, size_t n);
/* The set's metadata files, with their contents (needs the right to mount the set). */
int view_load_metadata(StasisRequestor *r, const char *id, StasisView *v);
/* In the view's namespace, once the snapshots are attached: each file at its path. */
int view_place_metadata(StasisView *v);
/* Each file at root (NULL: none) followed by its path: a read-only overlay
 * of a tmpfs with the files over each directory that holds some, reached
 * without following a symlink (-ELOOP). On failure *ret_where (if not NULL)
 * is the directory at fault. */
int view_place_files(ViewFile *files, size_t n_files, const char *root, char **ret_where);
/* Undoes view_place_files() under root for the files of l (best effort). */
void view_remove_files(StasisMetadataList *l, const char *root);
