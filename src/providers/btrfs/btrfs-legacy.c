/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* btrfs-legacy.c - snapshots in the old layout, <subvolume>/.stasis/<set id>: found and deleted safely */
#include <btrfsutil.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>

#include "btrfs-legacy.h"
#include "btrfs-store.h"
#include "fd-util.h"
#include "macro.h"

int btrfs_legacy_open(const StasisVolume *v, int *ret_dir_fd, uint64_t *ret_dir_id, const char **ret_name,
                      StasisProviderResult *res) {
        const char *source = v->source, *handle = v->handle, *p;
        _cleanup_close_ int sfd = -1, dfd = -1;
        uint8_t want_fsid[BTRFS_FSID_SIZE], fsid[BTRFS_FSID_SIZE];
        uint64_t want_id, id, dir_id;
        char why[64];
        int r;

        /* Exactly <source>/.stasis/<set id>: what earlier versions made. */
        p = source && source[0] == '/' ? startswith(handle, streq(source, "/") ? "" : source) : NULL;
        p = p ? startswith(p, "/" BTRFS_STORE_NAME "/") : NULL;
        if (!p || !btrfs_digits_valid(p, strlen(p)) || btrfs_key_parse(v->key, want_fsid, &want_id) < 0)
                return stasis_provider_result_set(res, -EPERM, "%s is not a stasis snapshot handle of %s; "
                                                  "not touching it", handle, strempty(source));

        sfd = openat2_fd(AT_FDCWD, source, O_RDONLY | O_DIRECTORY, RESOLVE_NO_SYMLINKS);
        if (sfd == -ELOOP)
                return stasis_provider_result_set(res, -EPERM, "%s is now reached through a symlink; "
                                                  "not touching snapshot %s", source, handle);
        if (sfd < 0)
                return stasis_provider_result_set(res, -ENODEV, "cannot tell whether snapshot %s exists: "
                                                  "subvolume %s: %s", handle, source, strerror(-sfd));
        r = btrfs_fsid_of_fd(sfd, fsid);
        if (r >= 0 && btrfs_util_subvolume_id_fd(sfd, &id) != BTRFS_UTIL_OK)
                r = -errno;
        if (r < 0 || memcmp(fsid, want_fsid, sizeof fsid) != 0 || id != want_id ||
            btrfs_util_is_subvolume_fd(sfd) != BTRFS_UTIL_OK)
                return stasis_provider_result_set(res, -EPERM, "%s is no longer the btrfs subvolume the set "
                                                  "recorded (%s); not touching snapshot %s", source, v->key, handle);

        dfd = openat2_fd(sfd, BTRFS_STORE_NAME, O_RDONLY | O_DIRECTORY | O_NOFOLLOW,
                         RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV);
        if (dfd == -ENOENT)
                return -ENOENT;
        if (dfd == -ELOOP || dfd == -ENOTDIR)
                btrfs_store_describe_nondir(sfd, BTRFS_STORE_NAME, why, sizeof why);
        else if (dfd < 0)
                return stasis_provider_result_set(res, dfd, "cannot open %s/" BTRFS_STORE_NAME ": %s",
                                                  source, strerror(-dfd));
        else {
                struct btrfs_util_subvolume_info info;
                r = btrfs_store_check_dir(dfd, why, sizeof why);
                if (r < 0 && r != -EPERM)
                        return stasis_provider_result_set(res, r, "cannot look at %s/" BTRFS_STORE_NAME ": %s",
                                                          source, strerror(-r));
                if (r >= 0 && (btrfs_util_subvolume_info_fd(dfd, 0, &info) != BTRFS_UTIL_OK || info.parent_id != id)) {
                        snprintf(why, sizeof why, "not a subvolume of %s", source);
                        r = -EPERM;
                }
                if (r >= 0)
                        dir_id = info.id;
        }
        if (dfd < 0 || r < 0)
                return stasis_provider_result_set(res, -EPERM, "%s/" BTRFS_STORE_NAME " is not a root-owned 0700 "
                                                  "btrfs subvolume (%s); not touching snapshot %s", source, why, handle);
        *ret_dir_fd = TAKE_FD(dfd);
        *ret_dir_id = dir_id;
        *ret_name = p;
        return 0;
}
