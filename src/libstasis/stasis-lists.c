/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-lists.c - what the lists a requestor reads share: adding an entry, and the calls they are read with */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "stasis-lists-internal.h"

void *list_add(void **entries, size_t *n, size_t record_size, const char *const *values, size_t n_fields,
               int *ret_error) {
        char *e;

        *ret_error = -EBADMSG;
        if (*n >= LIST_MAX)
                return NULL;
        *ret_error = -ENOMEM;
        e = realloc(*entries, (*n + 1) * record_size);
        if (!e)
                return NULL;
        *entries = e;
        e += (*n)++ * record_size;
        memset(e, 0, record_size);
        /* Counted in *n already: freed with the list if a copy fails. */
        for (size_t i = 0; i < n_fields; i++)
                if (!(((char **) e)[i] = strdup(values[i] ? values[i] : "")))
                        return NULL;
        *ret_error = 0;
        return e;
}

int requestor_new_manager_call(StasisRequestor *r, const char *member, sd_bus_message **ret) {
        int k = sd_bus_message_new_method_call(r->client.bus, ret, STASIS_BUS_NAME, STASIS_MANAGER_PATH,
                                               STASIS_MANAGER_INTERFACE, member);
        if (k < 0)
                return requestor_fail(r, k, "Cannot make a %s call: %s", member, strerror(-k));
        return 0;
}

int requestor_new_set_call(StasisRequestor *r, const char *id, const char *member, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *path;
        int k;

        if (!set_id_valid(id))
                return requestor_fail(r, -EINVAL, "Set id \"%s\" is not a decimal number", strna(id));
        k = requestor_call_id(r, "GetSet", id, &reply);
        if (k < 0)
                return k;
        k = sd_bus_message_read(reply, "o", &path);
        if (k < 0)
                return requestor_fail(r, k, "Malformed reply to GetSet: %s", strerror(-k));
        k = sd_bus_message_new_method_call(r->client.bus, ret, STASIS_BUS_NAME, path, STASIS_SET_INTERFACE, member);
        if (k < 0)
                return requestor_fail(r, k, "Cannot make a %s call: %s", member, strerror(-k));
        return 0;
}
