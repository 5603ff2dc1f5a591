/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* btrfs-list.h - what the snapshot stores of the mounted btrfs file systems hold */
#pragma once

#include "provider.h"

/* The list op of the btrfs provider: every "<set id>-<index>" snapshot in the
 * store of each mounted btrfs file system (btrfs-store.c). Snapshots of the
 * old layout, in <subvolume>/.stasis, are not listed: finding them would
 * mean walking every subvolume. */
int btrfs_list(const StasisProvider *self, StasisStoredSnapshot **ret, size_t *ret_n, StasisProviderResult *res);
