/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-requestor-external.c - external sets: freezing writers for a snapshot someone else takes, and thawing them */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stasis-requestor-internal.h"
#include "strv.h"

static int append_freeze(sd_bus_message *m, const StasisSetRequest *q, uint64_t window_usec,
                         uint64_t freeze_timeout_usec) {
        int k = sd_bus_message_append_strv(m, q->paths);
        if (k >= 0)
                k = sd_bus_message_open_container(m, 'a', "{sv}");
        if (k >= 0 && q->label)
                k = sd_bus_message_append(m, "{sv}", "label", "s", q->label);
        if (k >= 0 && window_usec > 0)
                k = sd_bus_message_append(m, "{sv}", "FreezeWindowUSec", "t", window_usec);
        if (k >= 0 && freeze_timeout_usec > 0)
                k = sd_bus_message_append(m, "{sv}", "FreezeTimeoutUSec", "t", freeze_timeout_usec);
        if (k >= 0)
                k = requestor_append_strv_option(m, "components", q->components);
        if (k >= 0)
                k = sd_bus_message_close_container(m);
        return k;
}

/* "writer: reason" per line; the number of lines in *ret_n. */
static int read_not_frozen(sd_bus_message *reply, char **ret, int *ret_n) {
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        const char *w, *why;
        int n = 0, k;

        k = sd_bus_message_enter_container(reply, 'a', "(ss)");
        if (k < 0)
                return k;
        while ((k = sd_bus_message_read(reply, "(ss)", &w, &why)) > 0) {
                size_t add = strlen(w) + strlen(why) + 3;
                char *t = realloc(text, len + add + 1);
                if (!t)
                        return -ENOMEM;
                text = t;
                len += (size_t) snprintf(text + len, add + 1, "%s%s: %s", n > 0 ? "\n" : "", w, why);
                if (++n >= SET_ITEMS_MAX)
                        return -EBADMSG;
        }
        if (k < 0)
                return k;
        k = sd_bus_message_exit_container(reply);
        if (k < 0)
                return k;
        if (!text && !(text = strdup("")))
                return -ENOMEM;
        *ret = TAKE_PTR(text);
        *ret_n = n;
        return 0;
}

int stasis_requestor_freeze_external(StasisRequestor *r, const StasisSetRequest *q, uint64_t window_usec,
                                     char **ret_id, char **ret_not_frozen) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_free_ char *not_frozen = NULL, *id_copy = NULL;
        const char *id, *path;
        int k, n = 0;

        if (!r)
                return -EINVAL;
        k = requestor_begin(r);
        if (k < 0)
                return k;
        if (!q || !ret_id)
                return requestor_fail(r, -EINVAL, "freeze external: the request and ret_id must not be NULL");
        if (q->request_id || q->require_writers)
                return requestor_fail(r, -EINVAL, "freeze external: an external set takes no request id and "
                                      "never requires its writers");
        k = sd_bus_message_new_method_call(r->client.bus, &m, STASIS_BUS_NAME, STASIS_MANAGER_PATH,
                                           STASIS_MANAGER_INTERFACE, "FreezeExternal");
        if (k >= 0)
                /* stasisd answers in time: writers whose Freeze takes longer are left out. */
                k = append_freeze(m, q, window_usec, r->timeout_usec / 10 * 9);
        if (k < 0)
                return requestor_fail(r, k, "Cannot build the FreezeExternal call: %s", strerror(-k));
        k = requestor_call(r, m, &reply);
        if (k < 0)
                return k;
        k = sd_bus_message_read(reply, "so", &id, &path);
        if (k >= 0)
                k = read_not_frozen(reply, &not_frozen, &n);
        if (k >= 0 && !(id_copy = strdup(id)))
                k = -ENOMEM;
        if (k < 0)
                return requestor_fail(r, k, "Malformed reply to FreezeExternal: %s", strerror(-k));
        *ret_id = TAKE_PTR(id_copy);
        if (ret_not_frozen)
                *ret_not_frozen = TAKE_PTR(not_frozen);
        return n;
}

int stasis_requestor_thaw_external(StasisRequestor *r, const char *id, char **ret_id) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *got, *path;
        int k;

        if (!r)
                return -EINVAL;
        k = requestor_begin(r);
        if (k < 0)
                return k;
        k = requestor_call_id(r, "ThawExternal", strempty(id), &reply);
        if (k < 0)
                return k;
        k = sd_bus_message_read(reply, "so", &got, &path);
        if (k < 0)
                return requestor_fail(r, k, "Malformed reply to ThawExternal: %s", strerror(-k));
        if (ret_id) {
                char *c = strdup(got);
                if (!c)
                        return requestor_fail(r, -ENOMEM, "Out of memory");
                *ret_id = c;
        }
        return 0;
}
