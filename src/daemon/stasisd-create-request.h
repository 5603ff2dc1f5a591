/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-create-request.h - a CreateSet with writers: Identify, then which volumes and writers take part */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "stasisd-manager.h"
#include "stasisd-set.h"

/* Starts a CreateSet with writers: Identify, resolve, create, prepare. */
int create_request_start(Manager *m, sd_bus_message *msg, char **paths, char **selectors, const char *label,
                         const char *request_id, bool persistent, bool require_writers, uid_t uid,
                         const SetRetention *retention, sd_bus_error *error);
/* Whether a CreateSet with request_id of uid is asking the writers now. */
bool create_request_in_flight(Manager *m, uid_t uid, const char *request_id);
void create_requests_free(Manager *m);
