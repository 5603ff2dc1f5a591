/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* provider-btrfs.c - read-only btrfs snapshots through libbtrfsutil */
#include <btrfsutil.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/btrfs.h>
#include <sys/ioctl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "macro.h"
#include "provider.h"

/* Snapshots of a subvolume live in a subvolume ".stasis" at its top, so a
 * snapshot of the parent never contains them, named by set id. */
#define SNAPSHOT_DIR ".stasis"

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

        e = btrfs_util_subvolume_info(root, 0, &info);
        if (e != BTRFS_UTIL_OK)
                return stasis_provider_result_set(res, btrfs_errno(), "cannot read btrfs subvolume %s: %s (%m)",
                                                  root, btrfs_util_strerror(e));
        e = btrfs_util_get_subvolume_read_only(root, &ro);
        if (e == BTRFS_UTIL_OK && ro)
                return stasis_provider_result_set(res, -EROFS,
                                "%s is on the read-only btrfs subvolume %s (a snapshot?); it cannot hold snapshots",
                                path, root);

        /* The volume is the subvolume: file system UUID and subvolume id. (A
         * subvolume's own UUID is not enough: the top level's is zero on file
         * systems made by older tools.) */
        struct btrfs_ioctl_fs_info_args fs = {};
        _cleanup_close_ int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || ioctl(fd, BTRFS_IOC_FS_INFO, &fs) < 0)
                return stasis_provider_result_set(res, btrfs_errno(), "cannot read the btrfs file system of %s: %m",
                                                  root);
        char key[96];
        int o = snprintf(key, sizeof key, "btrfs:");
        for (size_t i = 0; i < sizeof fs.fsid; i++)
                o += snprintf(key + o, sizeof key - o, "%02x", fs.fsid[i]);
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
        const char *base = streq(v->source, "/") ? "" : v->source;
        if (asprintf(&v->handle, "%s/" SNAPSHOT_DIR "/%s", base, set_id) < 0) {
                v->handle = NULL;
                return -ENOMEM;
        }
        return 0;
}

static int ensure_snapshot_dir(const char *handle, StasisProviderResult *res) {
        _cleanup_free_ char *dir = parent_dir(handle);
        struct stat st;

        if (!dir)
                return -ENOMEM;
        if (stat(dir, &st) == 0) {
                if (!S_ISDIR(st.st_mode))
                        return stasis_provider_result_set(res, -ENOTDIR, "%s exists and is not a directory", dir);
                return 0;
        }
        if (errno != ENOENT)
                return stasis_provider_result_set(res, btrfs_errno(), "cannot access %s: %m", dir);

        enum btrfs_util_error e = btrfs_util_create_subvolume(dir, 0, NULL, NULL);
        if (e != BTRFS_UTIL_OK && errno != EEXIST)
                return stasis_provider_result_set(res, btrfs_errno(), "cannot create snapshot subvolume %s: %s (%m)",
                                                  dir, btrfs_util_strerror(e));
        (void) chmod(dir, 0700);
        return 0;
}

/* The snapshot area of a handle must be there: if it is not, the file system
 * is not mounted where it was, and "the snapshot is gone" would be a guess.
 * Unless the subvolume that would hold the area is there, a btrfs subvolume:
 * then no snapshot of it was ever taken (a set recorded, then stopped before
 * its commit, say by a writer); 1 then. */
static int check_snapshot_area(const char *handle, StasisProviderResult *res) {
        _cleanup_free_ char *dir = parent_dir(handle), *subvolume = NULL;
        struct stat st;

        if (!dir)
                return -ENOMEM;
        if (stat(dir, &st) >= 0 && S_ISDIR(st.st_mode))
                return 0;
        if (errno == ENOENT) {
                subvolume = parent_dir(dir);
                if (!subvolume)
                        return -ENOMEM;
                if (btrfs_util_is_subvolume(subvolume) == BTRFS_UTIL_OK)
                        return 1;
        }
        return stasis_provider_result_set(res, -ENODEV,
                                          "snapshot area %s is not there (is the btrfs file system mounted where "
                                          "it was?): %s", dir, strerror(errno));
}

static int remove_handle(const char *handle, StasisProviderResult *res) {
        enum btrfs_util_error e;
        int r;

        /* Only ever delete what this provider made. */
        if (!strstr(handle, "/" SNAPSHOT_DIR "/"))
                return stasis_provider_result_set(res, -EINVAL, "%s is not a stasis snapshot path", handle);
        r = check_snapshot_area(handle, res);
        if (r != 0)
                return r < 0 ? r : 0;   /* never made */

        errno = 0;
        e = btrfs_util_is_subvolume(handle);
        if (e == BTRFS_UTIL_ERROR_NOT_SUBVOLUME)
                return stasis_provider_result_set(res, -EINVAL, "%s is not a btrfs subvolume; not deleting it", handle);
        if (e != BTRFS_UTIL_OK) {
                if (errno == ENOENT)
                        return 0;
                return stasis_provider_result_set(res, btrfs_errno(), "cannot look at snapshot %s: %s (%m)",
                                                  handle, btrfs_util_strerror(e));
        }
        e = btrfs_util_delete_subvolume(handle, 0);
        if (e != BTRFS_UTIL_OK && errno != ENOENT)
                return stasis_provider_result_set(res, btrfs_errno(), "cannot delete snapshot %s: %s (%m)",
                                                  handle, btrfs_util_strerror(e));
        return 0;
}

static int btrfs_remove(const StasisProvider *self, const StasisVolume *v, StasisProviderResult *res) {
        return remove_handle(v->handle, res);
}

static int btrfs_commit(const StasisProvider *self, StasisVolume * const *volumes, size_t n,
                        usec_t timeout, int abort_fd, StasisProviderResult *results) {
        size_t done = 0;
        int r = 0;

        for (; done < n; done++) {
                const StasisVolume *v = volumes[done];
                enum btrfs_util_error e;

                r = ensure_snapshot_dir(v->handle, &results[done]);
                if (r < 0)
                        break;
                e = btrfs_util_create_snapshot(v->source, v->handle, BTRFS_UTIL_CREATE_SNAPSHOT_READ_ONLY, NULL, NULL);
                if (e != BTRFS_UTIL_OK) {
                        r = stasis_provider_result_set(&results[done], btrfs_errno(),
                                                       "cannot snapshot %s to %s: %s (%m)",
                                                       v->source, v->handle, btrfs_util_strerror(e));
                        break;
                }
        }
        if (r >= 0)
                return 0;

        /* Undo: a set is all or nothing. */
        for (size_t i = 0; i < done; i++) {
                StasisProviderResult ignored = {};
                (void) remove_handle(volumes[i]->handle, &ignored);
                stasis_provider_result_set(&results[i], -ECANCELED, "rolled back: another volume of the set failed");
        }
        for (size_t i = done + 1; i < n; i++)
                stasis_provider_result_set(&results[i], -ECANCELED, "not attempted: another volume of the set failed");
        return r;
}

static int btrfs_exists(const StasisProvider *self, const StasisVolume *v) {
        const char *handle = v->handle;
        StasisProviderResult res;
        int r = check_snapshot_area(handle, &res);
        if (r < 0)
                return r;
        errno = 0;
        enum btrfs_util_error e = btrfs_util_is_subvolume(handle);
        if (e == BTRFS_UTIL_OK)
                return 1;
        if (e == BTRFS_UTIL_ERROR_NOT_SUBVOLUME || errno == ENOENT || errno == ENOTDIR)
                return 0;
        return btrfs_errno();
}

const StasisProvider provider_btrfs = {
        .version = STASIS_PROVIDER_OPS_VERSION,
        .size = sizeof(StasisProvider),
        .name = "btrfs",
        .probe = btrfs_probe,
        .prepare = btrfs_prepare,
        .commit = btrfs_commit,
        .remove = btrfs_remove,
        .exists = btrfs_exists,
};
