/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* btrfs-space.c - how much a stasis snapshot holds alone: its qgroup's exclusive bytes */
#include <endian.h>
#include <errno.h>
#include <linux/btrfs.h>
#include <linux/btrfs_tree.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "btrfs-space.h"
#include "btrfs-store.h"
#include "macro.h"

/* Calls fn on each item of tree whose key is within [min, max] (objectid,
 * type, offset), in key order; fn returns > 0 to stop. */
static int tree_search(int fd, uint64_t tree, uint64_t min_obj, uint64_t max_obj, uint8_t type,
                       uint64_t min_off, uint64_t max_off,
                       int (*fn)(const struct btrfs_ioctl_search_header *h, const void *item, void *userdata),
                       void *userdata) {
        struct btrfs_ioctl_search_args args = {
                .key = {
                        .tree_id = tree,
                        .min_objectid = min_obj, .max_objectid = max_obj,
                        .min_type = type, .max_type = type,
                        .min_offset = min_off, .max_offset = max_off,
                        .min_transid = 0, .max_transid = UINT64_MAX,
                },
        };

        for (;;) {
                args.key.nr_items = 4096;
                if (ioctl(fd, BTRFS_IOC_TREE_SEARCH, &args) < 0)
                        return -errno;
                if (args.key.nr_items == 0)
                        return 0;
                size_t off = 0;
                struct btrfs_ioctl_search_header h;
                for (unsigned i = 0; i < args.key.nr_items; i++) {
                        memcpy(&h, args.buf + off, sizeof h);
                        off += sizeof h;
                        if (h.type == type) {
                                int r = fn(&h, args.buf + off, userdata);
                                if (r != 0)
                                        return r;
                        }
                        off += h.len;
                }
                /* Go on after the last key. */
                args.key.min_objectid = h.objectid;
                args.key.min_type = type;
                args.key.min_offset = h.offset + 1;
                if (h.offset == UINT64_MAX) {
                        if (h.objectid == max_obj)
                                return 0;
                        args.key.min_objectid = h.objectid + 1;
                        args.key.min_offset = min_off;
                }
        }
}

typedef struct FindSnapshot {
        int fd;
        const char *name;
        uint64_t id;
} FindSnapshot;

typedef struct StoreName {
        bool is_store;
} StoreName;

/* A ROOT_BACKREF of a subvolume: is it named like the store? */
static int check_store_name(const struct btrfs_ioctl_search_header *h, const void *item, void *userdata) {
        const struct btrfs_root_ref *ref = item;
        StoreName *d = userdata;
        uint16_t len = (uint16_t) le16toh(ref->name_len);
        if (sizeof *ref + len <= h->len && le64toh(ref->dirid) == BTRFS_FIRST_FREE_OBJECTID &&
            len == strlen(BTRFS_STORE_NAME) && memcmp((const char *) (ref + 1), BTRFS_STORE_NAME, len) == 0)
                d->is_store = true;
        return d->is_store;
}

/* A ROOT_BACKREF: subvolume h->objectid is in directory ref->dirid of
 * subvolume h->offset. The snapshot is at the top of the store, a
 * subvolume at the top of the top level. */
static int match_snapshot(const struct btrfs_ioctl_search_header *h, const void *item, void *userdata) {
        const struct btrfs_root_ref *ref = item;
        FindSnapshot *f = userdata;
        uint16_t len = (uint16_t) le16toh(ref->name_len);

        if (sizeof *ref + len > h->len || len != strlen(f->name) || memcmp((const char *) (ref + 1), f->name, len) != 0 ||
            le64toh(ref->dirid) != BTRFS_FIRST_FREE_OBJECTID)
                return 0;
        StoreName d = {};
        if (tree_search(f->fd, BTRFS_ROOT_TREE_OBJECTID, h->offset, h->offset, BTRFS_ROOT_BACKREF_KEY,
                        BTRFS_FS_TREE_OBJECTID, BTRFS_FS_TREE_OBJECTID, check_store_name, &d) < 0 || !d.is_store)
                return 0;
        f->id = h->objectid;
        return 1;
}

typedef struct QgroupInfo {
        bool found;
        uint64_t excl;
} QgroupInfo;

static int read_info(const struct btrfs_ioctl_search_header *h, const void *item, void *userdata) {
        const struct btrfs_qgroup_info_item *q = item;
        QgroupInfo *x = userdata;
        if (h->len < sizeof *q)
                return 0;
        x->found = true;
        x->excl = le64toh(q->excl);
        return 1;
}

static int read_status(const struct btrfs_ioctl_search_header *h, const void *item, void *userdata) {
        const struct btrfs_qgroup_status_item *s = item;
        if (h->len < sizeof *s)
                return 0;
        *(uint64_t *) userdata = le64toh(s->flags);
        return 1;
}

int btrfs_exclusive_bytes(int fs_fd, const char *handle, uint64_t *ret) {
        const char *p = handle ? strstr(handle, ":/" BTRFS_STORE_NAME "/") : NULL;
        FindSnapshot f = { .fd = fs_fd };
        QgroupInfo q = {};
        uint64_t flags = UINT64_MAX;
        int r;

        if (!p)
                return -EINVAL;
        f.name = p + strlen(":/" BTRFS_STORE_NAME "/");
        if (isempty(f.name) || strchr(f.name, '/'))
                return -EINVAL;

        /* Quotas: the status item says whether they are on and consistent. */
        r = tree_search(fs_fd, BTRFS_QUOTA_TREE_OBJECTID, 0, 0, BTRFS_QGROUP_STATUS_KEY, 0, UINT64_MAX,
                        read_status, &flags);
        if (r == -ENOENT || flags == UINT64_MAX || (flags & BTRFS_QGROUP_STATUS_FLAG_ON) == 0 ||
            (flags & BTRFS_QGROUP_STATUS_FLAG_INCONSISTENT))
                return -ENODATA;
        if (r < 0)
                return r;

        r = tree_search(fs_fd, BTRFS_ROOT_TREE_OBJECTID, BTRFS_FIRST_FREE_OBJECTID, BTRFS_LAST_FREE_OBJECTID,
                        BTRFS_ROOT_BACKREF_KEY, 0, UINT64_MAX, match_snapshot, &f);
        if (r < 0)
                return r;
        if (f.id == 0)
                return -ENOENT;
        r = tree_search(fs_fd, BTRFS_QUOTA_TREE_OBJECTID, 0, 0, BTRFS_QGROUP_INFO_KEY, f.id, f.id, read_info, &q);
        if (r < 0)
                return r;
        if (!q.found)
                return -ENODATA;
        *ret = q.excl;
        return 0;
}

#ifndef BTRFS_IOC_SUBVOL_SYNC_WAIT
/* Linux 6.8 and later. */
struct btrfs_ioctl_subvol_wait {
        __u64 subvolid;
        __u32 mode;
        __u32 count;
};
#define BTRFS_SUBVOL_SYNC_COUNT 2
#define BTRFS_IOC_SUBVOL_SYNC_WAIT _IOW(BTRFS_IOCTL_MAGIC, 65, struct btrfs_ioctl_subvol_wait)
#endif

/* How often, and how many times, to look whether the cleaner is done. */
#define WAIT_STEP_USEC  (50 * 1000)
#define WAIT_STEPS      1200

int btrfs_wait_deleted(int fd) {
        for (unsigned i = 0; i < WAIT_STEPS; i++) {
                struct btrfs_ioctl_subvol_wait w = { .mode = BTRFS_SUBVOL_SYNC_COUNT };

                /* A commit: the deletion is on disk, and the cleaner is woken to drop it. */
                if (ioctl(fd, BTRFS_IOC_SYNC, NULL) < 0)
                        return errno == ENOTTY || errno == EINVAL || errno == EOPNOTSUPP ?
                               (syncfs(fd) < 0 ? -errno : 0) : -errno;
                if (ioctl(fd, BTRFS_IOC_SUBVOL_SYNC_WAIT, &w) < 0) {
                        if (errno != ENOTTY && errno != EINVAL)
                                return -errno;
                        w.count = 0;    /* an older kernel cannot tell: one more commit is all it gets */
                }
                if (w.count == 0)
                        /* Dropped: one more commit, and its room is free. */
                        return ioctl(fd, BTRFS_IOC_SYNC, NULL) < 0 ? -errno : 0;
                usleep(WAIT_STEP_USEC);
        }
        return -ETIMEDOUT;
}
