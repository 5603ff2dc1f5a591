/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mountinfo.h - parse /proc/self/mountinfo and find the mount that holds a path */
#pragma once

#include <stdio.h>
#include <sys/types.h>

typedef struct MountEntry {
        int mount_id;
        int parent_id;
        unsigned major, minor;
        char *root;           /* the directory of the file system that is mounted here */
        char *mount_point;
        char *options;        /* per-mount options */
        char *fstype;
        char *source;         /* device or "none" */
        char *super_options;  /* per-super-block options */
} MountEntry;

typedef struct MountTable {
        MountEntry *entries;
        size_t n;
} MountTable;

MountTable *mount_table_free(MountTable *t);
static inline void mount_table_freep(MountTable **t) {
        mount_table_free(*t);
}
#define _cleanup_mount_table_ __attribute__((cleanup(mount_table_freep)))

/* Parses mountinfo text. A malformed line fails the parse with -EBADMSG and its
 * 1-based number in *ret_bad_line (if non-NULL). */
int mount_table_parse(FILE *f, MountTable **ret, unsigned *ret_bad_line);
int mount_table_load(MountTable **ret);

/* The mount table, read again only when the kernel says it changed (poll
 * on /proc/self/mountinfo reports POLLPRI after a mount or an unmount). */
typedef struct MountCache {
        int fd;
        MountTable *table;
} MountCache;

#define MOUNT_CACHE_INIT { .fd = -1, .table = NULL }
int mount_cache_get(MountCache *c, const MountTable **ret);
void mount_cache_done(MountCache *c);

/* Undo the octal escapes (\040 \011 \012 \134) of mountinfo fields, in place. */
void mountinfo_unescape(char *s);

const MountEntry *mount_table_find_id(const MountTable *t, int mount_id);
/* The mount whose mount point is the longest prefix of the absolute, canonical
 * path; of several mounts at one point, the last (topmost) one. */
const MountEntry *mount_table_find_prefix(const MountTable *t, const char *path);

/* True when prefix is path or a parent directory of it (component-wise). */
int path_has_prefix(const char *path, const char *prefix);

/* Canonicalises path and returns the mount that holds it: by the kernel's
 * mount id where statx() gives it, else by the longest mount point prefix,
 * and the directory's owner, all from one lookup. -ENOENT if path does not
 * exist, -ENOTDIR if it is not a directory. */
int mount_table_find_path(const MountTable *t, const char *path,
                          char **ret_canonical, const MountEntry **ret_mount, uid_t *ret_owner);
