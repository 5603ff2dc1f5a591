/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-writer-bus.c - a writer's bus connection: opening it, losing it, connecting again with back-off */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-util.h"
#include "stasis-writer-internal.h"

static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error);

static const char *bus_address(StasisWriter *w) {
        return w->client.bus_address ?: stasis_bus_address();
}

static int bus_open(StasisWriter *w, sd_bus **ret) {
        _cleanup_free_ char *description = NULL;

        if (asprintf(&description, "stasis-writer-%s", w->meta->writer) < 0)
                return -ENOMEM;
        return bus_open_address(bus_address(w), description, ret);
}

/* Drops the connection and what hangs on it, but not the freeze state. */
static void bus_close(StasisWriter *w) {
        w->vtable_slot = sd_bus_slot_unref(w->vtable_slot);
        w->owner_match_slot = sd_bus_slot_unref(w->owner_match_slot);
        w->owner_query_slot = sd_bus_slot_unref(w->owner_query_slot);
        w->register_slot = sd_bus_slot_unref(w->register_slot);
        w->announce_slot = sd_bus_slot_unref(w->announce_slot);
        w->disconnect_slot = sd_bus_slot_unref(w->disconnect_slot);
        writer_channel_close(w);
        free(w->coordinator);
        w->coordinator = NULL;
        if (!w->client.bus)
                return;
        (void) sd_bus_detach_event(w->client.bus);
        w->client.bus = sd_bus_flush_close_unref(w->client.bus);
}

/* Opens the connection and exports the object; the owner's match is made
 * by the caller (synchronously at start). */
static int connect_and_export(StasisWriter *w) {
        int r;

        r = bus_open(w, &w->client.bus);
        if (r < 0)
                return writer_set_error(w, r, "Cannot connect to %s: %s", bus_address(w) ?: "the system bus",
                                        strerror(-r));
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
        /* A match on the local sender: sd-bus asks the bus nothing. */
        r = sd_bus_match_signal(w->client.bus, &w->disconnect_slot, "org.freedesktop.DBus.Local",
                                "/org/freedesktop/DBus/Local", "org.freedesktop.DBus.Local", "Disconnected",
                                on_disconnected, w);
        if (r < 0)
                return writer_set_error(w, r, "Cannot watch the bus connection: %s", strerror(-r));
        return 0;
}

int writer_connect(StasisWriter *w) {
        int r;

        r = connect_and_export(w);
        if (r >= 0)
                r = writer_watch_owner(w, false);
        if (r >= 0)
                r = writer_find_coordinator_sync(w);
        if (r < 0) {
                writer_disconnect(w);
                return r;
        }
        return 0;
}

/* ---- Connecting again ---- */

static int on_reconnect_timer(sd_event_source *s, uint64_t usec, void *userdata);

static void schedule_reconnect(StasisWriter *w) {
        usec_t delay = w->reconnect_delay_usec ?: WRITER_RECONNECT_FIRST_USEC;
        int r;

        w->reconnect_delay_usec = MIN(delay * 2, WRITER_RECONNECT_MAX_USEC);
        if (w->reconnect_timer)
                r = sd_event_source_set_time_relative(w->reconnect_timer, delay);
        else
                r = sd_event_add_time_relative(w->client.event, &w->reconnect_timer, CLOCK_MONOTONIC, delay,
                                               10 * USEC_PER_MSEC, on_reconnect_timer, w);
        if (r >= 0)
                r = sd_event_source_set_priority(w->reconnect_timer, w->client.priority);
        if (r >= 0)
                r = sd_event_source_set_enabled(w->reconnect_timer, SD_EVENT_ONESHOT);
        if (r < 0)
                /* Nothing else will bring the writer back: say so. */
                writer_set_error(w, r, "The bus connection was lost, and connecting again cannot be scheduled: %s",
                                 strerror(-r));
}

/* Without waiting for any answer: the connection (a Unix socket connects
 * at once or fails), the object, the matches, GetNameOwner. Its answer, or
 * NameOwnerChanged, moves the writer on. */
static int reconnect(StasisWriter *w) {
        int r;

        bus_close(w);
        r = connect_and_export(w);
        if (r >= 0)
                r = writer_watch_owner(w, true);
        if (r >= 0)
                r = writer_find_coordinator_async(w);
        if (r < 0)
                bus_close(w);
        return r;
}

static int on_reconnect_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        _cleanup_(stasis_writer_unrefp) StasisWriter *w = stasis_writer_ref(userdata);

        if (reconnect(w) < 0)
                schedule_reconnect(w);  /* the failure is in last_error; the state stays DISCONNECTED */
        return 0;
}

static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        _cleanup_(stasis_writer_unrefp) StasisWriter *w = NULL;
        const char *reason = "the bus connection was lost";

        if (!bus_message_is_local(m))
                return 0;
        w = stasis_writer_ref(userdata);
        writer_set_error(w, -ECONNRESET, "The bus connection was lost");
        /* The old connection is closed by the next attempt, outside its own
         * dispatch. */
        writer_forget_coordinator(w, reason);   /* first: the thaw comes before all else */
        writer_enter(w, STASIS_WRITER_DISCONNECTED, reason);
        schedule_reconnect(w);
        return 0;
}

void writer_disconnect(StasisWriter *w) {
        w->reconnect_timer = sd_event_source_disable_unref(w->reconnect_timer);
        w->reconnect_delay_usec = 0;
        writer_unregister(w);
        bus_close(w);
        writer_freeze_state_clear(w);
        writer_enter(w, STASIS_WRITER_STOPPED, NULL);
}
