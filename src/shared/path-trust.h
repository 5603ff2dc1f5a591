/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* path-trust.h - open a file root may trust: owned by root and writable by nobody else, along its whole path */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Is uid an owner root may trust: root itself, or the user this process runs
 * as (so a development build run by its user still works)? */
bool uid_is_trusted(uid_t uid);

/* Why st (of the object at path) cannot be trusted, in why ("PATH is owned
 * by uid N, not root", "PATH is writable by others", "PATH is writable by its
 * group"); 0 if it can. sticky_ok: a directory writable by others but with
 * the sticky bit (such as /tmp) is accepted, since nobody else can then
 * rename or remove the root-owned entries in it. Returns -EPERM otherwise. */
int stat_check_trusted(const struct stat *st, const char *path, bool sticky_ok, char *why, size_t why_size);

/* Opens path (absolute) as an O_PATH file descriptor, resolving it one
 * component at a time from "/" without letting the kernel follow any
 * symbolic link: every directory passed through (including those a
 * symbolic link leads through) must pass stat_check_trusted() with
 * sticky_ok, every symbolic link followed must be owned by a trusted user,
 * and the object itself must pass stat_check_trusted() (with sticky_ok
 * only if that is given). The file
 * descriptor returned is the object checked, so acting on it (fexecve(),
 * openat()) acts on what was checked. Its type is the caller's to check.
 * Returns 0 with *ret_fd (and *ret_st, if not NULL); -EPERM with the reason
 * in why; -ENOENT, -ENOTDIR, -ELOOP, ... with the path at fault in why. */
int path_open_trusted(const char *path, bool sticky_ok, int *ret_fd, struct stat *ret_st,
                      char *why, size_t why_size);
