/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-requestor-watch.c - telling a requestor of sets that appear, change and vanish, from stasisd's signals only */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-util.h"
#include "stasis-requestor-internal.h"

#define OBJECT_MANAGER_INTERFACE "org.freedesktop.DBus.ObjectManager"
#define PROPERTIES_INTERFACE "org.freedesktop.DBus.Properties"

/* sender= lets the bus deliver only what the owner of org.stasis1 sends;
 * the handlers check the sender again (from_stasisd()) against the owner
 * the library followed, in case the bus or the match is not that strict. */
#define ADDED_MATCH                                                                     \
        "type='signal',sender='" STASIS_BUS_NAME "',path='" STASIS_MANAGER_PATH "',"     \
        "interface='" OBJECT_MANAGER_INTERFACE "',member='InterfacesAdded'"
#define REMOVED_MATCH                                                                   \
        "type='signal',sender='" STASIS_BUS_NAME "',path='" STASIS_MANAGER_PATH "',"     \
        "interface='" OBJECT_MANAGER_INTERFACE "',member='InterfacesRemoved'"
#define CHANGED_MATCH                                                                   \
        "type='signal',sender='" STASIS_BUS_NAME "',path_namespace='" STASIS_SET_PATH_PREFIX "'," \
        "interface='" PROPERTIES_INTERFACE "',member='PropertiesChanged',arg0='" STASIS_SET_INTERFACE "'"

void requestor_watch_stop(StasisRequestor *r) {
        r->owner_slot = sd_bus_slot_unref(r->owner_slot);
        for (size_t i = 0; i < ELEMENTSOF(r->signal_slots); i++)
                r->signal_slots[i] = sd_bus_slot_unref(r->signal_slots[i]);
        r->owner = mfree(r->owner);
        r->set_handler = NULL;
        r->set_userdata = NULL;
}

static bool from_stasisd(StasisRequestor *r, sd_bus_message *m) {
        const char *sender = sd_bus_message_get_sender(m);

        return r->owner && sender && streq(sender, r->owner);
}

static void tell(StasisRequestor *r, StasisSetChange change, StasisSet *s) {
        stasis_requestor_ref(r);
        r->set_handler(r, change, s->id, change == STASIS_SET_REMOVED ? NULL : s, r->set_userdata);
        stasis_requestor_unref(r);
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        StasisRequestor *r = userdata;
        const char *name, *old, *new;
        char *o = NULL;

        if (!bus_message_from_driver(m) || sd_bus_message_read(m, "sss", &name, &old, &new) < 0 || !streq(name, STASIS_BUS_NAME))
                return 0;
        if (!isempty(new)) {
                o = strdup(new);
                if (!o)
                        return 0;       /* no owner known: signals are dropped */
        }
        free(r->owner);
        r->owner = o;
        return 0;
}

/* InterfacesAdded: o a{sa{sv}} */
static int on_added(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        StasisRequestor *r = userdata;
        _cleanup_set_unref_ StasisSet *s = NULL;

        if (!from_stasisd(r, m) || !r->set_handler)
                return 0;
        if (set_read_object(m, &s) < 0 || !s)
                return 0;       /* not a set, or malformed: nothing to tell */
        tell(r, STASIS_SET_ADDED, s);
        return 0;
}

/* InterfacesRemoved: o as */
static int on_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        StasisRequestor *r = userdata;
        _cleanup_set_unref_ StasisSet *s = NULL;
        const char *path, *interface;
        bool found = false;
        int k;

        if (!from_stasisd(r, m) || !r->set_handler)
                return 0;
        k = sd_bus_message_read_basic(m, 'o', &path);
        if (k >= 0)
                k = set_new(path, &s);
        if (k >= 0)
                k = sd_bus_message_enter_container(m, 'a', "s");
        while (k > 0) {
                k = sd_bus_message_read_basic(m, 's', &interface);
                if (k > 0 && streq(interface, STASIS_SET_INTERFACE))
                        found = true;
        }
        if (k < 0 || !found)
                return 0;
        tell(r, STASIS_SET_REMOVED, s);
        return 0;
}

/* PropertiesChanged: s a{sv} as */
static int on_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        StasisRequestor *r = userdata;
        _cleanup_set_unref_ StasisSet *s = NULL;
        const char *interface;
        int k;

        if (!from_stasisd(r, m) || !r->set_handler)
                return 0;
        k = sd_bus_message_read_basic(m, 's', &interface);
        if (k < 0 || !streq(interface, STASIS_SET_INTERFACE))
                return 0;
        k = set_new(sd_bus_message_get_path(m), &s);
        if (k >= 0)
                k = set_read_properties(s, m);
        if (k < 0)
                return 0;
        tell(r, STASIS_SET_CHANGED, s);
        return 0;
}

static int find_owner(StasisRequestor *r) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        char *owner;
        int k;

        /* Nobody owns it: stasisd is not running, NameOwnerChanged will tell. */
        k = bus_get_name_owner(r->client.bus, STASIS_BUS_NAME, &error, &owner);
        if (k < 0)
                return requestor_fail_bus(r, k, &error);
        free(r->owner);
        r->owner = owner;
        return 0;
}

int stasis_requestor_watch_sets(StasisRequestor *r, stasis_set_handler_t handler, void *userdata) {
        static const struct {
                const char *match;
                sd_bus_message_handler_t callback;
        } signals[] = {
                { ADDED_MATCH, on_added },
                { REMOVED_MATCH, on_removed },
                { CHANGED_MATCH, on_changed },
        };
        int k;

        k = requestor_begin(r);
        if (k < 0)
                return k;
        if (!handler) {
                requestor_watch_stop(r);
                return 0;
        }
        k = requestor_own_loop(r);
        if (k < 0)
                return k;
        if (r->owner_slot) {
                r->set_handler = handler;
                r->set_userdata = userdata;
                return 0;
        }
        /* The owner first, then the signals: a new owner is seen before
         * anything it sends. */
        k = sd_bus_add_match(r->client.bus, &r->owner_slot, BUS_OWNER_MATCH(STASIS_BUS_NAME), on_owner_changed,
                             r);
        if (k < 0) {
                requestor_watch_stop(r);
                return requestor_fail(r, k, "Cannot watch the owner of %s: %s", STASIS_BUS_NAME, strerror(-k));
        }
        k = find_owner(r);
        if (k < 0) {
                requestor_watch_stop(r);
                return k;
        }
        for (size_t i = 0; i < ELEMENTSOF(signals); i++) {
                k = sd_bus_add_match(r->client.bus, &r->signal_slots[i], signals[i].match, signals[i].callback, r);
                if (k < 0) {
                        requestor_watch_stop(r);
                        return requestor_fail(r, k, "Cannot subscribe to the signals of sets: %s", strerror(-k));
                }
        }
        r->set_handler = handler;
        r->set_userdata = userdata;
        return 0;
}
