/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-writer-bus.c - a writer's bus connection: who owns org.stasis1, registering with it, leaving */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-util.h"
#include "stasis-writer-internal.h"

static int bus_open(StasisWriter *w, const char *address, sd_bus **ret) {
        _cleanup_free_ char *description = NULL;

        if (asprintf(&description, "stasis-writer-%s", w->meta->writer) < 0)
                return -ENOMEM;
        return bus_open_address(address, description, ret);
}

static int on_register_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        StasisWriter *w = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        w->register_slot = sd_bus_slot_unref(w->register_slot);
        if (e) {
                /* Nobody to tell but stasis_writer_last_error(); a new owner
                 * of org.stasis1 gets another try. */
                writer_set_error(w, -sd_bus_error_get_errno(e), "stasisd refused the registration: %s",
                                 e->message ?: e->name);
                return 0;
        }
        w->registered = true;
        return 0;
}

static int register_async(StasisWriter *w) {
        const char *json;
        int r;

        w->register_slot = sd_bus_slot_unref(w->register_slot);
        w->registered = false;
        r = writer_build_metadata(w, &json);
        if (r < 0)
                return r;
        r = sd_bus_call_method_async(w->client.bus, &w->register_slot, STASIS_BUS_NAME, STASIS_MANAGER_PATH,
                                     STASIS_MANAGER_INTERFACE, "RegisterWriter", on_register_reply, w,
                                     "os", STASIS_WRITER_PATH, json);
        if (r < 0)
                return writer_set_error(w, r, "Cannot send RegisterWriter: %s", strerror(-r));
        return 0;
}

static bool error_is_no_coordinator(const sd_bus_error *e) {
        return sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER,
                                      SD_BUS_ERROR_NO_REPLY, SD_BUS_ERROR_DISCONNECTED);
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
        r = sd_bus_call_method(w->client.bus, STASIS_BUS_NAME, STASIS_MANAGER_PATH, STASIS_MANAGER_INTERFACE,
                               "RegisterWriter", &error, NULL, "os", STASIS_WRITER_PATH, json);
        if (r >= 0) {
                w->registered = true;
                return 0;
        }
        if (error_is_no_coordinator(&error))
                return 0;
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

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        _cleanup_(stasis_writer_unrefp) StasisWriter *w = stasis_writer_ref(userdata);
        const char *name, *old_owner, *new_owner;
        bool had;

        /* Only the bus says who owns org.stasis1: any client can send a
         * writer a signal that looks like this one. */
        if (!bus_message_from_driver(m))
                return 0;
        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 || !streq(name, STASIS_BUS_NAME))
                return 0;
        if (w->coordinator ? streq(w->coordinator, new_owner) : isempty(new_owner))
                return 0;       /* known already (GetNameOwner at start answered it) */

        had = w->coordinator;
        w->registered = false;
        w->register_slot = sd_bus_slot_unref(w->register_slot);
        if (set_coordinator(w, new_owner) < 0)
                writer_set_error(w, -ENOMEM, "Out of memory");
        else if (w->coordinator)
                (void) register_async(w);
        if (had)
                writer_coordinator_gone(w, "stasisd left the bus");    /* last: it calls the thaw handler */
        return 0;
}

static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        _cleanup_(stasis_writer_unrefp) StasisWriter *w = NULL;

        if (!bus_message_is_local(m))
                return 0;
        w = stasis_writer_ref(userdata);
        writer_set_error(w, -ECONNRESET, "The bus connection was lost");
        w->registered = false;
        if (set_coordinator(w, NULL) >= 0)
                writer_coordinator_gone(w, "the bus connection was lost");
        if (!w->client.outer)
                sd_event_exit(w->client.event, -ECONNRESET);
        return 0;
}

static int get_name_owner(StasisWriter *w) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        char *owner;
        int r;

        r = bus_get_name_owner(w->client.bus, STASIS_BUS_NAME, &error, &owner);
        if (r < 0)
                return writer_set_error(w, r, "Cannot ask the bus who owns %s: %s", STASIS_BUS_NAME,
                                        error.message ?: strerror(-r));
        free(w->coordinator);
        w->coordinator = owner;
        return 0;
}

static int connect_and_export(StasisWriter *w) {
        const char *address = w->client.bus_address ?: stasis_bus_address();
        int r;

        r = bus_open(w, address, &w->client.bus);
        if (r < 0)
                return writer_set_error(w, r, "Cannot connect to %s: %s", address ?: "the system bus", strerror(-r));
        /* Not closed when the loop exits: stasis_writer_unref() still has
         * answers to send (events dropped unanswered) and UnregisterWriter. */
        r = sd_bus_set_close_on_exit(w->client.bus, 0);
        if (r >= 0)
                r = sd_bus_attach_event(w->client.bus, w->client.event, w->client.priority);
        if (r < 0)
                return writer_set_error(w, r, "Cannot attach the bus to the event loop: %s", strerror(-r));
        r = sd_bus_add_object_vtable(w->client.bus, &w->vtable_slot, STASIS_WRITER_PATH, STASIS_WRITER_INTERFACE,
                                     writer_vtable, w);
        if (r < 0)
                return writer_set_error(w, r, "Cannot export %s: %s", STASIS_WRITER_PATH, strerror(-r));
        r = sd_bus_match_signal(w->client.bus, &w->disconnect_slot, "org.freedesktop.DBus.Local",
                                "/org/freedesktop/DBus/Local", "org.freedesktop.DBus.Local", "Disconnected",
                                on_disconnected, w);
        if (r >= 0)
                r = sd_bus_add_match(w->client.bus, &w->owner_match_slot, BUS_OWNER_MATCH(STASIS_BUS_NAME),
                                     on_name_owner_changed, w);
        if (r < 0)
                return writer_set_error(w, r, "Cannot watch the owner of %s: %s", STASIS_BUS_NAME, strerror(-r));
        return 0;
}

int writer_connect(StasisWriter *w) {
        int r;

        /* The match before GetNameOwner: a change in between is not missed. */
        r = connect_and_export(w);
        if (r >= 0)
                r = get_name_owner(w);
        if (r >= 0 && w->coordinator)
                r = register_sync(w);
        if (r < 0) {
                writer_disconnect(w);
                return r;
        }
        return 0;
}

void writer_disconnect(StasisWriter *w) {
        if (!w->client.bus)
                return;
        /* Best effort and without waiting for an answer: closing the
         * connection unregisters the writer anyway. */
        if (w->registered)
                (void) sd_bus_call_method_async(w->client.bus, NULL, STASIS_BUS_NAME, STASIS_MANAGER_PATH,
                                                STASIS_MANAGER_INTERFACE, "UnregisterWriter", NULL, NULL,
                                                "o", STASIS_WRITER_PATH);
        w->registered = false;
        w->vtable_slot = sd_bus_slot_unref(w->vtable_slot);
        w->owner_match_slot = sd_bus_slot_unref(w->owner_match_slot);
        w->register_slot = sd_bus_slot_unref(w->register_slot);
        w->disconnect_slot = sd_bus_slot_unref(w->disconnect_slot);
        writer_freeze_state_clear(w);
        (void) set_coordinator(w, NULL);
        (void) sd_bus_detach_event(w->client.bus);
        w->client.bus = sd_bus_flush_close_unref(w->client.bus);
}
