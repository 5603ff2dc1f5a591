/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hooks-scan.c - the hook scripts of a directory: which run, in which order, and whether they may be trusted */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hooks-scan.h"
#include "macro.h"
#include "path-trust.h"
#include "strv.h"

static bool ends_with(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && streq(s + n - m, suffix);
}

bool hooks_name_skipped(const char *name) {
        if (name[0] == '.' || name[0] == '#' || ends_with(name, "~") || ends_with(name, "#"))
                return true;    /* hidden files, editor backups and lock files */
        if (ends_with(name, ".sample") || strstr(name, ".dpkg-") || ends_with(name, ".rpmnew") ||
            ends_with(name, ".rpmsave") || ends_with(name, ".rpmorig") || ends_with(name, ".swp") ||
            ends_with(name, ".bak") || ends_with(name, ".orig"))
                return true;
        return false;
}

static int compare(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int hooks_scan(const char *dir, char ***ret, char *err, size_t err_size) {
        _cleanup_strv_free_ char **l = NULL;
        struct stat st;
        DIR *d;
        int fd, r;

        r = path_open_trusted(dir, false, &fd, &st, err, err_size);
        if (r == -ENOENT) {
                /* No directory: no hooks. */
                *ret = calloc(1, sizeof(char *));
                return *ret ? 0 : -ENOMEM;
        }
        if (r < 0)
                return r;
        close(fd);
        if (!S_ISDIR(st.st_mode)) {
                snprintf(err, err_size, "%s is not a directory", dir);
                return -ENOTDIR;
        }
        d = opendir(dir);
        if (!d) {
                r = -errno;
                snprintf(err, err_size, "cannot read %s: %s", dir, strerror(-r));
                return r;
        }
        for (struct dirent *de; (de = readdir(d)); ) {
                _cleanup_free_ char *p = NULL;
                if (hooks_name_skipped(de->d_name))
                        continue;
                if (strv_length(l) >= HOOKS_MAX) {
                        snprintf(err, err_size, "%s has more than %d hooks", dir, HOOKS_MAX);
                        closedir(d);
                        return -E2BIG;
                }
                if (asprintf(&p, "%s/%s", dir, de->d_name) < 0) {
                        closedir(d);
                        return -ENOMEM;
                }
                r = path_open_trusted(p, false, &fd, &st, err, err_size);
                if (r < 0) {
                        closedir(d);
                        return r;
                }
                close(fd);
                if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
                        continue;       /* not an executable: left alone, as run-parts does */
                if (strv_extend(&l, p) < 0) {
                        closedir(d);
                        return -ENOMEM;
                }
        }
        closedir(d);
        if (!l && !(l = calloc(1, sizeof(char *))))
                return -ENOMEM;
        qsort(l, strv_length(l), sizeof(char *), compare);
        *ret = TAKE_PTR(l);
        return 0;
}
