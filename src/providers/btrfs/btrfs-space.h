/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* btrfs-space.h - how much a stasis snapshot holds alone: its qgroup's exclusive bytes */
#pragma once

#include <stdint.h>

/* The exclusive bytes of the snapshot that handle names (a handle of the
 * store layout, "FSID:/.stasis/ID-INDEX"), read from the quota tree through
 * fs_fd (any file of that file system; needs CAP_SYS_ADMIN). -ENODATA when
 * quotas are not enabled or their numbers are inconsistent (a rescan is
 * due): the size is then not known, and not guessed. -ENOENT when there is
 * no such snapshot; -EINVAL for a handle of another form. */
int btrfs_exclusive_bytes(int fs_fd, const char *handle, uint64_t *ret);

/* Waits until the snapshots deleted on fd's file system are gone and their
 * room is free again: commits (which wakes btrfs's cleaner) until the
 * kernel counts no deleted subvolume left to drop (at most a minute), then
 * commits once more. 0 on another file system (after syncfs()). Blocks:
 * for workers. */
int btrfs_wait_deleted(int fd);
