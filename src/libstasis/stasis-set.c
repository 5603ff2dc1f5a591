/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-set.c - StasisSet: a set's properties as read from stasisd; reading one set or all */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-records.h"
#include "stasis-requestor-internal.h"
#include "strv.h"

#define PROPERTIES_INTERFACE "org.freedesktop.DBus.Properties"
#define OBJECT_MANAGER_INTERFACE "org.freedesktop.DBus.ObjectManager"

int set_new(const char *path, StasisSet **ret) {
        _cleanup_set_unref_ StasisSet *s = NULL;
        const char *id = startswith(path, STASIS_SET_PATH_PREFIX "/");

        if (isempty(id) || strchr(id, '/'))
                return -EINVAL;
        s = calloc(1, sizeof(StasisSet));
        if (!s)
                return -ENOMEM;
        s->n_ref = 1;
        s->object_path = strdup(path);
        s->id = strdup(id);
        if (!s->object_path || !s->id)
                return -ENOMEM;
        *ret = TAKE_PTR(s);
        return 0;
}

StasisSet *stasis_set_ref(StasisSet *s) {
        if (s)
                s->n_ref++;
        return s;
}

static void events_clear(StasisSet *s) {
        for (size_t i = 0; i < s->n_events; i++)
                free(s->event_text[i]);
        s->event_at = mfree(s->event_at);
        s->event_text = mfree(s->event_text);
        s->n_events = 0;
}

StasisSet *stasis_set_unref(StasisSet *s) {
        if (!s || --s->n_ref > 0)
                return NULL;
        string_records_free(s->volumes, s->n_volumes, ELEMENTSOF(s->volumes->fields), sizeof(SetVolume));
        string_records_free(s->components, s->n_components, ELEMENTSOF(s->components->fields),
                            sizeof(SetComponent));
        free(s->id);
        free(s->object_path);
        free(s->label);
        free(s->state);
        free(s->consistency);
        free(s->error);
        free(s->mounted_at);
        events_clear(s);
        strv_free(s->excluded_writers);
        free(s->policy);
        free(s);
        return NULL;
}

StasisSet **stasis_set_list_free(StasisSet **list) {
        for (StasisSet **s = list; s && *s; s++)
                stasis_set_unref(*s);
        free(list);
        return NULL;
}

/* Events, a(ts): at most SET_ITEMS_MAX. */
static int read_events(sd_bus_message *m, StasisSet *s) {
        uint64_t at;
        const char *text;
        int r;

        events_clear(s);
        r = sd_bus_message_enter_container(m, 'v', "a(ts)");
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'a', "(ts)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "(ts)", &at, &text)) > 0) {
                if (s->n_events >= SET_ITEMS_MAX)
                        return -E2BIG;
                uint64_t *a = realloc(s->event_at, (s->n_events + 1) * sizeof *a);
                if (!a)
                        return -ENOMEM;
                s->event_at = a;
                char **t = realloc(s->event_text, (s->n_events + 1) * sizeof *t);
                if (!t)
                        return -ENOMEM;
                s->event_text = t;
                if (!(t[s->n_events] = strdup(text)))
                        return -ENOMEM;
                a[s->n_events++] = at;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int read_string(sd_bus_message *m, char **field) {
        const char *v;
        char *c;
        int r;

        r = sd_bus_message_read(m, "v", "s", &v);
        if (r < 0)
                return r;
        c = strdup(v);
        if (!c)
                return -ENOMEM;
        free(*field);
        *field = c;
        return 0;
}

static int read_property(sd_bus_message *m, const char *name, void *userdata) {
        StasisSet *s = userdata;
        int r, b;

        if (streq(name, "Id"))
                return read_string(m, &s->id);
        if (streq(name, "Label"))
                return read_string(m, &s->label);
        if (streq(name, "State"))
                return read_string(m, &s->state);
        if (streq(name, "Consistency"))
                return read_string(m, &s->consistency);
        if (streq(name, "Error"))
                return read_string(m, &s->error);
        if (streq(name, "MountedAt"))
                return read_string(m, &s->mounted_at);
        if (streq(name, "Events"))
                return read_events(m, s);
        if (streq(name, "Policy"))
                return read_string(m, &s->policy);
        if (streq(name, "ExpiresAt"))
                return sd_bus_message_read(m, "v", "t", &s->expires);
        if (streq(name, "Persistent")) {
                r = sd_bus_message_read(m, "v", "b", &b);
                if (r >= 0)
                        s->persistent = b;
                return r;
        }
        if (streq(name, "OpenViews"))
                return sd_bus_message_read(m, "v", "u", &s->open_views);
        if (streq(name, "Owner"))
                return sd_bus_message_read(m, "v", "u", &s->owner);
        if (streq(name, "Created"))
                return sd_bus_message_read(m, "v", "t", &s->created);
        if (streq(name, "Completed"))
                return sd_bus_message_read(m, "v", "t", &s->completed);
        if (streq(name, "HoldUSec"))
                return sd_bus_message_read(m, "v", "t", &s->hold);
        if (streq(name, "WindowUSec"))
                return sd_bus_message_read(m, "v", "t", &s->window);
        if (streq(name, "Volumes"))
                return bus_read_string_records(m, ELEMENTSOF(s->volumes->fields), sizeof(SetVolume), SET_ITEMS_MAX,
                                               (void **) &s->volumes, &s->n_volumes);
        if (streq(name, "Components"))
                return bus_read_string_records(m, ELEMENTSOF(s->components->fields), sizeof(SetComponent),
                                               SET_ITEMS_MAX, (void **) &s->components, &s->n_components);
        if (streq(name, "ExcludedWriters")) {
                char **l = NULL;
                r = sd_bus_message_enter_container(m, 'v', "as");
                if (r >= 0)
                        r = sd_bus_message_read_strv(m, &l);
                if (r >= 0 && strv_length(l) > SET_ITEMS_MAX)
                        r = -EBADMSG;
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                if (r < 0) {
                        strv_free(l);
                        return r;
                }
                strv_free(s->excluded_writers);
                s->excluded_writers = l;
                return 0;
        }
        /* A property of a later stasisd. */
        return sd_bus_message_skip(m, "v");
}

/* Reads the array of dict entries m is at (entry "{sv}", contents "sv"),
 * handing each key to read, which reads the value after it. */
static int read_dict(sd_bus_message *m, const char *entry, const char *contents,
                     int (*read)(sd_bus_message *m, const char *key, void *userdata), void *userdata) {
        int r;

        r = sd_bus_message_enter_container(m, 'a', entry);
        if (r < 0)
                return r;
        for (;;) {
                const char *key;

                r = sd_bus_message_enter_container(m, 'e', contents);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                r = sd_bus_message_read_basic(m, 's', &key);
                if (r < 0)
                        return r;
                r = read(m, key, userdata);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_exit_container(m);
}

int set_read_properties(StasisSet *s, sd_bus_message *m) {
        return read_dict(m, "{sv}", "sv", read_property, s);
}

typedef struct ObjectRead {
        const char *path;
        StasisSet *set;
} ObjectRead;

static int read_interface(sd_bus_message *m, const char *interface, void *userdata) {
        ObjectRead *o = userdata;
        int r;

        if (!streq(interface, STASIS_SET_INTERFACE) || o->set)
                return sd_bus_message_skip(m, "a{sv}");
        r = set_new(o->path, &o->set);
        if (r < 0)
                return r;
        return set_read_properties(o->set, m);
}

int set_read_object(sd_bus_message *m, StasisSet **ret) {
        ObjectRead o = {};
        int r;

        r = sd_bus_message_read_basic(m, 'o', &o.path);
        if (r >= 0)
                r = read_dict(m, "{sa{sv}}", "sa{sv}", read_interface, &o);
        if (r < 0) {
                stasis_set_unref(o.set);
                return r;
        }
        *ret = o.set;
        return 0;
}

static int get_all(StasisRequestor *r, const char *path, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int k;

        k = sd_bus_message_new_method_call(r->client.bus, &m, STASIS_BUS_NAME, path, PROPERTIES_INTERFACE, "GetAll");
        if (k >= 0)
                k = sd_bus_message_append(m, "s", STASIS_SET_INTERFACE);
        if (k < 0)
                return requestor_fail(r, k, "Cannot build the GetAll call: %s", strerror(-k));
        return requestor_call(r, m, ret);
}

bool set_id_is_number(const char *id) {
        if (isempty(id) || strlen(id) > 20)
                return false;
        for (const char *c = id; *c; c++)
                if (*c < '0' || *c > '9')
                        return false;
        return true;
}

bool set_id_valid(const char *id) {
        if (isempty(id) || strlen(id) > 64)
                return false;
        for (const char *c = id; *c; c++)
                if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '_'))
                        return false;
        return true;
}

static bool last_error_is(StasisRequestor *r, const char *name) {
        return r->client.failed && r->client.last_error.name && streq(r->client.last_error.name, name);
}

int stasis_requestor_get_set(StasisRequestor *r, const char *id, StasisSet **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_set_unref_ StasisSet *s = NULL;
        _cleanup_free_ char *path = NULL;
        const char *p;
        int k;

        k = requestor_begin(r);
        if (k < 0)
                return k;
        if (!ret)
                return requestor_fail(r, -EINVAL, "get: ret must not be NULL");
        if (!set_id_valid(id))
                return requestor_fail(r, -EINVAL, "Set id \"%s\" is not a decimal number", strna(id));
        /* One call where the set is there. Where it is not, GetAll answers
         * the bus' UnknownObject: GetSet then answers stasisd's NoSuchSet,
         * as it does for an id that is not a number (but could name an
         * object). */
        if (set_id_is_number(id)) {
                if (asprintf(&path, "%s/%s", STASIS_SET_PATH_PREFIX, id) < 0)
                        return requestor_fail(r, -ENOMEM, "Out of memory");
                k = get_all(r, path, &reply);
                if (k < 0 && !last_error_is(r, SD_BUS_ERROR_UNKNOWN_OBJECT) &&
                    !last_error_is(r, SD_BUS_ERROR_UNKNOWN_INTERFACE))
                        return k;
        } else
                k = -ENXIO;
        if (k < 0) {
                k = requestor_call_id(r, "GetSet", id, &reply);
                if (k < 0)
                        return k;
                k = sd_bus_message_read(reply, "o", &p);
                if (k < 0)
                        return requestor_fail(r, k, "Malformed reply to GetSet: %s", strerror(-k));
                free(path);
                path = strdup(p);
                if (!path)
                        return requestor_fail(r, -ENOMEM, "Out of memory");
                reply = sd_bus_message_unref(reply);
                k = get_all(r, path, &reply);
                if (k < 0)
                        return k;
                r->client.failed = false;       /* the first GetAll's failure is not this call's */
        }
        k = set_new(path, &s);
        if (k >= 0)
                k = set_read_properties(s, reply);
        if (k < 0)
                return requestor_fail(r, k, "Malformed properties of set %s: %s", id, strerror(-k));
        *ret = TAKE_PTR(s);
        return 0;
}

static int by_id(const void *a, const void *b) {
        const StasisSet *x = *(StasisSet *const *) a, *y = *(StasisSet *const *) b;
        size_t lx = strlen(x->id), ly = strlen(y->id);

        /* Ids are decimal numbers given out in order. */
        return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x->id, y->id);
}

/* One entry of GetManagedObjects: adds a set to *list if the object is one. */
static int read_object(sd_bus_message *m, StasisSet ***list, size_t *n) {
        _cleanup_set_unref_ StasisSet *s = NULL;
        int k;

        k = set_read_object(m, &s);
        if (k < 0 || !s)
                return k;
        if (*n >= SET_ITEMS_MAX)
                return -EBADMSG;
        StasisSet **nl = realloc(*list, sizeof(StasisSet *) * (*n + 2));
        if (!nl)
                return -ENOMEM;
        *list = nl;
        nl[(*n)++] = TAKE_PTR(s);
        nl[*n] = NULL;
        return 0;
}

int stasis_requestor_list_sets(StasisRequestor *r, StasisSet ***ret, size_t *ret_n) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        StasisSet **list = NULL;
        size_t n = 0;
        int k;

        k = requestor_begin(r);
        if (k < 0)
                return k;
        if (!ret)
                return requestor_fail(r, -EINVAL, "list: ret must not be NULL");
        k = sd_bus_message_new_method_call(r->client.bus, &m, STASIS_BUS_NAME, STASIS_MANAGER_PATH,
                                           OBJECT_MANAGER_INTERFACE, "GetManagedObjects");
        if (k < 0)
                return requestor_fail(r, k, "Cannot build the GetManagedObjects call: %s", strerror(-k));
        k = requestor_call(r, m, &reply);
        if (k < 0)
                return k;
        k = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
        while (k >= 0) {
                k = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}");
                if (k <= 0)
                        break;
                k = read_object(reply, &list, &n);
                if (k >= 0)
                        k = sd_bus_message_exit_container(reply);
        }
        if (k >= 0)
                k = sd_bus_message_exit_container(reply);
        if (k >= 0 && !list) {
                list = calloc(1, sizeof(StasisSet *));
                if (!list)
                        k = -ENOMEM;
        }
        if (k < 0) {
                stasis_set_list_free(list);
                return requestor_fail(r, k, "Malformed reply to GetManagedObjects: %s", strerror(-k));
        }
        qsort(list, n, sizeof(StasisSet *), by_id);
        *ret = list;
        if (ret_n)
                *ret_n = n;
        return 0;
}

/* ---- Accessors ---- */

#define SET_STRING(name, field)                                 \
        const char *stasis_set_##name(const StasisSet *s) {     \
                return s ? strempty(s->field) : NULL;           \
        }
SET_STRING(id, id)
SET_STRING(object_path, object_path)
SET_STRING(label, label)

const char *stasis_set_policy(const StasisSet *s) {
        return s ? strempty(s->policy) : NULL;
}

uint64_t stasis_set_expires_usec(const StasisSet *s) {
        return s ? s->expires : 0;
}
SET_STRING(state, state)
SET_STRING(consistency, consistency)
SET_STRING(error, error)
SET_STRING(mounted_at, mounted_at)

unsigned stasis_set_open_view_count(const StasisSet *s) {
        return s ? s->open_views : 0;
}

unsigned stasis_set_event_count(const StasisSet *s) {
        return s ? (unsigned) s->n_events : 0;
}

int stasis_set_event(const StasisSet *s, unsigned index, uint64_t *ret_usec, const char **ret_text) {
        if (!s)
                return -EINVAL;
        if (index >= s->n_events)
                return -ERANGE;
        if (ret_usec)
                *ret_usec = s->event_at[index];
        if (ret_text)
                *ret_text = s->event_text[index];
        return 0;
}

int stasis_set_persistent(const StasisSet *s) {
        return s && s->persistent;
}

uint32_t stasis_set_owner(const StasisSet *s) {
        return s ? s->owner : 0;
}

#define SET_TIME(name, field)                                   \
        uint64_t stasis_set_##name##_usec(const StasisSet *s) { \
                return s ? s->field : 0;                        \
        }
SET_TIME(created, created)
SET_TIME(completed, completed)
SET_TIME(hold, hold)
SET_TIME(window, window)

unsigned stasis_set_volume_count(const StasisSet *s) {
        if (!s)
                return 0;
        return s->summary ? s->n_volumes_listed : s->n_volumes;
}

#define SET_VOLUME(name, index)                                                 \
        const char *stasis_set_volume_##name(const StasisSet *s, unsigned i) {  \
                return s && i < s->n_volumes ? s->volumes[i].fields[index] : NULL; \
        }
SET_VOLUME(path, 0)
SET_VOLUME(mount_point, 1)
SET_VOLUME(device, 2)
SET_VOLUME(fstype, 3)
SET_VOLUME(provider, 4)
SET_VOLUME(source, 5)
SET_VOLUME(snapshot, 6)
SET_VOLUME(state, 7)

unsigned stasis_set_component_count(const StasisSet *s) {
        return s ? s->n_components : 0;
}

#define SET_COMPONENT(name, index)                                                      \
        const char *stasis_set_component_##name(const StasisSet *s, unsigned i) {       \
                return s && i < s->n_components ? s->components[i].fields[index] : NULL; \
        }
SET_COMPONENT(writer, 0)
SET_COMPONENT(instance, 1)
SET_COMPONENT(name, 2)
SET_COMPONENT(consistency, 3)
SET_COMPONENT(reason, 4)

unsigned stasis_set_excluded_writer_count(const StasisSet *s) {
        return s ? (unsigned) strv_length(s->excluded_writers) : 0;
}

const char *stasis_set_excluded_writer(const StasisSet *s, unsigned index) {
        return s && index < strv_length(s->excluded_writers) ? s->excluded_writers[index] : NULL;
}
