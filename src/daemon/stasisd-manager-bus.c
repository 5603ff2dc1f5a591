/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-manager-bus.c - the org.stasis1.Manager interface at /org/stasis1 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bus-errors.h"
#include "bus-util.h"
#include "echo.h"
#include "macro.h"
#include "stasis/stasis.h"
#include "stasisd-auth.h"
#include "stasisd-create-request.h"
#include "stasisd-manager-bus.h"
#include "stasisd-manager.h"
#include "stasisd-orphans-bus.h"
#include "stasisd-orphans.h"
#include "stasisd-request-id.h"
#include "stasisd-resolve.h"
#include "stasisd-retention-bus.h"
#include "stasisd-set-bus.h"
#include "stasisd-set-external-bus.h"
#include "stasisd-set.h"
#include "stasisd-strings.h"
#include "stasisd-writer-memory.h"
#include "stasisd-writer-announce.h"
#include "stasisd-writer-channel.h"
#include "stasisd-writer.h"
#include "strv.h"

static int read_paths(sd_bus_message *msg, char ***ret, sd_bus_error *error) {
        _cleanup_strv_free_ char **paths = NULL;
        int r = sd_bus_message_read_strv(msg, &paths);
        if (r < 0)
                return r;
        if (strv_length(paths) > MANAGER_PATHS_PER_REQUEST_MAX)
                return sd_bus_error_setf(error, STASIS_ERROR_LIMIT_EXCEEDED,
                                         "%zu paths given; at most %d per request",
                                         strv_length(paths), MANAGER_PATHS_PER_REQUEST_MAX);
        *ret = TAKE_PTR(paths);
        return 0;
}

typedef struct CreateOptions {
        char *label;
        char *request_id;
        bool persistent;
        char **components;
        char **exclude_writers;
        bool require_writers;
        usec_t expire_after;
} CreateOptions;

static void create_options_done(CreateOptions *o) {
        free(o->label);
        free(o->request_id);
        strv_free(o->components);
        strv_free(o->exclude_writers);
}

static int read_label(sd_bus_message *msg, CreateOptions *o, sd_bus_error *error) {
        const char *l;
        int r = sd_bus_message_read(msg, "v", "s", &l);
        if (r < 0)
                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT, "Option 'label' must be a string");
        if (strlen(l) > MANAGER_LABEL_MAX)
                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                         "Label is %zu bytes long; at most %d", strlen(l), MANAGER_LABEL_MAX);
        r = check_text_argument("Label", l, error);
        if (r < 0)
                return r;
        free(o->label);
        o->label = strdup(l);
        return o->label ? 0 : -ENOMEM;
}

static int read_request_id(sd_bus_message *msg, CreateOptions *o, sd_bus_error *error) {
        const char *id;
        int r = sd_bus_message_read(msg, "v", "s", &id);
        if (r < 0)
                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT, "Option 'RequestId' must be a string");
        r = request_id_check(id, error);
        if (r < 0)
                return r;
        free(o->request_id);
        o->request_id = strdup(id);
        return o->request_id ? 0 : -ENOMEM;
}

/* Option key, an array of strings, into *l. */
static int read_strings(sd_bus_message *msg, const char *key, const char *what, char ***l, sd_bus_error *error) {
        int r = sd_bus_message_enter_container(msg, 'v', "as");
        if (r < 0)
                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                         "Option '%s' must be an array of strings", key);
        *l = strv_free(*l);
        r = sd_bus_message_read_strv(msg, l);
        if (r < 0)
                return r;
        if (strv_length(*l) > MANAGER_PATHS_PER_REQUEST_MAX)
                return sd_bus_error_setf(error, STASIS_ERROR_LIMIT_EXCEEDED, "%zu %s given; at most %d",
                                         strv_length(*l), what, MANAGER_PATHS_PER_REQUEST_MAX);
        return sd_bus_message_exit_container(msg);
}

static int read_bool(sd_bus_message *msg, const char *key, bool *ret, sd_bus_error *error) {
        int b, r = sd_bus_message_read(msg, "v", "b", &b);
        if (r < 0)
                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT, "Option '%s' must be a boolean", ECHO(key));
        *ret = b;
        return 0;
}

static int read_expire_after(sd_bus_message *msg, CreateOptions *o, sd_bus_error *error) {
        uint64_t t;
        int r = sd_bus_message_read(msg, "v", "t", &t);
        if (r < 0)
                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                         "Option 'ExpireAfterUSec' must be an unsigned 64-bit number (t) of microseconds");
        if (t == 0 || t > MANAGER_EXPIRE_AFTER_MAX)
                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                         "Option 'ExpireAfterUSec' is %" PRIu64 "; give more than 0 and at most "
                                         "%" PRIu64 " (100 years)", t, (uint64_t) MANAGER_EXPIRE_AFTER_MAX);
        o->expire_after = t;
        return 0;
}

static int read_options(sd_bus_message *msg, CreateOptions *o, sd_bus_error *error) {
        int r;

        r = sd_bus_message_enter_container(msg, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                const char *key;
                r = sd_bus_message_read(msg, "s", &key);
                if (r < 0)
                        return r;
                if (streq(key, "label"))
                        r = read_label(msg, o, error);
                else if (streq(key, "persistent"))
                        r = read_bool(msg, key, &o->persistent, error);
                else if (streq(key, "components"))
                        r = read_strings(msg, key, "components", &o->components, error);
                else if (streq(key, "exclude-writers"))
                        r = read_strings(msg, key, "writers to exclude", &o->exclude_writers, error);
                else if (streq(key, "require-writers"))
                        r = read_bool(msg, key, &o->require_writers, error);
                else if (streq(key, "RequestId"))
                        r = read_request_id(msg, o, error);
                else if (streq(key, "ExpireAfterUSec"))
                        r = read_expire_after(msg, o, error);
                else
                        return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                                 "Unknown option '%s'", ECHO(key));
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(msg);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(msg);
}

int manager_create_set(Manager *m, sd_bus_message *msg, char **paths, char **components, const char *label,
                       const char *request_id, bool persistent, bool require_writers, uid_t uid,
                       const SetCreateExtras *extras, sd_bus_error *error) {
        StasisVolume *volumes = NULL;
        size_t n = 0;
        int r;

        if (m->n_writers > 0 || m->n_missing_writers > 0 || !strv_isempty(components) ||
            (extras && !strv_isempty(extras->excluded)))
                /* Writers first: which of them take part decides the volumes. */
                r = create_request_start(m, msg, paths, components, label, request_id, persistent,
                                         require_writers, uid, extras, error);
        else {
                r = resolve_paths(&m->mounts, &m->providers, paths, true, MANAGER_VOLUMES_PER_SET_MAX, &volumes, &n, error);
                if (r >= 0) {
                        r = set_create(m, msg, volumes, n, label, request_id, persistent, uid, NULL, 0,
                                       false, extras, error);
                        if (r < 0)
                                volumes_free(volumes, n);
                }
        }
        if (r < 0 && request_id) {
                request_id_failed(m, uid, request_id, r, error);
                request_ids_answered(m);
        }
        return r;
}

static int method_create_set(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_strv_free_ char **paths = NULL;
        _cleanup_(create_options_done) CreateOptions o = {};
        AuthCaller caller;
        uid_t uid;
        int r;

        r = auth_check(m, msg, AUTH_CREATE_SET, &caller, error);
        if (r != 0)
                return r;       /* refused, or polkit asked: the call comes back with its answer */
        uid = caller.uid;
        r = manager_defer_if_holding(m, msg, method_create_set, m);
        if (r != 0)
                return r;
        r = read_paths(msg, &paths, error);
        if (r < 0)
                return r;
        r = read_options(msg, &o, error);
        if (r < 0)
                return r;
        if (o.request_id) {
                /* The same id again: its set, its failure, or wait for its answer. */
                r = request_id_lookup(m, msg, uid, o.request_id, method_create_set, m, error);
                if (r != 0)
                        return r;
        }
        SetCreateExtras extras = { .excluded = o.exclude_writers, .expire_after = o.expire_after };
        return manager_create_set(m, msg, paths, o.components, o.label, o.request_id, o.persistent,
                                  o.require_writers, uid, &extras, error);
}

static int method_resolve_paths(sd_bus_message *msg, void *userdata, sd_bus_error *error);
static int method_describe_paths(sd_bus_message *msg, void *userdata, sd_bus_error *error);

/* ResolvePaths, and DescribePaths: the same with what the provider tells of
 * each volume (a{ss}). */
static int resolve_or_describe(sd_bus_message *msg, Manager *m, bool details, sd_bus_error *error) {
        _cleanup_bus_message_unref_ sd_bus_message *reply = NULL;
        _cleanup_strv_free_ char **paths = NULL;
        StasisVolume *volumes = NULL;
        size_t n = 0;
        int r;

        /* It looks at paths with the daemon's privileges, so it would tell an
         * unprivileged caller what lies in directories it cannot read. */
        r = auth_check(m, msg, AUTH_RESOLVE_PATHS, NULL, error);
        if (r != 0)
                return r;
        /* Probing may run external providers for seconds: not while holding. */
        r = manager_defer_if_holding(m, msg, details ? method_describe_paths : method_resolve_paths, m);
        if (r != 0)
                return r;
        r = read_paths(msg, &paths, error);
        if (r < 0)
                return r;
        r = resolve_paths(&m->mounts, &m->providers, paths, false, MANAGER_PATHS_PER_REQUEST_MAX, &volumes, &n, error);
        if (r < 0)
                return r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', details ? "(ssssssssa{ss})" : "(ssssssss)");
        for (size_t i = 0; r >= 0 && i < n; i++) {
                const StasisVolume *v = &volumes[i];
                r = sd_bus_message_open_container(reply, 'r', details ? "ssssssssa{ss}" : "ssssssss");
                if (r >= 0)
                        r = sd_bus_message_append(reply, "ssssssss", paths[i], v->path, v->mount_point, v->device,
                                                  v->fstype, v->provider->name, v->source, v->key);
                if (r >= 0 && details) {
                        r = sd_bus_message_open_container(reply, 'a', "{ss}");
                        STRV_FOREACH(d, v->details) {
                                _cleanup_free_ char *k = strndup(*d, strcspn(*d, "="));
                                if (!k) {
                                        r = -ENOMEM;
                                        break;
                                }
                                r = sd_bus_message_append(reply, "{ss}", k, *d + strlen(k) + ((*d)[strlen(k)] == '='));
                                if (r < 0)
                                        break;
                        }
                        if (r >= 0)
                                r = sd_bus_message_close_container(reply);
                }
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        volumes_free(volumes, n);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_resolve_paths(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return resolve_or_describe(msg, userdata, false, error);
}

static int method_describe_paths(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return resolve_or_describe(msg, userdata, true, error);
}

static int method_list_sets(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_bus_message_unref_ sd_bus_message *reply = NULL;
        Manager *m = userdata;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sotsssbu)");
        for (Set *s = m->sets; r >= 0 && s; s = s->sets_next) {
                _cleanup_free_ char *tmp = NULL;
                const char *label = bus_string(s->label, &tmp);
                r = !label ? -ENOMEM :
                    sd_bus_message_append(reply, "(sotsssbu)", s->id, s->object_path, (uint64_t) s->created,
                                          set_state_to_string(s->state), strempty(s->consistency),
                                          label, (int) s->persistent, (uint32_t) s->n_volumes);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int find_set_or_fail(Manager *m, sd_bus_message *msg, Set **ret, sd_bus_error *error) {
        const char *id;
        int r = sd_bus_message_read(msg, "s", &id);
        if (r < 0)
                return r;
        Set *s = manager_find_set(m, id);
        if (!s)
                return sd_bus_error_setf(error, STASIS_ERROR_NO_SUCH_SET, "No snapshot set with id '%s'", ECHO(id));
        *ret = s;
        return 0;
}

static int method_get_set(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Set *s = NULL;
        int r = find_set_or_fail(userdata, msg, &s, error);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "o", s->object_path);
}

static int method_delete_set(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Set *s = NULL;
        int r = auth_check(userdata, msg, AUTH_DELETE_SET, NULL, error);
        if (r != 0)
                return r;
        r = manager_defer_if_holding(userdata, msg, method_delete_set, userdata);
        if (r != 0)
                return r;
        r = find_set_or_fail(userdata, msg, &s, error);
        if (r < 0)
                return r;
        return set_delete(s, msg, error);
}

static int method_lookup_request_id(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *id;
        Set *s = NULL;
        uid_t uid;
        int r;

        r = sd_bus_message_read(msg, "s", &id);
        if (r < 0)
                return r;
        r = request_id_check(id, error);
        if (r < 0)
                return r;
        /* The caller's own: the uid is part of the id. */
        r = auth_caller_uid(m, msg, &uid, error);
        if (r < 0)
                return r;
        r = request_id_find(m, uid, id, &s, error);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "so", s->id, s->object_path);
}

static int property_get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", STASIS_VERSION);
}

const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_ARGS("CreateSet",
                                SD_BUS_ARGS("as", paths, "a{sv}", options),
                                SD_BUS_RESULT("s", id, "o", set),
                                method_create_set, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("FreezeExternal",
                                SD_BUS_ARGS("as", paths, "a{sv}", options),
                                SD_BUS_RESULT("s", id, "o", set, "a(ss)", not_frozen),
                                method_freeze_external, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ThawExternal",
                                SD_BUS_ARGS("s", id),
                                SD_BUS_RESULT("s", id, "o", set),
                                method_thaw_external, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListSets",
                                SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a(sotsssbu)", sets),
                                method_list_sets, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetSet",
                                SD_BUS_ARGS("s", id),
                                SD_BUS_RESULT("o", set),
                                method_get_set, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("LookupRequestId",
                                SD_BUS_ARGS("s", request_id),
                                SD_BUS_RESULT("s", id, "o", set),
                                method_lookup_request_id, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ForgetWriter",
                                SD_BUS_ARGS("s", writer, "s", instance),
                                SD_BUS_NO_RESULT,
                                method_forget_writer, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DeleteSet",
                                SD_BUS_ARGS("s", id),
                                SD_BUS_NO_RESULT,
                                method_delete_set, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ResolvePaths",
                                SD_BUS_ARGS("as", paths),
                                SD_BUS_RESULT("a(ssssssss)", volumes),
                                method_resolve_paths, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DescribePaths",
                                SD_BUS_ARGS("as", paths),
                                SD_BUS_RESULT("a(ssssssssa{ss})", volumes),
                                method_describe_paths, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RegisterWriter",
                                SD_BUS_ARGS("o", path, "s", metadata),
                                SD_BUS_NO_RESULT,
                                method_register_writer, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("UnregisterWriter",
                                SD_BUS_ARGS("o", path),
                                SD_BUS_NO_RESULT,
                                method_unregister_writer, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("UpdateWriterMetadata",
                                SD_BUS_ARGS("o", path, "s", metadata, "as", events),
                                SD_BUS_RESULT("t", generation),
                                method_update_writer_metadata, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("OpenWriterChannel",
                                SD_BUS_ARGS("o", path),
                                SD_BUS_RESULT("h", channel),
                                method_open_writer_channel, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListWriters",
                                SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a(ssssuusssuu)", writers),
                                method_list_writers, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetWriterMetadata",
                                SD_BUS_ARGS("s", writer, "s", instance),
                                SD_BUS_RESULT("s", metadata),
                                method_get_writer_metadata, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListOrphans",
                                SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a(ssstt)", orphans),
                                method_list_orphans, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RescanOrphans",
                                SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("u", count),
                                method_rescan_orphans, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DeleteOrphan",
                                SD_BUS_ARGS("s", handle),
                                SD_BUS_NO_RESULT,
                                method_delete_orphan, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("AdoptOrphans",
                                SD_BUS_ARGS("s", id),
                                SD_BUS_RESULT("s", id, "o", set),
                                method_adopt_orphans, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RunPolicy",
                                SD_BUS_ARGS("s", policy),
                                SD_BUS_RESULT("s", id, "o", set),
                                method_run_policy, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Cleanup",
                                SD_BUS_ARGS("s", policy, "b", dry_run),
                                SD_BUS_RESULT("a(ssss)", actions),
                                method_cleanup, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListPolicies",
                                SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a(ssasasuuuuuutus)", policies),
                                method_list_policies, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListRemovals",
                                SD_BUS_ARGS("s", policy, "u", max),
                                SD_BUS_RESULT("a(tsttss)", removals),
                                method_list_removals, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListExpiries",
                                SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a(sts)", sets),
                                method_list_expiries, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};

int manager_bus_export(Manager *m) {
        int r;

        r = sd_bus_add_object_vtable(m->bus, NULL, STASIS_MANAGER_PATH, STASIS_MANAGER_INTERFACE, manager_vtable, m);
        if (r < 0)
                return r;
        r = sd_bus_add_fallback_vtable(m->bus, NULL, STASIS_SET_PATH_PREFIX, STASIS_SET_INTERFACE, set_vtable,
                                       set_bus_find, m);
        if (r < 0)
                return r;
        r = sd_bus_add_node_enumerator(m->bus, NULL, STASIS_SET_PATH_PREFIX, set_bus_enumerate, m);
        if (r < 0)
                return r;
        return sd_bus_add_object_manager(m->bus, NULL, STASIS_MANAGER_PATH);
}
