/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fd-util.c - openat2() and the identity of an open file, to act on what was resolved and nothing else */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fd-util.h"
#include "macro.h"

int openat2_fd(int dirfd, const char *path, int flags, uint64_t resolve) {
        struct open_how how = {
                .flags = (uint64_t) (flags | O_CLOEXEC),
                .resolve = resolve,
        };
        int fd;

        do
                fd = (int) syscall(SYS_openat2, dirfd, path, &how, sizeof how);
        while (fd < 0 && errno == EAGAIN);
        return fd < 0 ? -errno : fd;
}

int open_dir_nofollow(const char *path) {
        return openat2_fd(AT_FDCWD, path, O_PATH | O_DIRECTORY, RESOLVE_NO_SYMLINKS);
}

int fd_identity(int fd, FileIdentity *ret) {
        struct statx sx;

        if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_SYNC_AS_STAT, STATX_INO | STATX_MNT_ID, &sx) < 0)
                return -errno;
        *ret = (FileIdentity) {
                .mnt_id = (sx.stx_mask & STATX_MNT_ID) ? sx.stx_mnt_id : 0,
                .dev = makedev(sx.stx_dev_major, sx.stx_dev_minor),
                .ino = (ino_t) sx.stx_ino,
        };
        return 0;
}

bool file_identity_is_set(const FileIdentity *id) {
        return id->dev != 0 || id->mnt_id != 0;
}

bool file_identity_equal(const FileIdentity *a, const FileIdentity *b) {
        return a->dev == b->dev && a->ino == b->ino &&
                (a->mnt_id == 0 || b->mnt_id == 0 || a->mnt_id == b->mnt_id);
}

int open_dir_checked(const char *path, int flags, const FileIdentity *want, int *ret_fd) {
        FileIdentity now;
        int fd, r;

        /* (openat2() refuses O_NOCTTY with O_PATH.) */
        fd = openat2_fd(AT_FDCWD, path, flags | O_DIRECTORY | ((flags & O_PATH) ? 0 : O_NOCTTY), RESOLVE_NO_SYMLINKS);
        if (fd < 0)
                return fd;
        if (want && file_identity_is_set(want)) {
                r = fd_identity(fd, &now);
                if (r < 0) {
                        safe_close(fd);
                        return r;
                }
                if (!file_identity_equal(&now, want)) {
                        safe_close(fd);
                        return -ESTALE;
                }
        }
        *ret_fd = fd;
        return 0;
}

const char *identity_error_reason(int error) {
        switch (error) {
        case -ELOOP:
                return "it is now a symlink, or has one above it";
        case -ESTALE:
                return "it is now another directory or file system";
        case -ENOENT:
                return "it is gone";
        default:
                return strerror(-error);
        }
}
