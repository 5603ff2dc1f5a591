/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-request-id.h - a requestor's own id for a create: the same id makes one set, or one failure */
#pragma once

#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "stasisd-manager.h"

#define REQUEST_ID_MAX 128              /* bytes */
#define MANAGER_REQUEST_WAITERS_MAX 256 /* CreateSet calls waiting for another with their request id */

/* A request id is UTF-8, 1 to 128 bytes, without control characters: 0, or
 * an InvalidArgument error that names it. */
int request_id_check(const char *id, sd_bus_error *error);

/* Before a CreateSet with request id id of uid makes anything: 0 if it is
 * a new request (make the set); 1 if msg is answered (the set made with
 * that id, or the failure remembered for it) or waits for the create with
 * that id under way (handler(msg, userdata) is called again when that one
 * is answered); a negative errno with error set. */
int request_id_lookup(Manager *m, sd_bus_message *msg, uid_t uid, const char *id,
                      sd_bus_message_handler_t handler, void *userdata, sd_bus_error *error);

/* LookupRequestId: the set that the create with id of uid made (1, *ret),
 * or an error: the remembered failure, or NoSuchSet. */
int request_id_find(Manager *m, uid_t uid, const char *id, Set **ret, sd_bus_error *error);

/* The create with id of uid was answered with an error: it is remembered
 * (except Busy, which asks to try again). Either an error (name set), or
 * the errno r. */
void request_id_failed(Manager *m, uid_t uid, const char *id, int r, const sd_bus_error *error);

/* A create with a request id was answered, or gave up: the calls waiting
 * for it are looked at again (from the event loop). */
void request_ids_answered(Manager *m);

void request_waiters_free(Manager *m);
