/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set-bus.c - the org.stasis1.Set objects at /org/stasis1/set/<id> */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-errors.h"
#include "echo.h"
#include "macro.h"
#include "stasis/stasis.h"
#include "stasisd-auth.h"
#include "stasisd-retention-space.h"
#include "stasisd-set-bus.h"
#include "stasisd-set-export.h"
#include "stasisd-set-events.h"
#include "stasisd-set-metadata.h"
#include "stasisd-set-open-views.h"
#include "stasisd-set-views.h"
#include "stasisd-set-writers.h"
#include "stasisd-set.h"
#include "stasisd-strings.h"
#include "strv.h"

int set_bus_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                 void **found, sd_bus_error *error) {
        Manager *m = userdata;
        const char *id = startswith(path, STASIS_SET_PATH_PREFIX "/");
        Set *s;

        if (!id)
                return 0;
        s = manager_find_set(m, id);
        if (!s)
                return 0;
        *found = s;
        return 1;
}

int set_bus_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_strv_free_ char **l = NULL;
        int r;

        LIST_FOREACH(sets, s, m->sets) {
                if (s->export_hidden)
                        continue;       /* GetManagedObjects would not fit in a bus message */
                r = strv_extend(&l, s->object_path);
                if (r < 0)
                        return r;
        }
        if (!l) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        *nodes = TAKE_PTR(l);
        return 1;
}

int set_bus_append_volumes(sd_bus_message *reply, Set *s) {
        int r = sd_bus_message_open_container(reply, 'a', "(ssssssss)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < s->n_volumes; i++) {
                const StasisVolume *v = &s->volumes[i];
                /* A set recorded by an older stasisd may have names that are not UTF-8. */
                const char *fields[] = { v->path, v->mount_point, v->device, v->fstype,
                                         v->provider ? v->provider->name : "unknown", v->source, v->handle,
                                         v->missing ? "missing" : "ok" };
                r = bus_append_string_struct(reply, "ssssssss", fields, ELEMENTSOF(fields));
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static int property_get_volumes(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return set_bus_append_volumes(reply, userdata);
}

static int property_get_components(sd_bus *bus, const char *path, const char *interface, const char *property,
                                   sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return set_export_append_components(reply, userdata);
}

static int property_get_state(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Set *s = userdata;
        return sd_bus_message_append(reply, "s", set_state_to_string(s->state));
}

static int property_get_string(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        char **p = userdata;
        return bus_append_string(reply, *p);
}

static int property_get_bool(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        int b = *(bool *) userdata;
        return sd_bus_message_append_basic(reply, 'b', &b);
}

static int property_get_excluded(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Set *s = userdata;
        return sd_bus_message_append_strv(reply, s->excluded_writers);
}

static int property_get_id(sd_bus *bus, const char *path, const char *interface, const char *property,
                           sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Set *s = userdata;
        return sd_bus_message_append(reply, "s", s->id);
}

/* A call put off during a hold comes back to the manager: find its set again. */
static int set_of_deferred_call(Manager *m, sd_bus_message *msg, Set **ret, sd_bus_error *error) {
        const char *id = startswith(sd_bus_message_get_path(msg), STASIS_SET_PATH_PREFIX "/");
        Set *s = id ? manager_find_set(m, id) : NULL;
        if (!s)
                return sd_bus_error_setf(error, STASIS_ERROR_NO_SUCH_SET, "No snapshot set at %s any more",
                                         ECHO(sd_bus_message_get_path(msg)));
        *ret = s;
        return 0;
}

static int method_delete_deferred(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Set *s;
        int r = set_of_deferred_call(userdata, msg, &s, error);
        return r < 0 ? r : set_delete(s, msg, error);
}

static int method_delete(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Set *s = userdata;
        int r = auth_check(s->manager, msg, AUTH_DELETE_SET, NULL, error);
        if (r != 0)
                return r;
        /* Put off with the manager, not the set: the set may be gone by then. */
        r = manager_defer_if_holding(s->manager, msg, method_delete_deferred, s->manager);
        if (r != 0)
                return r;
        return set_delete(s, msg, error);
}

static int complete_checked(Set *s, sd_bus_message *msg, sd_bus_error *error) {
        _cleanup_strv_free_ char **failed = NULL;
        int r = sd_bus_message_read_strv(msg, &failed);
        if (r < 0)
                return r;
        if (s->state != SET_CREATED && s->state != SET_MISSING && s->state != SET_INVALID)
                return sd_bus_error_setf(error, STASIS_ERROR_BUSY, "Snapshot set %s is %s, not created",
                                         s->id, set_state_to_string(s->state));
        if (s->completed)
                return sd_bus_error_setf(error, STASIS_ERROR_BUSY,
                                         "The backup of snapshot set %s was reported already", s->id);
        return set_complete(s, msg, failed, error);
}

static int method_complete_deferred(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Set *s;
        int r = set_of_deferred_call(userdata, msg, &s, error);
        return r < 0 ? r : complete_checked(s, msg, error);
}

static int method_complete(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Set *s = userdata;
        int r = auth_check(s->manager, msg, AUTH_COMPLETE_SET, NULL, error);
        if (r != 0)
                return r;
        /* It writes the catalog: not during a hold. */
        r = manager_defer_if_holding(s->manager, msg, method_complete_deferred, s->manager);
        if (r != 0)
                return r;
        return complete_checked(s, msg, error);
}

void set_bus_emit_changed(Set *s) {
        if (!s->object_path || !s->manager || !s->manager->bus)
                return;
        (void) sd_bus_emit_properties_changed(s->manager->bus, s->object_path, STASIS_SET_INTERFACE,
                                              "State", "Consistency", "Error", "Volumes", "HoldUSec",
                                              "Components", "Completed", "WindowUSec", NULL);
}

const sd_bus_vtable set_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Id", "s", property_get_id, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Created", "t", NULL, offsetof(Set, created), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Label", "s", property_get_string, offsetof(Set, label), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Persistent", "b", property_get_bool, offsetof(Set, persistent), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Owner", "u", NULL, offsetof(Set, owner_uid), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("State", "s", property_get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Consistency", "s", property_get_string, offsetof(Set, consistency),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Error", "s", property_get_string, offsetof(Set, error), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Volumes", "a(ssssssss)", property_get_volumes, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("HoldUSec", "t", NULL, offsetof(Set, hold_usec), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Components", "a(sssss)", property_get_components, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Completed", "t", NULL, offsetof(Set, completed), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("WindowUSec", "t", NULL, offsetof(Set, window_usec), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("MountedAt", "s", set_views_property_mounted_at, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("OpenViews", "u", set_open_views_property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Events", "a(ts)", set_events_property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ExcludedWriters", "as", property_get_excluded, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("ExpiresAt", "t", NULL, offsetof(Set, expires), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Policy", "s", property_get_string, offsetof(Set, policy), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD("Delete", "", "", method_delete, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Complete", SD_BUS_ARGS("as", failed), SD_BUS_NO_RESULT,
                                method_complete, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Mount", SD_BUS_ARGS("s", dir, "a{sv}", options), SD_BUS_RESULT("s", root),
                                set_views_method_mount, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Unmount", "", "", set_views_method_unmount, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("OpenView", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sh)", mounts),
                                set_views_method_open_view, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("CloseView", "", "", set_open_views_method_close, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("ForgetViews", "", "", set_open_views_method_forget, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("BackupMetadata", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(ssssssuu)", metadata),
                                set_metadata_method_list, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("BackupMetadataFile", SD_BUS_ARGS("s", path), SD_BUS_RESULT("ay", data, "u", mode),
                                set_metadata_method_file, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetExclusiveSize", SD_BUS_NO_ARGS, SD_BUS_RESULT("t", bytes, "s", unknown_why),
                                method_set_exclusive_size, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};
