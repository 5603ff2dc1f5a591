/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* exec-space.c - the space and extend verbs of external providers: how full their snapshots are, and growing one */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "exec-call.h"
#include "macro.h"
#include "provider-exec.h"

#define EXEC_EXTEND_TIMEOUT (60 * USEC_PER_SEC)

/* A percentage 0 to 100 as hundredths; -1 if absent; -EBADMSG if not one. */
static int get_percent(json_object *o, const char *key, int *ret) {
        json_object *j;
        *ret = -1;
        if (!json_object_object_get_ex(o, key, &j))
                return 0;
        if (!json_object_is_type(j, json_type_double) && !json_object_is_type(j, json_type_int))
                return -EBADMSG;
        double x = json_object_get_double(j);
        if (!(x >= 0 && x <= 100))
                return -EBADMSG;
        *ret = (int) (x * 100 + 0.5);
        return 0;
}

static int get_bytes(json_object *o, const char *key, uint64_t *ret) {
        json_object *j;
        *ret = 0;
        if (!json_object_object_get_ex(o, key, &j))
                return 0;
        if (!json_object_is_type(j, json_type_int) || json_object_get_int64(j) < 0)
                return -EBADMSG;
        *ret = (uint64_t) json_object_get_int64(j);
        return 0;
}

static bool get_bool(json_object *o, const char *key) {
        json_object *j;
        return json_object_object_get_ex(o, key, &j) && json_object_is_type(j, json_type_boolean) &&
               json_object_get_boolean(j);
}

static int get_name(json_object *o, const char *key, char *buf) {
        const char *s = json_get_string(o, key);
        if (s && strlen(s) >= STASIS_SPACE_NAME_MAX)
                return -EBADMSG;
        snprintf(buf, STASIS_SPACE_NAME_MAX, "%s", s ? s : "");
        return 0;
}

/* One entry of the answer, checked: it must name the snapshot asked about. */
static int parse_entry(json_object *o, const StasisVolume *v, StasisSpace *s) {
        const char *handle = json_get_string(o, "handle"), *kind = json_get_string(o, "kind");

        if (!json_object_is_type(o, json_type_object) || !handle || !streq(handle, strempty(v->handle)))
                return -EBADMSG;
        *s = (StasisSpace) { .known = true, .exists = get_bool(o, "exists") };
        s->growable = kind && streq(kind, "classic");
        s->invalid = get_bool(o, "invalid");
        if (get_percent(o, "used_percent", &s->used) < 0 || get_percent(o, "pool_data_percent", &s->pool_data) < 0 ||
            get_percent(o, "pool_metadata_percent", &s->pool_metadata) < 0 || get_bytes(o, "size", &s->size) < 0 ||
            get_bytes(o, "room", &s->room) < 0 || get_bytes(o, "extent_size", &s->step) < 0 ||
            get_name(o, "group", s->group) < 0 || get_name(o, "pool", s->pool) < 0)
                return -EBADMSG;
        return 0;
}

int exec_space(const StasisProvider *self, const StasisVolume * const *volumes, size_t n, StasisSpace *space,
               StasisProviderResult *res) {
        json_object *req = exec_new_request(), *arr = json_object_new_array(), *resp = NULL, *out;
        int r;

        for (size_t i = 0; i < n; i++) {
                json_object_array_add(arr, exec_volume_to_json(volumes[i]));
                space[i] = (StasisSpace) { .used = -1, .pool_data = -1, .pool_metadata = -1 };
        }
        json_object_object_add(req, "volumes", arr);
        r = exec_provider_call(self, "space", req, STASIS_PROVIDER_SPACE_TIMEOUT, -1, &resp, res);
        if (r < 0)
                return r;
        if (!json_object_object_get_ex(resp, "volumes", &out) || !json_object_is_type(out, json_type_array) ||
            json_object_array_length(out) != n) {
                json_object_put(resp);
                return stasis_provider_result_set(res, -EBADMSG, "%s space: the answer lacks an array \"volumes\" "
                                                  "of %zu entries, one for each volume asked about", self->name, n);
        }
        for (size_t i = 0; i < n; i++)
                if (parse_entry(json_object_array_get_idx(out, i), volumes[i], &space[i]) < 0) {
                        json_object_put(resp);
                        return stasis_provider_result_set(res, -EBADMSG, "%s space: entry %zu of the answer is "
                                                          "not about snapshot %s, or has a bad field", self->name,
                                                          i, strempty(volumes[i]->handle));
                }
        json_object_put(resp);
        return 0;
}

int exec_extend(const StasisProvider *self, const StasisVolume *v, uint64_t size, uint64_t *ret_size,
                StasisProviderResult *res) {
        json_object *req = exec_new_request(), *resp = NULL;
        json_object_object_add(req, "volume", exec_volume_to_json(v));
        json_object_object_add(req, "size", json_object_new_int64((int64_t) size));
        int r = exec_provider_call(self, "extend", req, EXEC_EXTEND_TIMEOUT, -1, &resp, res);
        if (r < 0)
                return r;
        if (get_bytes(resp, "size", ret_size) < 0 || *ret_size == 0)
                *ret_size = size;
        json_object_put(resp);
        return 0;
}
