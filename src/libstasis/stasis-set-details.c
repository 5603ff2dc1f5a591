/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-set-details.c - a set's properties, backup metadata and exclusive size, asked for in one round trip */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stasis-requestor-internal.h"

enum { CALL_PROPERTIES, CALL_METADATA, CALL_EXCLUSIVE, _CALL_MAX };

static inline void metadata_list_freep(StasisMetadataList **l) {
        stasis_metadata_list_free(*l);
}

static inline void set_unrefp(StasisSet **s) {
        stasis_set_unref(*s);
}

static void batch_calls_donep(BatchCall (*calls)[_CALL_MAX]) {
        batch_calls_done(*calls, _CALL_MAX);
}

/* One by one, as the three calls would be made: for an id that is not a
 * number, or a set that is not there (GetSet then answers NoSuchSet). */
static int details_one_by_one(StasisRequestor *r, const char *id, StasisSet **ret_set,
                              StasisMetadataList **ret_metadata, uint64_t *ret_exclusive,
                              char **ret_exclusive_why) {
        _cleanup_(set_unrefp) StasisSet *s = NULL;
        _cleanup_(metadata_list_freep) StasisMetadataList *l = NULL;
        _cleanup_free_ char *why = NULL;
        uint64_t bytes = UINT64_MAX;
        int k;

        k = stasis_requestor_get_set(r, id, &s);
        if (k >= 0 && ret_metadata)
                k = stasis_requestor_get_set_metadata(r, id, &l);
        if (k < 0)
                return k;
        if (ret_exclusive && stasis_requestor_get_set_exclusive_size(r, id, &bytes) < 0) {
                const char *msg = r->client.last_error.message;
                const char *w = msg ? strstr(msg, "is not known: ") : NULL;
                if (w && !(why = strdup(w + strlen("is not known: "))))
                        return requestor_fail(r, -ENOMEM, "Out of memory");
                bytes = UINT64_MAX;
                r->client.failed = false;       /* an unknown size is not this call's failure */
        }
        *ret_set = TAKE_PTR(s);
        if (ret_metadata)
                *ret_metadata = TAKE_PTR(l);
        if (ret_exclusive)
                *ret_exclusive = bytes;
        if (ret_exclusive_why)
                *ret_exclusive_why = TAKE_PTR(why);
        return 0;
}

static int new_set_call(StasisRequestor *r, const char *path, const char *interface, const char *member,
                        sd_bus_message **ret) {
        int k = sd_bus_message_new_method_call(r->client.bus, ret, STASIS_BUS_NAME, path, interface, member);
        if (k >= 0 && streq(member, "GetAll"))
                k = sd_bus_message_append(*ret, "s", STASIS_SET_INTERFACE);
        if (k < 0)
                return requestor_fail(r, k, "Cannot build the %s call: %s", member, strerror(-k));
        return 0;
}

int stasis_requestor_get_set_details(StasisRequestor *r, const char *id, StasisSet **ret_set,
                                     StasisMetadataList **ret_metadata, uint64_t *ret_exclusive,
                                     char **ret_exclusive_why) {
        _cleanup_(batch_calls_donep) BatchCall calls[_CALL_MAX] = {};
        _cleanup_(set_unrefp) StasisSet *s = NULL;
        _cleanup_(metadata_list_freep) StasisMetadataList *l = NULL;
        _cleanup_free_ char *path = NULL, *why = NULL;
        uint64_t bytes = UINT64_MAX;
        const char *w;
        size_t n = 1;
        int k;

        k = requestor_begin(r);
        if (k < 0)
                return k;
        if (!ret_set)
                return requestor_fail(r, -EINVAL, "details: ret_set must not be NULL");
        if (!set_id_valid(id))
                return requestor_fail(r, -EINVAL, "Set id \"%s\" is not a decimal number", strna(id));
        if (!set_id_is_number(id))
                return details_one_by_one(r, id, ret_set, ret_metadata, ret_exclusive, ret_exclusive_why);
        if (asprintf(&path, "%s/%s", STASIS_SET_PATH_PREFIX, id) < 0)
                return requestor_fail(r, -ENOMEM, "Out of memory");

        k = new_set_call(r, path, "org.freedesktop.DBus.Properties", "GetAll", &calls[CALL_PROPERTIES].call);
        if (k >= 0 && ret_metadata)
                k = new_set_call(r, path, STASIS_SET_INTERFACE, "BackupMetadata", &calls[n++].call);
        if (k >= 0 && ret_exclusive)
                k = new_set_call(r, path, STASIS_SET_INTERFACE, "GetExclusiveSize", &calls[n++].call);
        if (k < 0)
                return k;
        requestor_call_batch(r, calls, n);

        /* Not there (or not a set): as one by one, for stasisd's NoSuchSet. */
        if (calls[CALL_PROPERTIES].result < 0 &&
            (sd_bus_error_has_name(&calls[CALL_PROPERTIES].error, SD_BUS_ERROR_UNKNOWN_OBJECT) ||
             sd_bus_error_has_name(&calls[CALL_PROPERTIES].error, SD_BUS_ERROR_UNKNOWN_INTERFACE)))
                return details_one_by_one(r, id, ret_set, ret_metadata, ret_exclusive, ret_exclusive_why);
        k = batch_call_result(r, &calls[CALL_PROPERTIES]);
        if (k < 0)
                return k;
        k = set_new(path, &s);
        if (k >= 0)
                k = set_read_properties(s, calls[CALL_PROPERTIES].reply);
        if (k < 0)
                return requestor_fail(r, k, "Malformed properties of set %s: %s", id, strerror(-k));

        n = 1;
        if (ret_metadata) {
                k = batch_call_result(r, &calls[n]);
                if (k >= 0)
                        k = metadata_list_from_reply(r, calls[n].reply, &l);
                if (k < 0)
                        return k;
                n++;
        }
        /* An exclusive size stasisd cannot tell (or an older stasisd, without
         * the method): UINT64_MAX, with stasisd's reason if it gave one. */
        if (ret_exclusive && calls[n].result >= 0) {
                k = sd_bus_message_read(calls[n].reply, "ts", &bytes, &w);
                if (k < 0)
                        return requestor_fail(r, k, "Malformed reply to GetExclusiveSize: %s", strerror(-k));
                if (bytes == UINT64_MAX && !(why = strdup(w)))
                        return requestor_fail(r, -ENOMEM, "Out of memory");
        }

        *ret_set = TAKE_PTR(s);
        if (ret_metadata)
                *ret_metadata = TAKE_PTR(l);
        if (ret_exclusive)
                *ret_exclusive = bytes;
        if (ret_exclusive_why)
                *ret_exclusive_why = TAKE_PTR(why);
        return 0;
}
