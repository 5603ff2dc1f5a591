/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-writer-announce.c - telling stasisd of the metadata's changes and of the events the writer
 * handles (Manager.UpdateWriterMetadata), so that it sends no Identify and no event there is nothing to
 * do for */
#include <errno.h>
#include <string.h>

#include "stasis-writer-internal.h"
#include "strv.h"
#include "writer-event.h"

static bool has(const StasisWriter *w, StasisWriterEvent e) {
        return !!w->handlers[e].handler;
}

/* The events the writer takes: those it has a handler for, Freeze and Thaw
 * together (the library keeps the freeze timer), Abort with them (it thaws
 * first), PrepareSnapshot with PostSnapshot (it says where the component
 * paths are), and Identify too when the last update was refused. */
static int events_taken(const StasisWriter *w, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        bool freeze = has(w, STASIS_EVENT_FREEZE) || has(w, STASIS_EVENT_THAW);

        for (StasisWriterEvent e = 0; e < _STASIS_EVENT_MAX; e++) {
                bool take = has(w, e);
                if (e == STASIS_EVENT_FREEZE || e == STASIS_EVENT_THAW || e == STASIS_EVENT_ABORT)
                        take = take || freeze;
                if (e == STASIS_EVENT_IDENTIFY)
                        take = take || w->announce_refused;
                /* It tells where the component paths are, for PostSnapshot. */
                if (e == STASIS_EVENT_PREPARE_SNAPSHOT)
                        take = take || has(w, STASIS_EVENT_POST_SNAPSHOT);
                if (take && strv_extend(&l, writer_event_name(e)) < 0)
                        return -ENOMEM;
        }
        if (!l && !(l = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret = TAKE_PTR(l);
        return 0;
}

/* The metadata to send: "" while it is not valid (between clearing the
 * components and adding new ones, say); the next change sends it. */
static const char *metadata_to_send(StasisWriter *w) {
        char err[256];

        if (!w->metadata_json &&
            (writer_metadata_validate(w->meta, err, sizeof err) < 0 ||
             writer_metadata_to_json(w->meta, &w->metadata_json) < 0))
                return "";
        return w->metadata_json;
}

static int call_new(StasisWriter *w, const char *json, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_strv_free_ char **events = NULL;
        int r;

        r = events_taken(w, &events);
        if (r >= 0)
                r = sd_bus_message_new_method_call(w->client.bus, &m, STASIS_BUS_NAME, STASIS_MANAGER_PATH,
                                                   STASIS_MANAGER_INTERFACE, "UpdateWriterMetadata");
        if (r >= 0)
                r = sd_bus_message_append(m, "os", STASIS_WRITER_PATH, json);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, events);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

/* A refusal (a path that does not exist, say) leaves stasisd with the old
 * metadata: from then on it asks Identify again, as of a writer that
 * announces nothing, until an update is taken. A stasisd that does not
 * know the method identifies every time anyway. */
static int announce_send(StasisWriter *w, const char *json);

static void take_answer(StasisWriter *w, const sd_bus_error *e) {
        if (!e || sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_METHOD)) {
                if (w->announce_refused && !e) {
                        /* Taken at last: no more Identify (the call carried it). */
                        w->announce_refused = false;
                        (void) announce_send(w, "");
                }
                w->announce_refused = false;
                return;
        }
        writer_set_error(w, -sd_bus_error_get_errno(e), "stasisd refused the metadata: %s", e->message ?: e->name);
        w->announce_refused = true;
        (void) announce_send(w, "");    /* the events again, with Identify; the metadata as it was */
}

static int on_announce_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        _cleanup_(stasis_writer_unrefp) StasisWriter *w = stasis_writer_ref(userdata);

        w->announce_slot = sd_bus_slot_unref(w->announce_slot);
        if (sd_bus_is_open(w->client.bus))
                take_answer(w, sd_bus_message_get_error(m));
        return 0;
}

/* The answer to a call without metadata ("": the events only) changes nothing. */
static int on_events_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        return 0;
}

static int announce_send(StasisWriter *w, const char *json) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = call_new(w, json, &m);
        if (r >= 0 && isempty(json))
                r = sd_bus_call_async(w->client.bus, NULL, m, on_events_reply, NULL, 0);
        else if (r >= 0) {
                /* Calls on one connection arrive in order: an older answer may be dropped. */
                w->announce_slot = sd_bus_slot_unref(w->announce_slot);
                r = sd_bus_call_async(w->client.bus, &w->announce_slot, m, on_announce_reply, w, 0);
        }
        if (r < 0)
                return writer_set_error(w, r, "Cannot send UpdateWriterMetadata: %s", strerror(-r));
        return 0;
}

int writer_announce(StasisWriter *w) {
        if (!w->client.bus || w->state != STASIS_WRITER_REGISTERED)
                return 0;       /* registering sends the metadata, and announces when it is taken */
        return announce_send(w, metadata_to_send(w));
}

int writer_announce_sync(StasisWriter *w) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = call_new(w, metadata_to_send(w), &m);
        if (r < 0)
                return writer_set_error(w, r, "Cannot send UpdateWriterMetadata: %s", strerror(-r));
        r = sd_bus_call(w->client.bus, m, 0, &error, NULL);
        take_answer(w, r < 0 ? &error : NULL);
        return 0;
}
