/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-create-request.h - a CreateSet with writers: Identify, then which volumes and writers take part */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "stasisd-manager.h"

/* Starts a CreateSet with writers: Identify, resolve, create, prepare. */
int create_request_start(Manager *m, sd_bus_message *msg, char **paths, char **selectors, const char *label,
                         bool persistent, bool require_writers, uid_t uid, sd_bus_error *error);
void create_requests_free(Manager *m);
