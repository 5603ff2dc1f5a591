/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-resolve.c - turn requested paths into the volumes that hold them */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "bus-errors.h"
#include "echo.h"
#include "macro.h"
#include "mountinfo.h"
#include "stasisd-resolve.h"
#include "strv.h"

void volumes_free(StasisVolume *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                stasis_volume_done(&v[i]);
        free(v);
}

static int resolve_one(const MountTable *t, const char *path, bool allow_file, StasisVolume *ret, sd_bus_error *error) {
        _cleanup_free_ char *canonical = NULL;
        const MountEntry *m;
        StasisProviderResult res = {};
        StasisVolume v = {};
        int r;

        if (path[0] != '/')
                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                         "Path '%s' is not absolute", ECHO(path));
        if (strlen(path) >= PATH_MAX)
                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                         "Path '%.64s...' is longer than PATH_MAX", path);

        r = mount_table_find_path(t, path, &canonical, &m);
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
                r = mount_table_find_path(t, dir, &canonical, &m);
        }
        if (r == -ENOENT)
                return sd_bus_error_setf(error, STASIS_ERROR_NO_SUCH_PATH, "%s: no such file or directory", ECHO(path));
        if (r == -ENOTDIR)
                return sd_bus_error_setf(error, STASIS_ERROR_NOT_A_DIRECTORY,
                                         "%s is not a directory (a snapshot set takes directories)", ECHO(path));
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot resolve %s: %m", ECHO(path));

        r = stasis_provider_probe(m, canonical, &v, &res);
        if (r < 0) {
                stasis_volume_done(&v);
                return sd_bus_error_setf(error, STASIS_ERROR_NO_PROVIDER, "%s", res.message);
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
        return 0;
}

int resolve_path(MountCache *mounts, const char *path, bool allow_file, StasisVolume *ret, sd_bus_error *error) {
        const MountTable *t = NULL;
        int r = mount_cache_get(mounts, &t);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot read the mount table: %m");
        return resolve_one(t, path, allow_file, ret, error);
}

int resolve_paths(MountCache *mounts, char * const *paths, bool merge, size_t max_volumes,
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

                r = resolve_one(t, *p, false, &v, error);
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
