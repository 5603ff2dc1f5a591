/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-create-request.h - a CreateSet with writers: Identify, then which volumes and writers take part */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "stasisd-manager.h"
#include "stasisd-set.h"

/* Starts a CreateSet with writers: Identify, resolve, create, prepare. */
/* Writers one CreateSet may leave out (each shown with the set). */
#define CREATE_EXCLUDE_WRITERS_MAX 64

/* extras (may be NULL): the writers in extras->excluded (WRITER[@INSTANCE])
 * are not called at all; the rest goes to set_create(). */
int create_request_start(Manager *m, sd_bus_message *msg, char **paths, char **selectors, const char *label,
                         const char *request_id, bool persistent, bool require_writers, uid_t uid,
                         const SetCreateExtras *extras, sd_bus_error *error);
/* Starts a FreezeExternal: the same, for an external set with freeze window
 * window (SET_EXTERNAL_WINDOW_DEFAULT: stasisd's); no paths and no selectors:
 * every component of every writer. freeze_timeout (0: none): the writers'
 * Freeze ends that long from now, answered or not. */
int create_request_start_external(Manager *m, sd_bus_message *msg, char **paths, char **selectors,
                                  const char *label, uid_t uid, usec_t window, usec_t freeze_timeout,
                                  sd_bus_error *error);
/* Whether a CreateSet with request_id of uid is asking the writers now. */
bool create_request_in_flight(Manager *m, uid_t uid, const char *request_id);
/* Whether a FreezeExternal is asking the writers now. */
bool create_request_external_in_flight(Manager *m);
void create_requests_free(Manager *m);
