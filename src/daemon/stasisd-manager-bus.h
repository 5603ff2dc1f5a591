/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-manager-bus.h - the org.stasis1.Manager interface at /org/stasis1 */
#pragma once

#include <systemd/sd-bus.h>

#include "stasisd-manager.h"
#include "stasisd-set.h"

extern const sd_bus_vtable manager_vtable[];
/* Exports the manager, the sets below it and the object manager. */
int manager_bus_export(Manager *m);

/* A CreateSet, its options read and checked: with writers or components
 * through a CreateRequest, else at once; msg is answered when the set is
 * made (> 0) or with error (< 0). RunPolicy uses it too. */
int manager_create_set(Manager *m, sd_bus_message *msg, char **paths, char **components, const char *label,
                       const char *request_id, bool persistent, bool require_writers, uid_t uid,
                       const SetCreateExtras *extras, sd_bus_error *error);
