/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fd-util.h - openat2() and the identity of an open file, to act on what was resolved and nothing else */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Who a file is: the mount it was reached through, its device and inode. A
 * zero mnt_id and dev means "not recorded". */
typedef struct FileIdentity {
        uint64_t mnt_id;
        dev_t dev;
        ino_t ino;
} FileIdentity;

/* openat2(2) with how.flags = flags | O_CLOEXEC and how.resolve = resolve.
 * Returns the fd or a negative errno (ELOOP: a symlink on the way with
 * RESOLVE_NO_SYMLINKS; EXDEV: a way out of dirfd or across a mount). */
int openat2_fd(int dirfd, const char *path, int flags, uint64_t resolve);

/* Opens an absolute path as O_PATH | O_DIRECTORY without following a
 * symlink in any component. */
int open_dir_nofollow(const char *path);

int fd_identity(int fd, FileIdentity *ret);
bool file_identity_is_set(const FileIdentity *id);
bool file_identity_equal(const FileIdentity *a, const FileIdentity *b);

/* Opens path with flags (O_DIRECTORY is added), no symlink followed in any
 * component, and checks it is still want (when set). -ESTALE when it is
 * another file or mount; -ELOOP when a component is now a symlink. */
int open_dir_checked(const char *path, int flags, const FileIdentity *want, int *ret_fd);

/* What went wrong with open_dir_checked(), for a message: "it is now a
 * symlink (or has one above it)", "it is another file system or directory". */
const char *identity_error_reason(int error);
