/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-writer-announce.c - UpdateWriterMetadata: a writer tells stasisd of its metadata's changes and of
 * the events it handles, so that a set asks Identify only of writers that need it and sends no event a
 * writer has nothing to do for */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "bus-errors.h"
#include "echo.h"
#include "log.h"
#include "macro.h"
#include "stasisd-writer-announce.h"
#include "stasisd-writer-memory.h"
#include "strv.h"

bool writer_takes_event(const Writer *w, StasisWriterEvent event) {
        assert(w);
        assert(event >= 0 && event < _STASIS_EVENT_MAX);

        /* SetDeleted is newer than writers that do not announce: only to those that ask for it. */
        if (event == STASIS_EVENT_SET_DELETED)
                return w->announces && (w->events & (1U << event));
        return !w->announces || (w->events & (1U << event));
}

/* The events named, as a mask; Freeze and Thaw go together. */
static int parse_events(char **names, unsigned *ret, sd_bus_error *error) {
        unsigned mask = 0;

        STRV_FOREACH(n, names) {
                StasisWriterEvent e;
                for (e = 0; e < _STASIS_EVENT_MAX; e++)
                        if (streq(*n, writer_event_name(e)))
                                break;
                if (e == _STASIS_EVENT_MAX)
                        return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                                 "Unknown writer event '%s'", ECHO(*n));
                mask |= 1U << e;
        }
        if (!(mask & (1U << STASIS_EVENT_FREEZE)) != !(mask & (1U << STASIS_EVENT_THAW)))
                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                         "A writer that takes Freeze must take Thaw, and the other way round");
        *ret = mask;
        return 0;
}

int method_update_writer_metadata(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_writer_metadata_ WriterMetadata *meta = NULL;
        _cleanup_strv_free_ char **names = NULL;
        const char *path, *json;
        unsigned events = 0;
        char err[512];
        Writer *w;
        int r;

        /* Open to all: a connection can only update its own writers, which
         * it was allowed to register; their paths are checked as then. */
        r = sd_bus_message_read(msg, "os", &path, &json);
        if (r < 0)
                return r;
        r = sd_bus_message_read_strv(msg, &names);
        if (r < 0)
                return r;
        r = manager_caller_writer(m, msg, path, error, &w);
        if (r < 0)
                return r;
        r = parse_events(names, &events, error);
        if (r < 0)
                return r;
        if (!isempty(json) && !(w->meta_json && streq(json, w->meta_json))) {
                r = writer_metadata_parse(json, strlen(json), &meta, err, sizeof err);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return sd_bus_error_setf(error, r == -E2BIG ? STASIS_ERROR_LIMIT_EXCEEDED
                                                                    : STASIS_ERROR_INVALID_ARGUMENT,
                                                 "Writer metadata refused: %s", err);
                r = writer_check_paths(meta, w->uid, error);
                if (r < 0)
                        return r;
                r = writer_update_metadata(w, meta, err, sizeof err);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return sd_bus_error_setf(error, r == -E2BIG ? STASIS_ERROR_LIMIT_EXCEEDED
                                                                    : STASIS_ERROR_INVALID_ARGUMENT,
                                                 "Writer metadata refused: %s", err);
                meta = NULL;
                writer_memory_changed(m, w);    /* what it is shown with if it goes missing */
        }
        w->announces = true;
        w->events = events;
        log_debug("Writer %s announced metadata generation %" PRIu64 ", %s Identify.", w->display,
                  w->generation, writer_takes_event(w, STASIS_EVENT_IDENTIFY) ? "with" : "without");
        return sd_bus_reply_method_return(msg, "t", w->generation);
}
