/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-resolve.c - turn requested paths into the volumes that hold them */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "bus-errors.h"
#include "escape.h"
#include "fd-util.h"
#include "echo.h"
#include "macro.h"
#include "mountinfo.h"
#include "stasisd-resolve.h"
#include "strv.h"
#include "utf8.h"

void volumes_free(StasisVolume *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                stasis_volume_done(&v[i]);
        free(v);
}

/* What a path resolved to goes into the catalog and out on the bus, where
 * strings must be UTF-8: a name that is not is refused, quoted escaped,
 * before anything is made. what says how the path came to it. */
static int check_utf8(const char *path, const char *what, const char *value, sd_bus_error *error) {
        _cleanup_free_ char *quoted = NULL;

        if (!value || utf8_is_valid(value))
                return 0;
        quoted = cescape_full(value, 256, ESCAPE_QUOTE);
        if (!quoted)
                return -ENOMEM;
        return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                 "Path %s %s %s, which is not UTF-8; stasis takes only names that are UTF-8",
                                 ECHO(path), what, quoted);
}

static int check_mount_utf8(const char *path, const char *canonical, const MountEntry *m, sd_bus_error *error) {
        int r = check_utf8(path, "resolves to", canonical, error);
        if (r == 0)
                r = check_utf8(path, "is on the mount point", m->mount_point, error);
        if (r == 0)
                r = check_utf8(path, "is on the device", m->source, error);
        if (r == 0)
                r = check_utf8(path, "is on the file system type", m->fstype, error);
        return r;
}

static int check_probe_utf8(const char *path, const StasisVolume *v, sd_bus_error *error) {
        int r = check_utf8(path, "was given by its provider the source", v->source, error);
        if (r == 0)
                r = check_utf8(path, "was given by its provider the volume key", v->key, error);
        return r;
}

static int resolve_one(const StasisProviders *providers, const MountTable *t, const char *path, bool allow_file, StasisVolume *ret, uid_t *ret_owner,
                       sd_bus_error *error) {
        _cleanup_free_ char *canonical = NULL;
        const MountEntry *m;
        StasisProviderResult res = {};
        StasisVolume v = {};
        uid_t owner = (uid_t) -1;
        int r;

        if (path[0] != '/')
                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                         "Path '%s' is not absolute", ECHO(path));
        if (strlen(path) >= PATH_MAX)
                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                         "Path '%.*s...' is longer than PATH_MAX",
                                         (int) utf8_prefix_len(path, 64), path);

        r = mount_table_find_path(t, path, &canonical, &m, &owner);
        if (r == -ENOTDIR && allow_file) {
                /* A file is on the volume of the directory that holds it. */
                _cleanup_free_ char *dir = strdup(path);
                char *slash = dir ? strrchr(dir, '/') : NULL;
                if (!dir)
                        return -ENOMEM;
                if (slash == dir)
                        slash[1] = 0;
                else if (slash)
                        *slash = 0;
                r = mount_table_find_path(t, dir, &canonical, &m, &owner);
        }
        if (r == -ENOENT)
                return sd_bus_error_setf(error, STASIS_ERROR_NO_SUCH_PATH, "%s: no such file or directory", ECHO(path));
        if (r == -ENOTDIR)
                return sd_bus_error_setf(error, STASIS_ERROR_NOT_A_DIRECTORY,
                                         "%s is not a directory (a snapshot set takes directories)", ECHO(path));
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot resolve %s: %m", ECHO(path));

        r = check_mount_utf8(path, canonical, m, error);
        if (r < 0)
                return r;

        r = stasis_provider_probe(providers, m, canonical, &v, &res);
        if (r < 0) {
                _cleanup_free_ char *msg = utf8_escape_invalid(res.message);
                stasis_volume_done(&v);
                if (!msg)
                        return -ENOMEM;
                return sd_bus_error_setf(error, STASIS_ERROR_NO_PROVIDER, "%s", msg);
        }
        r = check_probe_utf8(path, &v, error);
        if (r < 0) {
                stasis_volume_done(&v);
                return r;
        }

        /* Who the mount point is now: checked again before the freeze and
         * the snapshot, so that a path changed in between (a directory above
         * it swapped for a symlink) fails the set instead of reaching
         * something else. */
        _cleanup_close_ int mfd = open_dir_nofollow(m->mount_point);
        if (mfd < 0 || fd_identity(mfd, &v.mount_identity) < 0 ||
            (v.mount_identity.mnt_id != 0 && v.mount_identity.mnt_id != (uint64_t) m->mount_id)) {
                stasis_volume_done(&v);
                return sd_bus_error_setf(error, STASIS_ERROR_NO_SUCH_PATH,
                                         "The mount point %s of %s changed while it was being resolved: %s",
                                         m->mount_point, ECHO(path),
                                         identity_error_reason(mfd < 0 ? mfd : -ESTALE));
        }

        v.path = TAKE_PTR(canonical);
        v.mount_point = strdup(m->mount_point);
        v.device = strdup(m->source);
        v.fstype = strdup(m->fstype);
        if (!v.mount_point || !v.device || !v.fstype) {
                stasis_volume_done(&v);
                return -ENOMEM;
        }
        *ret = v;
        if (ret_owner)
                *ret_owner = owner;
        return 0;
}

int resolve_path(MountCache *mounts, const StasisProviders *providers, const char *path, bool allow_file, StasisVolume *ret, uid_t *ret_owner,
                 sd_bus_error *error) {
        const MountTable *t = NULL;
        int r = mount_cache_get(mounts, &t);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot read the mount table: %m");
        return resolve_one(providers, t, path, allow_file, ret, ret_owner, error);
}

int resolve_paths(MountCache *mounts, const StasisProviders *providers, char * const *paths, bool merge, size_t max_volumes,
                  StasisVolume **ret, size_t *ret_n, sd_bus_error *error) {
        const MountTable *t = NULL;
        size_t n_paths = strv_length(paths), n = 0;
        StasisVolume *volumes;
        int r;

        if (n_paths == 0)
                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT, "No paths given");

        r = mount_cache_get(mounts, &t);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot read the mount table: %m");

        volumes = calloc(n_paths, sizeof(StasisVolume));
        if (!volumes)
                return -ENOMEM;

        STRV_FOREACH(p, paths) {
                StasisVolume v;
                bool dup = false;

                r = resolve_one(providers, t, *p, false, &v, NULL, error);
                if (r < 0) {
                        volumes_free(volumes, n);
                        return r;
                }
                if (merge)
                        for (size_t i = 0; i < n && !dup; i++)
                                dup = streq(volumes[i].key, v.key);
                if (dup) {
                        stasis_volume_done(&v);
                        continue;
                }
                if (n >= max_volumes) {
                        stasis_volume_done(&v);
                        volumes_free(volumes, n);
                        return sd_bus_error_setf(error, STASIS_ERROR_LIMIT_EXCEEDED,
                                                 "The paths lie on more than %zu volumes, the most one set may have",
                                                 max_volumes);
                }
                volumes[n++] = v;
        }

        *ret = volumes;
        *ret_n = n;
        return 0;
}
