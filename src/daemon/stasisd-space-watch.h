/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-space-watch.h - snapshots that fill up: grow them, release sets that are not persistent to make room, mark the lost ones invalid */
#pragma once

#include "stasisd-manager.h"

/* Starts looking, every [Space] WatchIntervalSec= (stasisd.conf), at how
 * full the snapshots of every made set are, through the providers that can
 * tell (their space op: the LVM provider). A snapshot of fixed size (an LVM
 * classic snapshot) that is ExtendAtPercent= full is grown by
 * ExtendByPercent= of its size when its group has room; when it has not (or
 * a thin pool is that full), the oldest set that is not persistent and has
 * a snapshot there is released to make room. A snapshot the provider
 * dropped marks its set invalid. Each of these is an event of the set
 * (stasisd-set-events.h). Checks run in a worker, never during a commit, and
 * commits wait for one under way. */
int manager_space_watch_start(Manager *m);
void manager_space_watch_free(Manager *m);
