/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set-events.c - what happened to a set after it was made (a snapshot grown, a set released for room, a snapshot invalidated) */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "list.h"
#include "log.h"
#include "macro.h"
#include "stasis/stasis.h"
#include "stasisd-catalog-events.h"
#include "stasisd-set-events.h"
#include "stasisd-set.h"

static int append(Set *s, usec_t at, const char *text) {
        if (s->n_events == SET_EVENTS_MAX) {
                free(s->events[0].text);
                memmove(s->events, s->events + 1, (SET_EVENTS_MAX - 1) * sizeof *s->events);
                s->n_events--;
        }
        if (!s->events && !(s->events = calloc(SET_EVENTS_MAX, sizeof *s->events)))
                return -ENOMEM;
        char *t = strdup(text);
        if (!t)
                return -ENOMEM;
        s->events[s->n_events++] = (SetEvent) { .at = at, .text = t };
        return 0;
}

int set_add_event(Set *s, int level, const char *fmt, ...) {
        char text[SET_EVENT_TEXT_MAX];
        va_list ap;
        int r;

        va_start(ap, fmt);
        vsnprintf(text, sizeof text, fmt, ap);
        va_end(ap);
        log_full_errno(level, 0, "Set %s: %s", s->id, text);

        usec_t at = now_usec(CLOCK_REALTIME);
        r = append(s, at, text);
        if (r < 0)
                return log_oom();
        r = catalog_add_set_event(s->manager->catalog, s->id_num, at, text, SET_EVENTS_MAX);
        if (r < 0)
                log_error_errno(r, "Set %s: failed to record the event in the catalog: %s", s->id,
                                catalog_last_error(s->manager->catalog));
        if (s->object_path && s->manager->bus)
                (void) sd_bus_emit_properties_changed(s->manager->bus, s->object_path, STASIS_SET_INTERFACE,
                                                      "Events", NULL);
        return 0;
}

const char *set_last_event(const Set *s) {
        return s->n_events > 0 ? s->events[s->n_events - 1].text : NULL;
}

void set_events_free(Set *s) {
        for (size_t i = 0; i < s->n_events; i++)
                free(s->events[i].text);
        s->events = mfree(s->events);
        s->n_events = 0;
}

static int event_found(uint64_t id, usec_t at, const char *event, void *userdata) {
        Manager *m = userdata;
        char sid[24];
        snprintf(sid, sizeof sid, "%llu", (unsigned long long) id);
        Set *s = manager_find_set(m, sid);
        return s ? append(s, at, event) : 0;
}

int manager_load_set_events(Manager *m) {
        int r = catalog_load_set_events(m->catalog, event_found, m);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0)
                log_error_errno(r, "Failed to read the sets' events from the catalog: %s",
                                catalog_last_error(m->catalog));
        /* An invalid set says why: its newest event that told it. */
        LIST_FOREACH(sets, s, m->sets)
                for (size_t i = s->n_events; s->state == SET_INVALID && !s->error && i > 0; i--)
                        if (strstr(s->events[i - 1].text, " is invalid: ") &&
                            !(s->error = strdup(s->events[i - 1].text)))
                                return log_oom();
        return 0;
}

int set_events_property(sd_bus *bus, const char *path, const char *interface, const char *property,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Set *s = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "(ts)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < s->n_events; i++) {
                r = sd_bus_message_append(reply, "(ts)", (uint64_t) s->events[i].at, s->events[i].text);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}
