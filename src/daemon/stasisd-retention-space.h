/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-retention-space.h - the free-space floor of a policy (MinFreePercent=), and a set's exclusive size */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "stasisd-manager.h"
#include "stasisd-policy.h"

/* What goes on once the floor is met: make the set. */
typedef int (*space_proceed_t)(Manager *m, sd_bus_message *msg, const Policy *p, uid_t uid, sd_bus_error *error);

/* Before policy p makes a set: while a file system of its Paths= has less
 * free than MinFreePercent=, removes its oldest set that is not in use
 * (recorded in the history, why) and waits for the room to come back; then
 * proceed(). When the floor cannot be met (no set of the policy left to
 * remove), msg is answered with NoSpace, naming the file system. Returns
 * proceed()'s answer at once if the floor is met (or there is none), > 0
 * when it goes on later, < 0 on failure. */
int retention_space_make_room(Manager *m, sd_bus_message *msg, const Policy *p, uid_t uid, space_proceed_t proceed,
                              sd_bus_error *error);

/* Set.GetExclusiveSize: the bytes the set's snapshots hold alone (btrfs
 * quota groups), or UINT64_MAX and why it is not known. */
int method_set_exclusive_size(sd_bus_message *msg, void *userdata, sd_bus_error *error);
