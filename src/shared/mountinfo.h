/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mountinfo.h - the mount table (/proc/self/mountinfo, read by libmount) and the mount that holds a path */
#pragma once

#include <stdio.h>
#include <sys/types.h>

struct libmnt_table;
struct libmnt_monitor;

/* One mount, as the kernel lists it, its escapes (\040 \011 \012 \134)
 * decoded. The strings belong to the table; none is NULL. */
typedef struct MountEntry {
        int mount_id;
        int parent_id;
        unsigned major, minor;
        const char *root;           /* the directory of the file system mounted here: a path,
                                     * or for a namespace file something like "net:[4026531833]" */
        const char *mount_point;    /* absolute */
        const char *options;        /* per-mount options */
        const char *fstype;         /* with its subtype, if any: "fuse.sshfs" */
        const char *source;         /* device, "none", or "" if mounted with no source */
        const char *super_options;  /* per-super-block options */
} MountEntry;

typedef struct MountTable {
        MountEntry *entries;
        size_t n;
        struct libmnt_table *table; /* libmount's, which holds the strings */
} MountTable;

MountTable *mount_table_free(MountTable *t);
static inline void mount_table_freep(MountTable **t) {
        mount_table_free(*t);
}
#define _cleanup_mount_table_ __attribute__((cleanup(mount_table_freep)))

/* Parses mountinfo text. A malformed line, or one libmount reads but that is
 * not a mount as the kernel lists it (negative id, relative mount point),
 * fails the parse with -EBADMSG and its 1-based number in *ret_bad_line (if
 * non-NULL; 0 if f cannot be read again to count). More than 65536 mounts:
 * -E2BIG. */
int mount_table_parse(FILE *f, MountTable **ret, unsigned *ret_bad_line);
int mount_table_load(MountTable **ret);

/* The mount table, read again only when the kernel says it changed
 * (libmount's kernel monitor: epoll on /proc/self/mountinfo, which wakes up
 * after a mount or an unmount). It is asked when the table is wanted, not
 * from an event loop: nothing runs on mount changes in between. */
typedef struct MountCache {
        struct libmnt_monitor *monitor;
        MountTable *table;
} MountCache;

#define MOUNT_CACHE_INIT { .monitor = NULL, .table = NULL }
int mount_cache_get(MountCache *c, const MountTable **ret);
void mount_cache_done(MountCache *c);

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
