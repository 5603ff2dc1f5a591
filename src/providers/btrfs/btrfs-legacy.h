/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* btrfs-legacy.h - snapshots in the old layout, <subvolume>/.stasis/<set id>: found and deleted safely */
#pragma once

#include "provider.h"

/* For a volume whose handle is in the old layout: opens the .stasis of the
 * subvolume the set recorded (v->source, v->key) without following any
 * symlink, checks it is a root-owned 0700 subvolume directly inside that
 * subvolume, and returns it and the snapshot's name (pointing into
 * v->handle). -ENOENT when there is no .stasis (no snapshot was made);
 * -EPERM with res->message for anything not stasis's; -ENODEV when the
 * subvolume is not there to tell. */
int btrfs_legacy_open(const StasisVolume *v, int *ret_dir_fd, uint64_t *ret_dir_id, const char **ret_name,
                      StasisProviderResult *res);
