/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-resolve.h - turn requested paths into the volumes that hold them */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "mountinfo.h"
#include "provider.h"

/* Resolves each absolute path to its mount, file system and provider. With
 * merge, paths on one volume become one volume (the first path names it);
 * without, there is one volume per path, in order. Errors name the path:
 * NoSuchPath, NotADirectory, NoProvider, InvalidArgument. */
int resolve_paths(MountCache *mounts, const StasisProviders *providers, char * const *paths, bool merge, size_t max_volumes,
                  StasisVolume **ret, size_t *ret_n, sd_bus_error *error);

/* One path; with allow_file a file is taken as the directory holding it.
 * ret_owner (may be NULL) is the owner of that directory, from the same
 * lookup as the volume. */
int resolve_path(MountCache *mounts, const StasisProviders *providers, const char *path, bool allow_file, StasisVolume *ret, uid_t *ret_owner,
                 sd_bus_error *error);

void volumes_free(StasisVolume *v, size_t n);
