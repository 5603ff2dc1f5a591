/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-requestor-calls.c - what a requestor asks of stasisd: creating (in the caller's loop or not), completing and deleting sets */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stasis-lists-internal.h"
#include "strv.h"
#include "time-util.h"

static int new_manager_call(StasisRequestor *r, const char *member, sd_bus_message **ret) {
        int q = sd_bus_message_new_method_call(r->client.bus, ret, STASIS_BUS_NAME, STASIS_MANAGER_PATH,
                                               STASIS_MANAGER_INTERFACE, member);
        if (q < 0)
                return requestor_fail(r, q, "Cannot make a %s call: %s", member, strerror(-q));
        return 0;
}

int requestor_call_id(StasisRequestor *r, const char *member, const char *id, sd_bus_message **ret_reply) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int k;

        k = new_manager_call(r, member, &m);
        if (k < 0)
                return k;
        k = sd_bus_message_append(m, "s", id);
        if (k < 0)
                return requestor_fail(r, k, "Cannot build the %s call: %s", member, strerror(-k));
        return requestor_call(r, m, ret_reply);
}

int requestor_append_strv_option(sd_bus_message *m, const char *key, char **values) {
        int k;

        if (strv_isempty(values))
                return 0;
        k = sd_bus_message_open_container(m, 'e', "sv");
        if (k >= 0)
                k = sd_bus_message_append(m, "s", key);
        if (k >= 0)
                k = sd_bus_message_open_container(m, 'v', "as");
        if (k >= 0)
                k = sd_bus_message_append_strv(m, values);
        if (k >= 0)
                k = sd_bus_message_close_container(m);
        if (k >= 0)
                k = sd_bus_message_close_container(m);
        return k;
}

static int append_create(StasisRequestor *r, sd_bus_message *m, const StasisSetRequest *q) {
        int k;

        k = sd_bus_message_append_strv(m, q->paths);
        if (k >= 0)
                k = sd_bus_message_open_container(m, 'a', "{sv}");
        if (k >= 0 && q->label)
                k = sd_bus_message_append(m, "{sv}", "label", "s", q->label);
        if (k >= 0 && q->request_id)
                k = sd_bus_message_append(m, "{sv}", "RequestId", "s", q->request_id);
        if (k >= 0 && q->expire_after > 0)
                k = sd_bus_message_append(m, "{sv}", "ExpireAfterUSec", "t", q->expire_after);
        if (k >= 0)
                k = sd_bus_message_append(m, "{sv}", "persistent", "b", (int) q->persistent);
        if (k >= 0)
                k = sd_bus_message_append(m, "{sv}", "require-writers", "b", (int) q->require_writers);
        if (k >= 0)
                k = requestor_append_strv_option(m, "components", q->components);
        if (k >= 0)
                k = requestor_append_strv_option(m, "exclude-writers", q->exclude_writers);
        if (k >= 0)
                k = sd_bus_message_close_container(m);
        if (k < 0)
                return requestor_fail(r, k, "Cannot build the CreateSet call: %s", strerror(-k));
        return 0;
}

static int new_create_call(StasisRequestor *r, const StasisSetRequest *q, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int k;

        if (!r || !q || !ret)
                return r ? requestor_fail(r, -EINVAL, "create: the request and the result must not be NULL")
                         : -EINVAL;
        k = requestor_begin(r);
        if (k < 0)
                return k;
        k = new_manager_call(r, "CreateSet", &m);
        if (k < 0)
                return k;
        k = append_create(r, m, q);
        if (k < 0)
                return k;
        *ret = TAKE_PTR(m);
        return 0;
}

static int read_id(sd_bus_message *reply, char **ret) {
        const char *id, *path;
        char *s;
        int k;

        k = sd_bus_message_read(reply, "so", &id, &path);
        if (k < 0)
                return k;
        s = strdup(id);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int stasis_requestor_create_set(StasisRequestor *r, const StasisSetRequest *q, char **ret_id) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        int k;

        k = new_create_call(r, q, &m);
        if (k < 0)
                return k;
        if (!ret_id)
                return requestor_fail(r, -EINVAL, "create: ret_id must not be NULL");
        k = requestor_call(r, m, &reply);
        if (k < 0)
                return k;
        k = read_id(reply, ret_id);
        if (k < 0)
                return requestor_fail(r, k, "Malformed reply to CreateSet: %s", strerror(-k));
        return 0;
}

int stasis_requestor_lookup_request_id(StasisRequestor *r, const char *request_id, char **ret_id) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int k;

        k = requestor_begin(r);
        if (k < 0)
                return k;
        if (isempty(request_id) || !ret_id)
                return requestor_fail(r, -EINVAL, "lookup: the request id must not be empty, nor ret_id NULL");
        k = requestor_call_id(r, "LookupRequestId", request_id, &reply);
        if (k < 0)
                return k;
        k = read_id(reply, ret_id);
        if (k < 0)
                return requestor_fail(r, k, "Malformed reply to LookupRequestId: %s", strerror(-k));
        return 0;
}

typedef struct CreateCall {
        StasisRequestor *requestor;     /* not a reference: the call goes with the bus */
        stasis_create_handler_t handler;
        void *userdata;
        uint64_t started, timeout;      /* CLOCK_MONOTONIC, when sent; the call's time-out */
} CreateCall;

static int on_create_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        CreateCall *c = userdata;
        StasisErrorInfo info = {};
        _cleanup_free_ char *id = NULL;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int k;

        if (e)
                (void) requestor_fail_call(c->requestor, &info, -sd_bus_error_get_errno(e) ?: -EIO, e, c->started,
                                           c->timeout);
        else {
                requestor_note_answer(c->requestor, reply);
                k = read_id(reply, &id);
                if (k < 0)
                        error_info_set(&info, k, "Malformed reply to CreateSet: %s", strerror(-k));
        }
        stasis_requestor_ref(c->requestor);
        c->handler(c->requestor, id, id ? NULL : &info, c->userdata);
        stasis_requestor_unref(c->requestor);
        error_info_clear(&info);
        return 0;
}

int stasis_requestor_create_set_async(StasisRequestor *r, const StasisSetRequest *q,
                                      stasis_create_handler_t handler, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        sd_bus_slot *slot = NULL;
        CreateCall *c;
        int k;

        if (r && !handler)
                return requestor_fail(r, -EINVAL, "create: the handler must not be NULL");
        k = new_create_call(r, q, &m);
        if (k >= 0)
                k = requestor_own_loop(r);
        if (k < 0)
                return k;
        c = calloc(1, sizeof(CreateCall));
        if (!c)
                return requestor_fail(r, -ENOMEM, "Out of memory");
        *c = (CreateCall) { r, handler, userdata, now_usec(CLOCK_MONOTONIC), r->timeout_usec };
        k = sd_bus_call_async(r->client.bus, &slot, m, on_create_reply, c, r->timeout_usec);
        if (k < 0) {
                free(c);
                return requestor_fail(r, k, "Cannot send CreateSet: %s", strerror(-k));
        }
        /* In the library's own loop, nothing may be left to write that the
         * loop's fd would not tell of. */
        if (!r->client.outer) {
                k = sd_bus_flush(r->client.bus);
                if (k < 0) {
                        sd_bus_slot_unref(slot);        /* frees nothing of c: no destroy callback yet */
                        free(c);
                        return requestor_fail(r, k, "Cannot send CreateSet: %s", strerror(-k));
                }
        }
        /* The slot floats with the bus and frees c when the call is over. */
        (void) sd_bus_slot_set_destroy_callback(slot, free);
        (void) sd_bus_slot_set_floating(slot, 1);
        sd_bus_slot_unref(slot);
        return 0;
}

/* ---- Completing and deleting ---- */

int stasis_requestor_complete_set(StasisRequestor *r, const char *id, const char *const *failed) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int k;

        k = requestor_begin(r);
        if (k < 0)
                return k;
        /* Set.Complete on a set that does not exist fails with the bus'
         * UnknownObject: the manager is asked first, for stasisd's NoSuchSet. */
        k = requestor_new_set_call(r, id, "Complete", &m);
        if (k < 0)
                return k;
        k = sd_bus_message_append_strv(m, (char **) (failed ?: (const char *const[]) { NULL }));
        if (k < 0)
                return requestor_fail(r, k, "Cannot build the Complete call: %s", strerror(-k));
        return requestor_call(r, m, NULL);
}

int stasis_requestor_delete_set(StasisRequestor *r, const char *id) {
        int k;

        k = requestor_begin(r);
        if (k < 0)
                return k;
        if (isempty(id))
                return requestor_fail(r, -EINVAL, "delete: the set id must not be NULL or empty");
        return requestor_call_id(r, "DeleteSet", id, NULL);
}
