/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-state-dir.c - the state directory: made root-only, refused if anyone else could change it */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "macro.h"
#include "path-trust.h"
#include "stasisd-state-dir.h"

static int refuse(const char *dir, int r, const char *why) {
        const char *rest = startswith(why, dir);

        /* "State directory D is writable by others", or "State directory D: /x is ...". */
        if (rest && *rest == ' ')
                log_error("State directory %s; it must be owned by root and writable by nobody else, "
                          "and so must every directory above it. Fix its owner and mode "
                          "(chown root:root %s; chmod 0700 %s) if what it holds can be trusted, "
                          "or name another with --state-dir.", why, dir, dir);
        else
                log_error("State directory %s: %s; it must be owned by root and writable by nobody else, "
                          "and so must every directory above it. Fix that, or name another with --state-dir.",
                          dir, why);
        return r;
}

int state_dir_setup(const char *dir) {
        char prefix[PATH_MAX], why[512];
        struct stat st;
        int fd, r;

        if (!dir || dir[0] != '/' || strlen(dir) >= sizeof prefix) {
                log_error("State directory '%s' must be an absolute path.", strempty(dir));
                return -EINVAL;
        }

        /* Each directory from the top, checked before anything is made in it. */
        for (size_t i = 1;; i++) {
                if (dir[i] != '/' && dir[i] != 0)
                        continue;
                if (dir[i - 1] != '/') {
                        memcpy(prefix, dir, i);
                        prefix[i] = 0;
                        bool whole = !dir[i + strspn(dir + i, "/")];
                        r = path_open_trusted(prefix, !whole, &fd, &st, why, sizeof why);
                        if (r == -ENOENT) {
                                if (mkdir(prefix, whole ? 0700 : 0755) < 0 && errno != EEXIST)
                                        return log_error_errno(-errno, "Failed to make state directory %s: %m",
                                                               prefix);
                                r = path_open_trusted(prefix, !whole, &fd, &st, why, sizeof why);
                        }
                        if (r < 0)
                                return refuse(dir, r, why);
                        safe_close(fd);
                        if (!S_ISDIR(st.st_mode)) {
                                if (whole)
                                        log_error("State directory %s is not a directory.", dir);
                                else
                                        log_error("State directory %s: %s is not a directory.", dir, prefix);
                                return -ENOTDIR;
                        }
                }
                if (!dir[i])
                        return 0;
        }
}
