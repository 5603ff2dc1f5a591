/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* btrfs-list.c - what the snapshot stores of the mounted btrfs file systems hold */
#include <btrfsutil.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btrfs-list.h"
#include "btrfs-store.h"
#include "fd-util.h"
#include "macro.h"
#include "mountinfo.h"

#define SYS_FS_BTRFS "/sys/fs/btrfs"
#define LIST_MAX 65536          /* snapshots listed in all, a bound on memory */

typedef struct SnapshotList {
        StasisStoredSnapshot *items;
        size_t n, alloc;
} SnapshotList;

/* A subvolume's UUID and id, to find the subvolume a snapshot was taken of. */
typedef struct SubvolumeIds {
        struct {
                uint8_t uuid[16];
                uint64_t id;
                char *path;     /* from the top level, without a leading "/" */
        } *items;
        size_t n;
        bool loaded;
} SubvolumeIds;

/* "<set id>-<index>" as stasis writes them: digits, no leading zeros. */
static bool parse_name(const char *name, char **ret_set_id, uint64_t *ret_index) {
        const char *dash = strchr(name, '-');
        char *end;

        if (!dash || !btrfs_digits_valid(name, (size_t) (dash - name)) ||
            !btrfs_digits_valid(dash + 1, strlen(dash + 1)))
                return false;
        if ((name[0] == '0' && dash - name > 1) || (dash[1] == '0' && dash[2]))
                return false;
        errno = 0;
        uint64_t set = strtoull(name, &end, 10), index = strtoull(dash + 1, NULL, 10);
        if (errno || set == 0)
                return false;
        *ret_set_id = strndup(name, (size_t) (dash - name));
        if (!*ret_set_id)
                return false;
        *ret_index = index;
        return true;
}

static void subvolume_ids_done(SubvolumeIds *ids) {
        for (size_t i = 0; i < ids->n; i++)
                free(ids->items[i].path);
        free(ids->items);
        *ids = (SubvolumeIds) {};
}

/* All subvolumes of the file system, by walking its tree of subvolumes once. */
static int subvolume_ids_load(SubvolumeIds *ids, int top_fd) {
        struct btrfs_util_subvolume_iterator *it = NULL;
        struct btrfs_util_subvolume_info info;
        size_t alloc = 0;
        char *path;

        ids->loaded = true;
        if (btrfs_util_create_subvolume_iterator_fd(top_fd, 5, 0, &it) != BTRFS_UTIL_OK)
                return -errno;
        while (btrfs_util_subvolume_iterator_next_info(it, &path, &info) == BTRFS_UTIL_OK) {
                if (ids->n == alloc) {
                        size_t na = alloc ? alloc * 2 : 64;
                        void *p = realloc(ids->items, na * sizeof *ids->items);
                        if (!p) {
                                free(path);
                                btrfs_util_destroy_subvolume_iterator(it);
                                return -ENOMEM;
                        }
                        ids->items = p;
                        alloc = na;
                }
                memcpy(ids->items[ids->n].uuid, info.uuid, 16);
                ids->items[ids->n].path = path;
                ids->items[ids->n++].id = info.id;
        }
        btrfs_util_destroy_subvolume_iterator(it);
        return 0;
}

/* The subvolume id of uuid, and its path; 0 when it is gone (or the walk failed). */
static uint64_t subvolume_ids_find(SubvolumeIds *ids, int top_fd, const uint8_t uuid[16], const char **ret_path) {
        if (!ids->loaded)
                (void) subvolume_ids_load(ids, top_fd);
        for (size_t i = 0; i < ids->n; i++)
                if (memcmp(ids->items[i].uuid, uuid, 16) == 0) {
                        *ret_path = ids->items[i].path;
                        return ids->items[i].id;
                }
        return 0;
}

/* The mounted btrfs file systems, each mount's file system read once. */
typedef struct Mounts {
        MountTable *table;
        uint8_t (*fsid)[BTRFS_FSID_SIZE];
        bool *known;
} Mounts;

static void mounts_done(Mounts *ms) {
        mount_table_free(ms->table);
        free(ms->fsid);
        free(ms->known);
        *ms = (Mounts) {};
}

static void mounts_load(Mounts *ms) {
        if (mount_table_load(&ms->table) < 0)
                return;
        ms->fsid = calloc(ms->table->n, sizeof *ms->fsid);
        ms->known = calloc(ms->table->n, sizeof *ms->known);
        if (!ms->fsid || !ms->known) {
                mounts_done(ms);
                return;
        }
        for (size_t i = 0; i < ms->table->n; i++) {
                const MountEntry *e = &ms->table->entries[i];
                if (!streq(e->fstype, "btrfs"))
                        continue;
                _cleanup_close_ int fd = openat2_fd(AT_FDCWD, e->mount_point, O_RDONLY | O_DIRECTORY,
                                                    RESOLVE_NO_SYMLINKS);
                ms->known[i] = fd >= 0 && btrfs_fsid_of_fd(fd, ms->fsid[i]) >= 0;
        }
}

/* Where the subvolume at path (from the top level) of file system fsid is
 * mounted now: the mount of it whose root is the longest prefix of path.
 * Fills what it finds into v; leaves v alone if none. */
static int locate_mounted(const Mounts *ms, const uint8_t fsid[BTRFS_FSID_SIZE], const char *path, StasisVolume *v) {
        _cleanup_free_ char *abs = NULL;
        const MountEntry *best = NULL;

        if (asprintf(&abs, "/%s", path) < 0)
                return -ENOMEM;
        for (size_t i = 0; ms->table && i < ms->table->n; i++) {
                const MountEntry *e = &ms->table->entries[i];
                if (ms->known[i] && memcmp(ms->fsid[i], fsid, BTRFS_FSID_SIZE) == 0 &&
                    path_has_prefix(abs, e->root) && (!best || strlen(e->root) > strlen(best->root)))
                        best = e;
        }
        if (!best)
                return 0;
        const char *rest = abs + (streq(best->root, "/") ? 0 : strlen(best->root));
        if (asprintf(&v->source, "%s%s", streq(best->mount_point, "/") && rest[0] ? "" : best->mount_point,
                     rest) < 0) {
                v->source = NULL;
                return -ENOMEM;
        }
        if (!(v->path = strdup(v->source)) || !(v->mount_point = strdup(best->mount_point)) ||
            !(v->device = strdup(best->source)))
                return -ENOMEM;
        return 0;
}

static int add_entry(SnapshotList *l, const BtrfsStore *s, SubvolumeIds *ids, const Mounts *ms,
                     const StasisProvider *self, const char *name) {
        struct btrfs_util_subvolume_info info;
        _cleanup_close_ int fd = -1;
        char uuid[BTRFS_FSID_STRING_MAX], hex[2 * BTRFS_FSID_SIZE + 1];
        char *set_id = NULL;
        uint64_t index;
        int r;

        if (!parse_name(name, &set_id, &index))
                return 0;       /* not a name stasis gives */
        r = btrfs_store_open_entry(s->dir_fd, s->dir_id, name, &fd);
        if (r < 0 || btrfs_util_subvolume_info_fd(fd, 0, &info) != BTRFS_UTIL_OK) {
                free(set_id);
                return r == -ENOMEM ? r : 0;   /* gone meanwhile, or not a snapshot stasis made */
        }
        if (l->n == l->alloc) {
                size_t na = l->alloc ? l->alloc * 2 : 16;
                void *p = realloc(l->items, na * sizeof *l->items);
                if (!p) {
                        free(set_id);
                        return -ENOMEM;
                }
                l->items = p;
                l->alloc = na;
        }
        StasisStoredSnapshot *e = &l->items[l->n];
        *e = (StasisStoredSnapshot) { .volume.provider = self, .set_id = set_id, .index = index };
        l->n++;

        btrfs_fsid_format(s->fsid, uuid);
        for (size_t i = 0; i < BTRFS_FSID_SIZE; i++)
                snprintf(hex + 2 * i, 3, "%02x", s->fsid[i]);
        /* The subvolume it was taken of, if it is still there (0 if not),
         * and where that is mounted. */
        const char *path = NULL;
        uint64_t source = subvolume_ids_find(ids, s->mount_fd, info.parent_uuid, &path);
        if (asprintf(&e->volume.handle, "%s:/" BTRFS_STORE_NAME "/%s", uuid, name) < 0)
                e->volume.handle = NULL;
        if (asprintf(&e->volume.key, "btrfs:%s:%" PRIu64, hex, source) < 0)
                e->volume.key = NULL;
        e->volume.fstype = strdup("btrfs");
        if (!e->volume.handle || !e->volume.key || !e->volume.fstype)
                return -ENOMEM;
        if (source != 0 && locate_mounted(ms, s->fsid, path, &e->volume) < 0)
                return -ENOMEM;
        e->created = (usec_t) info.otime.tv_sec * USEC_PER_SEC + (usec_t) info.otime.tv_nsec / 1000;
        return 1;
}

/* The snapshots in the store of one file system: 0, -ENOENT if it has no
 * store, or a negative errno with res->message. */
static int list_store(SnapshotList *l, const uint8_t fsid[BTRFS_FSID_SIZE], const Mounts *ms,
                      const StasisProvider *self, StasisProviderResult *res) {
        _cleanup_(btrfs_store_close) BtrfsStore s = BTRFS_STORE_INIT;
        SubvolumeIds ids = {};
        DIR *d;
        int r;

        r = btrfs_store_open(fsid, NULL, false, &s, res);
        if (r < 0)
                return r;
        int fd = fcntl(s.dir_fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0 || !(d = fdopendir(fd))) {
                r = -errno;
                safe_close(fd);
                return stasis_provider_result_set(res, r, "cannot read a btrfs snapshot store: %s", strerror(-r));
        }
        r = 0;
        for (struct dirent *de; r >= 0 && l->n < LIST_MAX && (de = readdir(d)); )
                r = add_entry(l, &s, &ids, ms, self, de->d_name);
        closedir(d);
        subvolume_ids_done(&ids);
        return r < 0 ? r : 0;
}

int btrfs_list(const StasisProvider *self, StasisStoredSnapshot **ret, size_t *ret_n, StasisProviderResult *res) {
        SnapshotList l = {};
        Mounts ms = {};
        DIR *d;
        int r = 0;

        /* Each mounted btrfs file system has a directory there named by its
         * UUID, once however often it is mounted. */
        d = opendir(SYS_FS_BTRFS);
        if (!d && errno != ENOENT)
                return stasis_provider_result_set(res, -errno, "cannot list " SYS_FS_BTRFS ": %m");
        for (struct dirent *de; d && r >= 0 && (de = readdir(d)); ) {
                StasisProviderResult one = {};
                uint8_t fsid[BTRFS_FSID_SIZE];
                uint64_t unused;
                char key[64];
                int q;

                /* The UUID, without its dashes, makes a key btrfs_key_parse() reads. */
                size_t o = snprintf(key, sizeof key, "btrfs:");
                for (const char *p = de->d_name; *p && o < sizeof key - 3; p++)
                        if (*p != '-')
                                key[o++] = *p;
                snprintf(key + o, sizeof key - o, ":5");
                if (strlen(de->d_name) != BTRFS_FSID_STRING_MAX - 1 || btrfs_key_parse(key, fsid, &unused) < 0)
                        continue;       /* "features" and the like */
                if (!ms.table)
                        mounts_load(&ms);
                q = list_store(&l, fsid, &ms, self, &one);
                if (q == -ENOMEM)
                        r = q;
                else if (q < 0 && q != -ENOENT && q != -ENODEV && res->message[0] == 0)
                        stasis_provider_result_set(res, q, "%s", one.message);
        }
        if (d)
                closedir(d);
        mounts_done(&ms);
        if (r < 0) {
                stasis_stored_snapshots_free(l.items, l.n);
                return r;
        }
        *ret = l.items;
        *ret_n = l.n;
        return (int) MIN(l.n, (size_t) INT32_MAX);
}
