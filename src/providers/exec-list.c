/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* exec-list.c - the list verb of external providers: the snapshots in their stores, checked (docs/provider-spec.md) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exec-call.h"
#include "exec-list.h"
#include "macro.h"
#include "path-util.h"
#include "provider-exec.h"
#include "utf8.h"

/* Whether s is n decimal digits, without a leading zero (but "0"), at most max_digits long. */
static bool digits_ok(const char *s, size_t n, size_t max_digits) {
        if (n == 0 || n > max_digits || (s[0] == '0' && n > 1))
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] < '0' || s[i] > '9')
                        return false;
        return true;
}

int exec_handle_parse(const char *handle, char **ret_set_id, uint64_t *ret_index) {
        if (strncmp(handle, "stasis-", 7) != 0)
                return -EINVAL;
        const char *id = handle + 7, *dash = strchr(id, '-');
        if (!dash)
                return -EINVAL;
        size_t id_len = (size_t) (dash - id), index_len = strlen(dash + 1);
        /* A set id is 1 to 19 digits up to INT64_MAX, and not 0; an index is below the volumes of a set. */
        if (!digits_ok(id, id_len, 19) || id[0] == '0' ||
            (id_len == 19 && strncmp(id, "9223372036854775807", 19) > 0) ||
            !digits_ok(dash + 1, index_len, 3))
                return -EINVAL;
        uint64_t index = strtoull(dash + 1, NULL, 10);
        if (index >= EXEC_LIST_INDEX_MAX)
                return -EINVAL;
        char *s = strndup(id, id_len);
        if (!s)
                return -ENOMEM;
        *ret_set_id = s;
        *ret_index = index;
        return 0;
}

/* Text for people and for the provider's delete: valid UTF-8 without control characters. */
static bool text_ok(const char *s, size_t max) {
        size_t n = strlen(s);
        if (n > max || !utf8_is_valid(s))
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f)
                        return false;
        return true;
}

static int compare_handles(const void *a, const void *b) {
        const StasisStoredSnapshot *x = a, *y = b;
        return strcmp(x->volume.handle, y->volume.handle);
}

/* Reads snapshot i of the answer into s; fills res and returns -EBADMSG when it is not one stasisd could have made. */
static int read_snapshot(const StasisProvider *self, json_object *o, size_t i, StasisStoredSnapshot *s,
                         StasisProviderResult *res) {
        char shown[96];
        json_object *j;

        if (!json_object_is_type(o, json_type_object))
                return stasis_provider_result_set(res, -EBADMSG, "provider %s list: snapshot %zu is not an object",
                                                  self->name, i);
        const char *handle = json_get_string(o, "handle"), *key = json_get_string(o, "key"),
                   *source = json_get_string(o, "source");
        if (!handle)
                return stasis_provider_result_set(res, -EBADMSG, "provider %s list: snapshot %zu has no \"handle\"",
                                                  self->name, i);
        int r = exec_handle_parse(handle, &s->set_id, &s->index);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return stasis_provider_result_set(res, -EBADMSG,
                                "provider %s list: snapshot %zu has handle %s, not a name stasisd gives snapshots "
                                "(stasis-SETID-INDEX)", self->name, i,
                                string_escape_short(handle, shown, sizeof shown));
        if (isempty(key) || !source || !text_ok(key, EXEC_LIST_TEXT_MAX) || !text_ok(source, EXEC_LIST_TEXT_MAX))
                return stasis_provider_result_set(res, -EBADMSG,
                                "provider %s list: snapshot %s lacks a \"key\" (not empty) or a \"source\", or one is "
                                "longer than %d bytes, not UTF-8 or has control characters",
                                self->name, handle, EXEC_LIST_TEXT_MAX);
        if (json_object_object_get_ex(o, "created", &j)) {
                double t = json_object_is_type(j, json_type_int) ? (double) json_object_get_int64(j) :
                           json_object_is_type(j, json_type_double) ? json_object_get_double(j) : -1;
                /* Seconds since the epoch, before the year 10000. */
                if (!(t >= 0 && t < 253402300800.0))
                        return stasis_provider_result_set(res, -EBADMSG,
                                        "provider %s list: snapshot %s: \"created\" is not a time in seconds since "
                                        "the epoch", self->name, handle);
                s->created = (usec_t) (t * USEC_PER_SEC);
        }
        s->volume.provider = self;
        s->volume.handle = strdup(handle);
        s->volume.key = strdup(key);
        s->volume.source = strdup(source);
        if (!s->volume.handle || !s->volume.key || !s->volume.source)
                return -ENOMEM;
        return 0;
}

int exec_list_parse(const StasisProvider *self, json_object *resp, StasisStoredSnapshot **ret, size_t *ret_n,
                    StasisProviderResult *res) {
        StasisStoredSnapshot *found = NULL;
        json_object *arr;
        size_t n = 0;
        int r;

        if (!json_object_is_type(resp, json_type_object) || !json_object_object_get_ex(resp, "snapshots", &arr) ||
            !json_object_is_type(arr, json_type_array))
                return stasis_provider_result_set(res, -EBADMSG, "provider %s list: answer lacks an array \"snapshots\"",
                                                  self->name);
        n = json_object_array_length(arr);
        if (n > EXEC_LIST_MAX)
                return stasis_provider_result_set(res, -EBADMSG, "provider %s list: answer lists %zu snapshots, more "
                                                  "than the %d stasisd takes", self->name, n, EXEC_LIST_MAX);
        found = calloc(MAX(n, (size_t) 1), sizeof *found);
        if (!found)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                r = read_snapshot(self, json_object_array_get_idx(arr, i), i, &found[i], res);
                if (r < 0)
                        goto fail;
        }
        /* One name, one snapshot: an orphan is deleted by its handle. */
        qsort(found, n, sizeof *found, compare_handles);
        for (size_t i = 1; i < n; i++)
                if (streq(found[i - 1].volume.handle, found[i].volume.handle)) {
                        r = stasis_provider_result_set(res, -EBADMSG, "provider %s list: answer lists %s twice",
                                                       self->name, found[i].volume.handle);
                        goto fail;
                }
        *ret = found;
        *ret_n = n;
        return (int) n;
fail:
        stasis_stored_snapshots_free(found, n);
        return r;
}

int exec_list(const StasisProvider *self, StasisStoredSnapshot **ret, size_t *ret_n, StasisProviderResult *res) {
        char err[STASIS_PROVIDER_MESSAGE_MAX];
        json_object *req = json_object_new_object(), *resp = NULL;
        int r;

        json_object_object_add(req, "version", json_object_new_int(EXEC_PROTOCOL_VERSION));
        r = exec_call_sized(exec_provider_path(self), "list", req, STASIS_PROVIDER_LIST_TIMEOUT, -1, EXEC_LIST_OUTPUT_MAX,
                            &resp, err, sizeof err);
        json_object_put(req);
        if (r < 0)
                return stasis_provider_result_set(res, r, "%s", err);
        r = exec_list_parse(self, resp, ret, ret_n, res);
        json_object_put(resp);
        return r;
}
