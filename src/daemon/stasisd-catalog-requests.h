/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-catalog-requests.h - the catalog's memory of creates that failed, by their requestor's id */
#pragma once

#include <sys/types.h>

#include "stasisd-catalog.h"
#include "time-util.h"

/* A failed create is remembered for this long, and only the latest so many
 * of them (docs/dbus-api.md). */
#define CATALOG_FAILED_REQUESTS_MAX 1000
#define CATALOG_FAILED_REQUESTS_AGE_USEC (7ULL * 24 * 3600 * USEC_PER_SEC)

/* Records that the create with request_id of uid failed at when (CLOCK_REALTIME)
 * with the D-Bus error error_name and its message; forgets what is too old or
 * beyond the bound, in the same transaction. */
int catalog_add_failed_request(Catalog *c, uid_t uid, const char *request_id, usec_t when,
                               const char *error_name, const char *error_message);

/* The failure recorded for request_id of uid, if it is younger than the
 * bound at now: 1 with *ret_name and *ret_message (freed by the caller); 0
 * if none. */
int catalog_find_failed_request(Catalog *c, uid_t uid, const char *request_id, usec_t now,
                                char **ret_name, char **ret_message);
