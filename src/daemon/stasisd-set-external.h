/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set-external.h - external sets: writers frozen while someone else (a hypervisor) snapshots */
#pragma once

#include "stasisd-set.h"

/* The set's writers froze (or it has none): phase external-frozen. Answers
 * FreezeExternal, holds (nothing writes to a file system until the thaw) and
 * arms the end of the freeze window; done(s) follows at ThawExternal or at
 * that end. */
void set_external_frozen(Set *s, set_step_done_t done);
/* ThawExternal for s (in phase external-frozen): msg is answered once the
 * writers are thawed and the set is recorded. */
int set_external_thaw(Set *s, sd_bus_message *msg);
/* ThawExternal for s while its writers are still being prepared or frozen
 * (the caller of FreezeExternal gave up waiting): answered once they froze
 * and are thawed again. Busy if a thaw already waits. */
int set_external_thaw_later(Set *s, sd_bus_message *msg, sd_bus_error *error);
/* The writers are thawed and told: the set is recorded (created, or failed
 * if the window passed), the turn goes on. */
void set_external_finished(Set *s);

/* The external set being made or frozen, if any (at most one). */
Set *manager_external_set(Manager *m);
/* The newest external set, whatever its phase; NULL if none. */
Set *manager_last_external_set(Manager *m);
