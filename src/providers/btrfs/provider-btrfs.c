/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* provider-btrfs.c - read-only btrfs snapshots through libbtrfsutil */
#include <btrfsutil.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/btrfs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <linux/openat2.h>

#include "btrfs-legacy.h"
#include "btrfs-list.h"
#include "btrfs-store.h"
#include "fd-util.h"
#include "macro.h"
#include "provider.h"

/* Snapshots live in the store of their file system (btrfs-store.c), named
 * <set id>-<index>; sets made by earlier versions keep theirs in
 * <subvolume>/.stasis/<set id> (btrfs-legacy.c), read and deleted in place. */

static int btrfs_errno(void) {
        return errno > 0 ? -errno : -EIO;
}

static char *parent_dir(const char *path) {
        char *d = strdup(path);
        if (!d)
                return NULL;
        char *slash = strrchr(d, '/');
        if (slash == d)
                d[1] = 0;
        else if (slash)
                *slash = 0;
        return d;
}

/* The nearest directory at or above path, inside the mount, that is a subvolume root. */
static int find_subvolume_root(const char *path, const char *mount_point, char **ret) {
        _cleanup_free_ char *p = strdup(path);
        if (!p)
                return -ENOMEM;

        for (;;) {
                enum btrfs_util_error e = btrfs_util_is_subvolume(p);
                if (e == BTRFS_UTIL_OK) {
                        *ret = TAKE_PTR(p);
                        return 0;
                }
                if (e != BTRFS_UTIL_ERROR_NOT_SUBVOLUME)
                        return btrfs_errno();
                if (streq(p, mount_point) || streq(p, "/"))
                        return -ENOENT;
                char *up = parent_dir(p);
                if (!up)
                        return -ENOMEM;
                free(p);
                p = up;
        }
}

static int btrfs_probe(const StasisProvider *self, const MountEntry *m, const char *path, StasisVolume *v,
                       StasisProviderResult *res) {
        struct btrfs_util_subvolume_info info;
        _cleanup_free_ char *root = NULL;
        _cleanup_close_ int fd = -1;
        uint8_t fsid[BTRFS_FSID_SIZE];
        enum btrfs_util_error e;
        bool ro = false;
        int r;

        if (!streq(m->fstype, "btrfs"))
                return 0;

        r = find_subvolume_root(path, m->mount_point, &root);
        if (r == -ENOENT)
                return stasis_provider_result_set(res, -EOPNOTSUPP,
                                "the btrfs subvolume that holds %s is not visible below its mount %s "
                                "(a bind mount of a plain directory?)", path, m->mount_point);
        if (r < 0)
                return stasis_provider_result_set(res, r, "cannot find the btrfs subvolume of %s: %s",
                                                  path, strerror(-r));

        /* From here on by fd: what is recorded is what was looked at, and the
         * commit snapshots only a subvolume with this identity. */
        fd = openat2_fd(AT_FDCWD, root, O_RDONLY | O_DIRECTORY, RESOLVE_NO_SYMLINKS);
        if (fd < 0)
                return stasis_provider_result_set(res, fd, "cannot open btrfs subvolume %s: %s", root, strerror(-fd));
        r = fd_identity(fd, &v->source_identity);
        if (r < 0)
                return stasis_provider_result_set(res, r, "cannot look at btrfs subvolume %s: %s", root, strerror(-r));
        if (v->source_identity.mnt_id != 0 && v->source_identity.mnt_id != (uint64_t) m->mount_id)
                return stasis_provider_result_set(res, -ESTALE, "btrfs subvolume %s changed while %s was resolved",
                                                  root, path);

        e = btrfs_util_subvolume_info_fd(fd, 0, &info);
        if (e != BTRFS_UTIL_OK)
                return stasis_provider_result_set(res, btrfs_errno(), "cannot read btrfs subvolume %s: %s (%m)",
                                                  root, btrfs_util_strerror(e));
        e = btrfs_util_get_subvolume_read_only_fd(fd, &ro);
        if (e == BTRFS_UTIL_OK && ro)
                return stasis_provider_result_set(res, -EROFS,
                                "%s is on the read-only btrfs subvolume %s (a snapshot?); it cannot hold snapshots",
                                path, root);
        const char *base = strrchr(root, '/');
        if (info.parent_id == 5 && base && streq(base + 1, BTRFS_STORE_NAME))
                return stasis_provider_result_set(res, -EINVAL, "%s is in stasis's snapshot store %s", path, root);

        /* The volume is the subvolume: file system UUID and subvolume id. (A
         * subvolume's own UUID is not enough: the top level's is zero on file
         * systems made by older tools.) */
        r = btrfs_fsid_of_fd(fd, fsid);
        if (r < 0)
                return stasis_provider_result_set(res, r, "cannot read the btrfs file system of %s: %s",
                                                  root, strerror(-r));
        char key[96];
        int o = snprintf(key, sizeof key, "btrfs:");
        for (size_t i = 0; i < sizeof fsid; i++)
                o += snprintf(key + o, sizeof key - o, "%02x", fsid[i]);
        snprintf(key + o, sizeof key - o, ":%" PRIu64, info.id);

        v->hold = STASIS_HOLD_NONE;
        v->source = TAKE_PTR(root);
        v->key = strdup(key);
        if (!v->key)
                return -ENOMEM;
        return 100;
}

static int btrfs_prepare(const StasisProvider *self, StasisVolume *v, const char *set_id, size_t index,
                         StasisProviderResult *res) {
        uint8_t fsid[BTRFS_FSID_SIZE];
        uint64_t id;

        if (btrfs_key_parse(v->key, fsid, &id) < 0)
                return stasis_provider_result_set(res, -EINVAL, "%s is not a btrfs volume key", strempty(v->key));
        return btrfs_handle_format(fsid, set_id, index, &v->handle);
}

/* The stores a commit uses, one per file system, open for the commit. */
typedef struct StoreCache {
        BtrfsStore stores[8];
        size_t n;
} StoreCache;

static void store_cache_done(StoreCache *c) {
        for (size_t i = 0; i < c->n; i++)
                btrfs_store_close(&c->stores[i]);
        c->n = 0;
}

static int store_cache_get(StoreCache *c, const uint8_t fsid[BTRFS_FSID_SIZE], const char *rw_device, bool create,
                           BtrfsStore **ret, StasisProviderResult *res) {
        for (size_t i = 0; i < c->n; i++)
                if (memcmp(c->stores[i].fsid, fsid, BTRFS_FSID_SIZE) == 0) {
                        *ret = &c->stores[i];
                        return 0;
                }
        if (c->n == ELEMENTSOF(c->stores))
                store_cache_done(c);
        int r = btrfs_store_open(fsid, rw_device, create, &c->stores[c->n], res);
        if (r < 0)
                return r;
        *ret = &c->stores[c->n++];
        return 0;
}

/* The snapshot's directory and name, for either layout: 0 and both, or
 * -ENOENT when the directory it would be in is not there (so the snapshot
 * was never made), or a negative errno with res->message. */
static int locate(StoreCache *c, const StasisVolume *v, int *ret_dir_fd, uint64_t *ret_dir_id,
                  const char **ret_name, StasisProviderResult *res) {
        uint8_t fsid[BTRFS_FSID_SIZE], key_fsid[BTRFS_FSID_SIZE];
        uint64_t id;
        BtrfsStore *s;
        int r;

        if (!v->handle)
                return stasis_provider_result_set(res, -EINVAL, "no snapshot handle");
        if (v->handle[0] == '/')
                return btrfs_legacy_open(v, ret_dir_fd, ret_dir_id, ret_name, res);
        if (btrfs_handle_parse(v->handle, fsid, ret_name) <= 0 || btrfs_key_parse(v->key, key_fsid, &id) < 0 ||
            memcmp(fsid, key_fsid, sizeof fsid) != 0)
                return stasis_provider_result_set(res, -EPERM, "%s is not a stasis snapshot handle of %s; "
                                                  "not touching it", v->handle, strempty(v->source));
        r = store_cache_get(c, fsid, NULL, false, &s, res);
        if (r < 0)
                return r;
        *ret_dir_fd = fcntl(s->dir_fd, F_DUPFD_CLOEXEC, 3);
        if (*ret_dir_fd < 0)
                return -errno;
        *ret_dir_id = s->dir_id;
        return 0;
}

/* The root of a top-level mount of v's file system: the cached store's,
 * or (for the old layout, whose file system may have no store) a mount made
 * for this call, kept in top. */
static int top_level_fd(StoreCache *c, const StasisVolume *v, BtrfsStore *top, int *ret_fd, StasisProviderResult *res) {
        uint8_t fsid[BTRFS_FSID_SIZE];
        uint64_t id;

        if (btrfs_key_parse(v->key, fsid, &id) < 0)
                return stasis_provider_result_set(res, -EINVAL, "%s is not a btrfs volume key", strempty(v->key));
        for (size_t i = 0; i < c->n; i++)
                if (memcmp(c->stores[i].fsid, fsid, BTRFS_FSID_SIZE) == 0) {
                        *ret_fd = c->stores[i].mount_fd;
                        return 0;
                }
        int r = btrfs_mount_top_level(fsid, NULL, &top->tree_fd, &top->mount_fd, res);
        if (r < 0)
                return r;
        *ret_fd = top->mount_fd;
        return 0;
}

static int remove_one(StoreCache *c, const StasisVolume *v, StasisProviderResult *res) {
        _cleanup_(btrfs_store_close) BtrfsStore top = BTRFS_STORE_INIT;
        _cleanup_close_ int dfd = -1, fd = -1;
        const char *name = NULL;
        uint64_t dir_id = 0, snap_id;
        int top_fd = -1, r;

        r = locate(c, v, &dfd, &dir_id, &name, res);
        if (r == -ENOENT)
                return 0;       /* never made */
        if (r < 0)
                return r;
        r = btrfs_store_open_entry(dfd, dir_id, name, &fd);
        if (r == -ENOENT)
                return 0;
        if (r == -EPERM)
                return stasis_provider_result_set(res, r, "%s is not a snapshot stasis made; not deleting it", v->handle);
        if (r < 0)
                return stasis_provider_result_set(res, r, "cannot look at snapshot %s: %s", v->handle, strerror(-r));
        if (btrfs_util_subvolume_id_fd(fd, &snap_id) != BTRFS_UTIL_OK)
                return stasis_provider_result_set(res, btrfs_errno(), "cannot look at snapshot %s: %m", v->handle);
        fd = safe_close(fd);
        /* By the id of the subvolume just checked, through a mount of the
         * top level that stasisd made itself: nothing on the way to resolve,
         * and it works where stasisd sees the file system's own mounts
         * read-only (stasisd.service's ProtectSystem=strict). */
        r = top_level_fd(c, v, &top, &top_fd, res);
        if (r < 0)
                return r;
        enum btrfs_util_error e = btrfs_util_delete_subvolume_by_id_fd(top_fd, snap_id);
        if (e != BTRFS_UTIL_OK && errno != ENOENT)
                return stasis_provider_result_set(res, btrfs_errno(), "cannot delete snapshot %s: %s (%m)",
                                                  v->handle, btrfs_util_strerror(e));
        return 0;
}

static int btrfs_remove(const StasisProvider *self, const StasisVolume *v, StasisProviderResult *res) {
        StoreCache c = {};
        int r = remove_one(&c, v, res);
        store_cache_done(&c);
        return r;
}

static int snapshot_one(StoreCache *c, const StasisVolume *v, StasisProviderResult *res) {
        uint8_t fsid[BTRFS_FSID_SIZE], src_fsid[BTRFS_FSID_SIZE];
        _cleanup_close_ int src = -1;
        const char *name;
        BtrfsStore *s;
        int r;

        if (btrfs_handle_parse(v->handle, fsid, &name) <= 0)
                return stasis_provider_result_set(res, -EINVAL, "%s is not a stasis snapshot handle", v->handle);
        /* The subvolume resolved when the set was planned, and nothing else. */
        r = open_dir_checked(v->source, O_RDONLY, &v->source_identity, &src);
        if (r < 0)
                return stasis_provider_result_set(res, r, "%s changed after the set was planned (%s); not snapshotting it",
                                                  v->source, identity_error_reason(r));
        r = btrfs_fsid_of_fd(src, src_fsid);
        if (r >= 0 && memcmp(src_fsid, fsid, sizeof fsid) != 0)
                r = -ESTALE;
        if (r < 0)
                return stasis_provider_result_set(res, r, "%s changed after the set was planned (%s); not snapshotting it",
                                                  v->source, identity_error_reason(r));
        /* A file system mounted read-write here (its super block is then
         * read-write too) is mounted so once more by the device it was
         * planned on; any other is looked up (see btrfs_mount_top_level()). */
        struct statfs sfs;
        bool rw = fstatfs(src, &sfs) >= 0 && !(sfs.f_flags & ST_RDONLY);
        r = store_cache_get(c, fsid, rw ? v->device : NULL, true, &s, res);
        if (r < 0)
                return r;
        enum btrfs_util_error e = btrfs_util_create_snapshot_fd2(src, s->dir_fd, name,
                                                                 BTRFS_UTIL_CREATE_SNAPSHOT_READ_ONLY, NULL, NULL);
        if (e != BTRFS_UTIL_OK)
                return stasis_provider_result_set(res, btrfs_errno(), "cannot snapshot %s to %s: %s (%m)",
                                                  v->source, v->handle, btrfs_util_strerror(e));
        return 0;
}

static int btrfs_commit(const StasisProvider *self, StasisVolume * const *volumes, size_t n,
                        usec_t timeout, int abort_fd, StasisProviderResult *results) {
        StoreCache c = {};
        size_t done = 0;
        int r = 0;

        for (; done < n; done++) {
                r = snapshot_one(&c, volumes[done], &results[done]);
                if (r < 0)
                        break;
        }
        if (r >= 0) {
                store_cache_done(&c);
                return 0;
        }

        /* Undo: a set is all or nothing. */
        for (size_t i = 0; i < done; i++) {
                StasisProviderResult ignored = {};
                (void) remove_one(&c, volumes[i], &ignored);
                stasis_provider_result_set(&results[i], -ECANCELED, "rolled back: another volume of the set failed");
        }
        for (size_t i = done + 1; i < n; i++)
                stasis_provider_result_set(&results[i], -ECANCELED, "not attempted: another volume of the set failed");
        store_cache_done(&c);
        return r;
}

static int btrfs_exists(const StasisProvider *self, const StasisVolume *v) {
        StasisProviderResult res = {};
        _cleanup_close_ int dfd = -1, fd = -1;
        StoreCache c = {};
        const char *name;
        uint64_t dir_id;

        int r = locate(&c, v, &dfd, &dir_id, &name, &res);
        store_cache_done(&c);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        r = btrfs_store_open_entry(dfd, dir_id, name, &fd);
        if (r == -ENOENT)
                return 0;
        return r < 0 ? r : 1;
}

/* The snapshot's subvolume cloned out of the store's private mount of the
 * top level: a detached mount of that subvolume alone. */
static int btrfs_mount(const StasisProvider *self, const StasisVolume *v, const char *scratch, int *ret_mount_fd,
                       StasisProviderResult *res) {
        _cleanup_close_ int dfd = -1, fd = -1, tree = -1;
        StoreCache c = {};
        const char *name;
        uint64_t dir_id;

        int r = locate(&c, v, &dfd, &dir_id, &name, res);
        if (r >= 0) {
                r = btrfs_store_open_entry(dfd, dir_id, name, &fd);
                if (r < 0)
                        stasis_provider_result_set(res, r, r == -ENOENT ? "the snapshot %s is gone" :
                                                   "cannot open the snapshot %s: %s", v->handle, strerror(-r));
        }
        if (r >= 0) {
                tree = open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
                if (tree < 0)
                        r = stasis_provider_result_set(res, -errno, "cannot mount the snapshot %s: %m", v->handle);
        }
        if (r >= 0) {
                struct mount_attr attr = {
                        .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
                        .attr_clr = MOUNT_ATTR_NOEXEC,
                };
                if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
                        r = stasis_provider_result_set(res, -errno, "cannot make the mount of the snapshot %s "
                                                       "read-only: %m", v->handle);
        }
        store_cache_done(&c);
        if (r < 0)
                return r;
        *ret_mount_fd = TAKE_FD(tree);
        return 0;
}

const StasisProvider provider_btrfs = {
        .version = STASIS_PROVIDER_OPS_VERSION,
        .size = sizeof(StasisProvider),
        .name = "btrfs",
        .snapshots_directory = true,
        .probe = btrfs_probe,
        .prepare = btrfs_prepare,
        .commit = btrfs_commit,
        .remove = btrfs_remove,
        .exists = btrfs_exists,
        .list = btrfs_list,
        .mount = btrfs_mount,
};
