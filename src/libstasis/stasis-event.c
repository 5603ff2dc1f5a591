/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-event.c - StasisEvent: one event for a writer's handler, and its answer to stasisd */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stasis-writer-internal.h"
#include "strv.h"

int event_new(StasisWriter *w, StasisWriterEvent type, StasisEvent **ret) {
        StasisEvent *e = calloc(1, sizeof(StasisEvent));

        if (!e)
                return -ENOMEM;
        e->components = calloc(1, sizeof(char *));
        if (!e->components) {
                free(e);
                return -ENOMEM;
        }
        e->n_ref = 1;
        e->writer = stasis_writer_ref(w);
        e->type = type;
        e->crash_atomic = -ENODATA;
        *ret = e;
        return 0;
}

static int reply_veto(StasisEvent *e) {
        const char *name = e->veto_retryable ? STASIS_ERROR_VETO_RETRYABLE : STASIS_ERROR_VETO;
        int r;

        r = sd_bus_reply_method_errorf(e->message, name, "%s", strempty(e->veto_reason));
        if (r == -EINVAL)       /* a reason that is not UTF-8 cannot go on the bus */
                r = sd_bus_reply_method_errorf(e->message, name, "(the reason given is not valid UTF-8)");
        return r;
}

static int reply_success(StasisEvent *e) {
        const char *json;
        int r;

        if (e->type == STASIS_EVENT_POST_SNAPSHOT || e->type == STASIS_EVENT_BACKUP_COMPLETE) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                r = sd_bus_message_new_method_return(e->message, &reply);
                if (r >= 0)
                        r = event_append_metadata(e, reply);
                if (r >= 0)
                        r = sd_bus_send(NULL, reply, NULL);
                if (r < 0)
                        return sd_bus_reply_method_errnof(e->message, -r, "Cannot send the backup metadata: %s",
                                                          strerror(-r));
                return r;
        }
        if (e->type != STASIS_EVENT_IDENTIFY)
                return sd_bus_reply_method_return(e->message, NULL);
        /* The handler may have changed the components. */
        r = writer_build_metadata(e->writer, &json);
        if (r < 0)
                return sd_bus_reply_method_errnof(e->message, -r, "%s", stasis_writer_last_error(e->writer));
        return sd_bus_reply_method_return(e->message, "s", json);
}

static int event_answer(StasisEvent *e, int error) {
        int r;

        if (e->answered)
                return -EALREADY;
        e->answered = true;
        if (!e->message && !e->channel_seq)
                return 0;       /* raised by the library: nobody waits for an answer */
        if ((e->vetoed || error < 0) && e->type == STASIS_EVENT_FREEZE)
                writer_freeze_failed(e->writer, e->set_id);
        if (e->channel_seq) {
                r = writer_channel_answer(e, error);
                e->channel_seq = 0;
                return r < 0 ? r : 0;
        }
        if (e->vetoed)
                r = reply_veto(e);
        else if (error < 0) {
                int errnum = error >= -4095 ? -error : EIO;     /* not an errno: a failure all the same */
                r = sd_bus_reply_method_errnof(e->message, errnum, "%s", strerror(errnum));
        } else
                r = reply_success(e);
        e->message = sd_bus_message_unref(e->message);
        return r < 0 ? r : 0;
}

int event_dispatch(StasisEvent *e, sd_bus_message *message) {
        WriterHandler *h = &e->writer->handlers[e->type];
        int r = 0;

        e->message = sd_bus_message_ref(message);
        if (h->handler)
                r = h->handler(e->writer, e->type, e, h->userdata);
        if (r != STASIS_EVENT_ASYNC)
                (void) event_answer(e, r);
        return 1;
}

StasisEvent *stasis_event_ref(StasisEvent *e) {
        if (e)
                e->n_ref++;
        return e;
}

StasisEvent *stasis_event_unref(StasisEvent *e) {
        if (!e || --e->n_ref > 0)
                return NULL;

        if ((e->message || e->channel_seq) && !e->answered)
                (void) event_answer(e, -ECANCELED);     /* dropped by an asynchronous handler */
        sd_bus_message_unref(e->message);
        free(e->set_id);
        strv_free(e->components);
        free(e->succeeded);
        free(e->reason);
        for (size_t i = 0; i < e->n_snapshots; i++) {
                free(e->snapshots[i].source);
                free(e->snapshots[i].snapshot);
        }
        free(e->snapshots);
        path_snapshots_free(e->paths);
        free(e->veto_reason);
        backup_metadata_list_clear(&e->metadata);
        stasis_writer_unref(e->writer);
        free(e);
        return NULL;
}

int stasis_event_complete(StasisEvent *e, int error) {
        if (!e)
                return -EINVAL;
        return event_answer(e, error);
}

int stasis_event_veto(StasisEvent *e, int retryable, const char *format, ...) {
        char *s = NULL;
        va_list ap;

        if (!e || !format)
                return -EINVAL;
        va_start(ap, format);
        if (vasprintf(&s, format, ap) < 0)
                s = NULL;       /* the veto stands, without its reason */
        va_end(ap);
        free(e->veto_reason);
        e->veto_reason = s;
        e->vetoed = true;
        e->veto_retryable = retryable;
        return -ECANCELED;
}

StasisWriterEvent stasis_event_type(const StasisEvent *e) {
        return e ? e->type : _STASIS_EVENT_MAX;
}

const char *stasis_event_set_id(const StasisEvent *e) {
        return e ? e->set_id : NULL;
}

const char *const *stasis_event_components(const StasisEvent *e) {
        static const char *const empty[] = { NULL };
        return e ? (const char *const *) e->components : empty;
}

int stasis_event_crash_atomic(const StasisEvent *e) {
        return e ? e->crash_atomic : -EINVAL;
}

uint64_t stasis_event_freeze_window_usec(const StasisEvent *e) {
        return e ? e->window_usec : 0;
}

int stasis_event_is_auto_thaw(const StasisEvent *e) {
        return e ? e->auto_thaw : -EINVAL;
}

const char *stasis_event_reason(const StasisEvent *e) {
        return e ? e->reason : NULL;
}

/* BackupComplete: the result of each component. PostRestore: the one
 * "succeeded" of the call, for each of its components. */
int stasis_event_component_succeeded(const StasisEvent *e, const char *component) {
        if (!e || !component)
                return -EINVAL;
        if (e->type != STASIS_EVENT_BACKUP_COMPLETE && e->type != STASIS_EVENT_POST_RESTORE)
                return -ENODATA;
        for (size_t i = 0; e->components[i]; i++)
                if (streq(e->components[i], component))
                        return e->type == STASIS_EVENT_POST_RESTORE ? e->succeeded[0] : e->succeeded[i];
        return -ENOENT;
}

int stasis_event_get_snapshot(const StasisEvent *e, unsigned index, const char **ret_source,
                              const char **ret_snapshot) {
        if (!e)
                return -EINVAL;
        if (index >= e->n_snapshots)
                return -ERANGE;
        if (ret_source)
                *ret_source = e->snapshots[index].source;
        if (ret_snapshot)
                *ret_snapshot = e->snapshots[index].snapshot;
        return 0;
}
