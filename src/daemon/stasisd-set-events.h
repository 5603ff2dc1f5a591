/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set-events.h - what happened to a set after it was made (a snapshot grown, a set released for room, a snapshot invalidated) */
#pragma once

#include <systemd/sd-bus.h>

#include "stasisd-manager.h"
#include "time-util.h"

#define SET_EVENTS_MAX 64               /* kept per set, the newest */
#define SET_EVENT_TEXT_MAX 512

typedef struct SetEvent {
        usec_t at;                      /* CLOCK_REALTIME */
        char *text;
} SetEvent;

/* Logs "Set ID: TEXT" at level, records it in the catalog with the set and
 * shows it in the set's Events property. */
int set_add_event(Set *s, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The text of the newest event; NULL if none. */
const char *set_last_event(const Set *s);

void set_events_free(Set *s);

/* At start-up, after the sets are loaded: their events from the catalog. */
int manager_load_set_events(Manager *m);

/* The Events property: a(ts), when and what, oldest first. */
int set_events_property(sd_bus *bus, const char *path, const char *interface, const char *property,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error);
