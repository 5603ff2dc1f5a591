/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* path-trust.c - open a file root may trust: owned by root and writable by nobody else, along its whole path */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "path-trust.h"

#define SYMLINKS_MAX 40

bool uid_is_trusted(uid_t uid) {
        return uid == 0 || uid == geteuid();
}

static const char *shown(const char *path) {
        return *path ? path : "/";
}

int stat_check_trusted(const struct stat *st, const char *path, bool sticky_ok, char *why, size_t why_size) {
        bool sticky = sticky_ok && S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX);

        if (!uid_is_trusted(st->st_uid)) {
                snprintf(why, why_size, "%s is owned by uid %u, not root", shown(path), (unsigned) st->st_uid);
                return -EPERM;
        }
        if (S_ISLNK(st->st_mode) || sticky)
                return 0;
        if (st->st_mode & S_IWOTH) {
                snprintf(why, why_size, "%s is writable by others", shown(path));
                return -EPERM;
        }
        if (st->st_mode & S_IWGRP) {
                snprintf(why, why_size, "%s is writable by its group", shown(path));
                return -EPERM;
        }
        return 0;
}

/* Appends "/name" (len bytes of it) to the path walked so far. */
static int done_push(char *done, const char *name, size_t len) {
        size_t l = strlen(done);
        if (l + 1 + len >= PATH_MAX)
                return -ENAMETOOLONG;
        done[l] = '/';
        memcpy(done + l + 1, name, len);
        done[l + 1 + len] = 0;
        return 0;
}

static void done_pop(char *done) {
        char *s = strrchr(done, '/');
        if (s)
                *s = 0;
}

static int open_root(int *fd, char *done, char *why, size_t why_size) {
        struct stat st;

        safe_close(*fd);
        done[0] = 0;
        *fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (*fd < 0 || fstat(*fd, &st) < 0) {
                int r = -errno;
                snprintf(why, why_size, "cannot open /: %s", strerror(-r));
                return r;
        }
        return stat_check_trusted(&st, done, true, why, why_size);
}

int path_open_trusted(const char *path, bool sticky_ok, int *ret_fd, struct stat *ret_st,
                      char *why, size_t why_size) {
        _cleanup_close_ int fd = -1;
        char todo[PATH_MAX], next[PATH_MAX], target[PATH_MAX], done[PATH_MAX];
        unsigned links = 0;
        struct stat st;
        int r;

        if (!path || path[0] != '/') {
                snprintf(why, why_size, "%s is not an absolute path", path ? path : "(null)");
                return -EINVAL;
        }
        if (strlen(path) >= sizeof todo) {
                snprintf(why, why_size, "%.64s... is too long", path);
                return -ENAMETOOLONG;
        }
        strcpy(todo, path);
        r = open_root(&fd, done, why, why_size);
        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0)
                return -errno;

        const char *p = todo;
        for (;;) {
                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                size_t len = strcspn(p, "/");
                const char *rest = p + len;
                bool last = !rest[strspn(rest, "/")];

                if (len == 1 && p[0] == '.') {
                        p = rest;
                        continue;
                }
                if (len == 2 && p[0] == '.' && p[1] == '.') {
                        int up = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
                        if (up < 0 || fstat(up, &st) < 0) {
                                r = -errno;
                                safe_close(up);
                                snprintf(why, why_size, "cannot open the directory above %s: %s", shown(done),
                                         strerror(-r));
                                return r;
                        }
                        safe_close(fd);
                        fd = up;
                        done_pop(done);
                        r = stat_check_trusted(&st, done, !last || sticky_ok, why, why_size);
                        if (r < 0)
                                return r;
                        p = rest;
                        continue;
                }

                char name[NAME_MAX + 1];
                if (len > NAME_MAX) {
                        snprintf(why, why_size, "a name in %s is too long", path);
                        return -ENAMETOOLONG;
                }
                memcpy(name, p, len);
                name[len] = 0;
                if (done_push(done, name, len) < 0) {
                        snprintf(why, why_size, "%.64s... is too long", path);
                        return -ENAMETOOLONG;
                }
                int child = openat(fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (child < 0 || fstat(child, &st) < 0) {
                        r = -errno;
                        safe_close(child);
                        snprintf(why, why_size, "cannot open %s: %s", done, strerror(-r));
                        return r;
                }

                if (S_ISLNK(st.st_mode)) {
                        ssize_t l = readlinkat(child, "", target, sizeof target - 1);
                        r = l < 0 ? -errno : 0;
                        safe_close(child);
                        if (r < 0) {
                                snprintf(why, why_size, "cannot read the symbolic link %s: %s", done, strerror(-r));
                                return r;
                        }
                        target[l] = 0;
                        if (++links > SYMLINKS_MAX) {
                                snprintf(why, why_size, "%s: too many symbolic links", path);
                                return -ELOOP;
                        }
                        r = stat_check_trusted(&st, done, false, why, why_size);
                        if (r < 0)
                                return r;
                        if (l == 0 || (size_t) l + 1 + strlen(rest) >= sizeof next) {
                                snprintf(why, why_size, "the symbolic link %s is empty or too long", done);
                                return -ELOOP;
                        }
                        /* Go on with the link's target, then what was left. */
                        memcpy(next, target, (size_t) l);
                        next[l] = '/';
                        strcpy(next + l + 1, rest);
                        strcpy(todo, next);
                        p = todo;
                        if (target[0] == '/') {
                                r = open_root(&fd, done, why, why_size);
                                if (r < 0)
                                        return r;
                        } else
                                done_pop(done);
                        continue;
                }

                safe_close(fd);
                fd = child;
                if (!last && !S_ISDIR(st.st_mode)) {
                        snprintf(why, why_size, "%s is not a directory", done);
                        return -ENOTDIR;
                }
                r = stat_check_trusted(&st, done, !last || sticky_ok, why, why_size);
                if (r < 0)
                        return r;
                p = rest;
        }

        /* The object itself: "/", or what a path ending in ".." names, is checked
         * as a directory on the way; check it as the object too. */
        r = stat_check_trusted(&st, done, sticky_ok, why, why_size);
        if (r < 0)
                return r;
        if (ret_st)
                *ret_st = st;
        *ret_fd = TAKE_FD(fd);
        return 0;
}
