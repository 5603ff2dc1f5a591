/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-writer-register.c - a writer and stasisd: who owns org.stasis1, registering with it, leaving */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-util.h"
#include "stasis-writer-internal.h"

static bool error_is_no_coordinator(const sd_bus_error *e) {
        return sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER,
                                      SD_BUS_ERROR_NO_REPLY, SD_BUS_ERROR_DISCONNECTED);
}

static int on_register_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        _cleanup_(stasis_writer_unrefp) StasisWriter *w = stasis_writer_ref(userdata);
        const sd_bus_error *e = sd_bus_message_get_error(m);

        w->register_slot = sd_bus_slot_unref(w->register_slot);
        if (!sd_bus_is_open(w->client.bus))
                return 0;       /* the connection is lost: the Disconnected signal follows */
        if (!e) {
                writer_enter(w, STASIS_WRITER_REGISTERED, NULL);
                (void) writer_announce(w);
                (void) writer_channel_open(w);
                return 0;
        }
        if (error_is_no_coordinator(e)) {
                /* stasisd went away meanwhile; the next owner gets another try. */
                writer_enter(w, STASIS_WRITER_WAITING, "stasisd left the bus");
                return 0;
        }
        /* Nobody to tell but the state handler and stasis_writer_last_error();
         * a new owner of org.stasis1 gets another try. */
        writer_set_error(w, -sd_bus_error_get_errno(e), "stasisd refused the registration: %s",
                         e->message ?: e->name);
        writer_enter(w, STASIS_WRITER_REFUSED, stasis_writer_last_error(w));
        return 0;
}

static int register_async(StasisWriter *w) {
        const char *json;
        int r;

        w->register_slot = sd_bus_slot_unref(w->register_slot);
        r = writer_build_metadata(w, &json);
        if (r >= 0) {
                r = sd_bus_call_method_async(w->client.bus, &w->register_slot, STASIS_BUS_NAME, STASIS_MANAGER_PATH,
                                             STASIS_MANAGER_INTERFACE, "RegisterWriter", on_register_reply, w,
                                             "os", STASIS_WRITER_PATH, json);
                if (r < 0)
                        writer_set_error(w, r, "Cannot send RegisterWriter: %s", strerror(-r));
        }
        if (r < 0) {
                writer_enter(w, STASIS_WRITER_REFUSED, stasis_writer_last_error(w));
                return r;
        }
        writer_enter(w, STASIS_WRITER_REGISTERING, NULL);
        return 0;
}

/* At start: stasisd's refusal is the caller's error. If stasisd went away
 * meanwhile, the writer registers when it comes back. */
static int register_sync(StasisWriter *w) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *json;
        int r;

        r = writer_build_metadata(w, &json);
        if (r < 0)
                return r;
        writer_enter(w, STASIS_WRITER_REGISTERING, NULL);
        r = sd_bus_call_method(w->client.bus, STASIS_BUS_NAME, STASIS_MANAGER_PATH, STASIS_MANAGER_INTERFACE,
                               "RegisterWriter", &error, NULL, "os", STASIS_WRITER_PATH, json);
        if (r >= 0) {
                writer_enter(w, STASIS_WRITER_REGISTERED, NULL);
                r = writer_announce_sync(w);
                if (r >= 0)
                        r = writer_channel_open_sync(w);
                return r;
        }
        if (error_is_no_coordinator(&error)) {
                writer_enter(w, STASIS_WRITER_WAITING, "stasisd left the bus");
                return 0;
        }
        return writer_set_error(w, r, "stasisd refused the registration: %s",
                                error.message ?: error.name ?: strerror(-r));
}

static int set_coordinator(StasisWriter *w, const char *owner) {
        free(w->coordinator);
        w->coordinator = NULL;
        if (isempty(owner))
                return 0;
        w->coordinator = strdup(owner);
        return w->coordinator ? 0 : -ENOMEM;
}

void writer_forget_coordinator(StasisWriter *w, const char *reason) {
        bool had = w->coordinator;

        w->register_slot = sd_bus_slot_unref(w->register_slot);
        w->announce_slot = sd_bus_slot_unref(w->announce_slot);
        w->announce_refused = false;
        writer_channel_close(w);
        (void) set_coordinator(w, NULL);
        if (had)
                writer_coordinator_gone(w, reason);     /* calls the thaw handler */
}

/* org.stasis1 has a new owner, or none (new_owner NULL or ""). */
static void coordinator_changed(StasisWriter *w, const char *new_owner) {
        if (w->coordinator ? streq(w->coordinator, strempty(new_owner)) : isempty(new_owner))
                return;         /* known already */

        writer_forget_coordinator(w, "stasisd left the bus");   /* first: the thaw comes before all else */
        if (set_coordinator(w, new_owner) < 0) {
                writer_set_error(w, -ENOMEM, "Out of memory");
                writer_enter(w, STASIS_WRITER_WAITING, "out of memory");
        } else if (w->coordinator)
                (void) register_async(w);
        else
                writer_enter(w, STASIS_WRITER_WAITING, "stasisd left the bus");
}

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        _cleanup_(stasis_writer_unrefp) StasisWriter *w = stasis_writer_ref(userdata);
        const char *name, *old_owner, *new_owner;

        /* Only the bus says who owns org.stasis1: any client can send a
         * writer a signal that looks like this one. */
        if (!bus_message_from_driver(m))
                return 0;
        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 || !streq(name, STASIS_BUS_NAME))
                return 0;
        coordinator_changed(w, new_owner);
        return 0;
}

int writer_watch_owner(StasisWriter *w, bool async) {
        int r;

        if (async)
                /* A match the bus refuses closes the connection: the writer
                 * then connects again. */
                r = sd_bus_add_match_async(w->client.bus, &w->owner_match_slot, BUS_OWNER_MATCH(STASIS_BUS_NAME),
                                           on_name_owner_changed, NULL, w);
        else
                r = sd_bus_add_match(w->client.bus, &w->owner_match_slot, BUS_OWNER_MATCH(STASIS_BUS_NAME),
                                     on_name_owner_changed, w);
        if (r < 0)
                return writer_set_error(w, r, "Cannot watch the owner of %s: %s", STASIS_BUS_NAME, strerror(-r));
        return 0;
}

int writer_find_coordinator_sync(StasisWriter *w) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        char *owner;
        int r;

        /* The match is in place before GetNameOwner: a change in between is not missed. */
        r = bus_get_name_owner(w->client.bus, STASIS_BUS_NAME, &error, &owner);
        if (r < 0)
                return writer_set_error(w, r, "Cannot ask the bus who owns %s: %s", STASIS_BUS_NAME,
                                        error.message ?: strerror(-r));
        free(w->coordinator);
        w->coordinator = owner;
        if (!w->coordinator) {
                writer_enter(w, STASIS_WRITER_WAITING, "stasisd is not on the bus");
                return 0;
        }
        return register_sync(w);
}

static int on_owner_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        _cleanup_(stasis_writer_unrefp) StasisWriter *w = stasis_writer_ref(userdata);
        const sd_bus_error *e = sd_bus_message_get_error(m);
        const char *owner = NULL;

        w->owner_query_slot = sd_bus_slot_unref(w->owner_query_slot);
        if (!sd_bus_is_open(w->client.bus))
                return 0;       /* the connection is lost: the Disconnected signal follows */
        if (!bus_message_from_driver(m))
                return 0;
        if (e && !sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER)) {
                /* The connection is lost (its signal follows), or the bus is
                 * broken: recorded; NameOwnerChanged still tells. */
                writer_set_error(w, -sd_bus_error_get_errno(e), "Cannot ask the bus who owns %s: %s",
                                 STASIS_BUS_NAME, e->message ?: e->name);
                return 0;
        }
        if (!e && sd_bus_message_read(m, "s", &owner) < 0)
                owner = NULL;
        /* The bus answers: the next loss starts the back-off anew. */
        w->reconnect_delay_usec = WRITER_RECONNECT_FIRST_USEC;
        /* A NameOwnerChanged before this answer is older than it. */
        coordinator_changed(w, owner);
        if (!w->coordinator && w->state == STASIS_WRITER_DISCONNECTED)
                writer_enter(w, STASIS_WRITER_WAITING, "stasisd is not on the bus");
        return 0;
}

int writer_find_coordinator_async(StasisWriter *w) {
        int r;

        r = sd_bus_call_method_async(w->client.bus, &w->owner_query_slot, BUS_DRIVER_NAME, BUS_DRIVER_PATH,
                                     BUS_DRIVER_NAME, "GetNameOwner", on_owner_reply, w, "s", STASIS_BUS_NAME);
        if (r < 0)
                return writer_set_error(w, r, "Cannot ask the bus who owns %s: %s", STASIS_BUS_NAME, strerror(-r));
        return 0;
}

void writer_unregister(StasisWriter *w) {
        /* Best effort and without waiting for an answer: closing the
         * connection unregisters the writer anyway. */
        if (w->client.bus && w->state == STASIS_WRITER_REGISTERED)
                (void) sd_bus_call_method_async(w->client.bus, NULL, STASIS_BUS_NAME, STASIS_MANAGER_PATH,
                                                STASIS_MANAGER_INTERFACE, "UnregisterWriter", NULL, NULL,
                                                "o", STASIS_WRITER_PATH);
}
