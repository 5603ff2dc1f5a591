/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-requestor.c - the StasisRequestor object: its connection, its loop, creating, completing and deleting sets */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "bus-errors.h"
#include "bus-util.h"
#include "stasis-requestor-internal.h"
#include "strv.h"

#define REQUESTOR_TIMEOUT_DEFAULT_USEC (UINT64_C(60) * 60 * 1000000)

int requestor_fail(StasisRequestor *r, int error, const char *format, ...) {
        char *s = NULL;
        va_list ap;

        va_start(ap, format);
        if (vasprintf(&s, format, ap) < 0)
                s = NULL;
        va_end(ap);
        (void) error_info_set(&r->last_error, error, "%s", strempty(s));
        free(s);
        r->failed = true;
        return error;
}

int requestor_fail_bus(StasisRequestor *r, int error, const sd_bus_error *e) {
        error_info_set_bus(&r->last_error, error, e);
        r->failed = true;
        return error;
}

static int run_loop(StasisRequestor *r, uint64_t usec);

int stasis_requestor_new(StasisRequestor **ret) {
        StasisRequestor *r;

        if (!ret)
                return -EINVAL;
        r = calloc(1, sizeof(StasisRequestor));
        if (!r)
                return -ENOMEM;
        r->n_ref = 1;
        r->timeout_usec = REQUESTOR_TIMEOUT_DEFAULT_USEC;
        r->kick_fd = -1;
        *ret = r;
        return 0;
}

StasisRequestor *stasis_requestor_ref(StasisRequestor *r) {
        if (r)
                r->n_ref++;
        return r;
}

StasisRequestor *stasis_requestor_unref(StasisRequestor *r) {
        if (!r || --r->n_ref > 0)
                return NULL;

        requestor_watch_stop(r);
        if (r->bus) {
                /* Pending calls' slots go with the bus; their handlers are not called. */
                sd_bus_detach_event(r->bus);
                sd_bus_flush_close_unref(r->bus);
        }
        sd_event_source_disable_unref(r->kick_source);
        safe_close(r->kick_fd);
        sd_event_unref(r->event);
        error_info_clear(&r->last_error);
        free(r->bus_address);
        free(r);
        return NULL;
}

int stasis_requestor_set_bus_address(StasisRequestor *r, const char *address) {
        char *a = NULL;

        if (!r)
                return -EINVAL;
        if (r->bus)
                return requestor_fail(r, -EBUSY, "bus address: the requestor is connected already");
        if (address) {
                a = strdup(address);
                if (!a)
                        return requestor_fail(r, -ENOMEM, "Out of memory");
        }
        free(r->bus_address);
        r->bus_address = a;
        r->failed = false;
        return 0;
}

int stasis_requestor_set_timeout(StasisRequestor *r, uint64_t usec) {
        if (!r)
                return -EINVAL;
        r->timeout_usec = usec ?: REQUESTOR_TIMEOUT_DEFAULT_USEC;
        r->failed = false;
        return 0;
}

int stasis_requestor_attach_event(StasisRequestor *r, sd_event *event, int64_t priority) {
        sd_event *e = NULL;
        int q;

        if (!r)
                return -EINVAL;
        if (r->bus)
                return requestor_fail(r, -EBUSY, "event loop: attach it before connecting");
        if (event)
                e = sd_event_ref(event);
        else {
                q = sd_event_default(&e);
                if (q < 0)
                        return requestor_fail(r, q, "Cannot get the default event loop: %s", strerror(-q));
        }
        sd_event_unref(r->event);
        r->event = e;
        r->event_foreign = true;
        r->priority = priority;
        r->failed = false;
        return 0;
}

static int on_kick(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        uint64_t v;

        (void) !read(fd, &v, sizeof v);
        return 0;
}

static int kick_setup(StasisRequestor *r) {
        if (r->kick_source)
                return 0;
        r->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (r->kick_fd < 0)
                return -errno;
        return sd_event_add_io(r->event, &r->kick_source, r->kick_fd, EPOLLIN, on_kick, r);
}

/* After a synchronous call in the library's own loop: if the bus read
 * messages meanwhile (signals, answers of asynchronous calls), make the
 * loop's fd readable so that the caller's poll() wakes up for them. */
static void kick(StasisRequestor *r) {
        uint64_t t, one = 1;

        if (r->kick_fd < 0 || sd_bus_get_timeout(r->bus, &t) <= 0 || t != 0)
                return;
        (void) !write(r->kick_fd, &one, sizeof one);
}

int stasis_requestor_connect(StasisRequestor *r) {
        const char *address, *unique;
        int q;

        if (!r)
                return -EINVAL;
        r->failed = false;
        if (r->bus)
                return 0;
        q = stasis_bus_error_map_register();
        if (q < 0)
                return requestor_fail(r, q, "Cannot register the stasis bus errors: %s", strerror(-q));
        if (!r->event) {
                q = sd_event_new(&r->event);
                if (q < 0)
                        return requestor_fail(r, q, "Cannot make an event loop: %s", strerror(-q));
        }
        address = r->bus_address ?: stasis_bus_address();
        q = bus_open_address(address, "stasis-requestor", &r->bus);
        if (q < 0)
                return requestor_fail(r, q, "Cannot connect to the bus %s: %s", address ?: "(the system bus)",
                                      strerror(-q));
        /* Wait for Hello now, so that calls are written as they are made. */
        q = sd_bus_get_unique_name(r->bus, &unique);
        if (q >= 0)
                q = sd_bus_attach_event(r->bus, r->event, r->priority);
        if (q < 0) {
                r->bus = sd_bus_flush_close_unref(r->bus);
                return requestor_fail(r, q, "Cannot connect to the bus %s: %s", address ?: "(the system bus)",
                                      strerror(-q));
        }
        if (!r->event_foreign) {
                q = kick_setup(r);
                if (q < 0) {
                        r->bus = sd_bus_flush_close_unref(r->bus);
                        return requestor_fail(r, q, "Cannot set up the event loop: %s", strerror(-q));
                }
                /* Make the loop's first pass now: from then on its fd tells
                 * of what the bus waits for. */
                (void) run_loop(r, 0);
        }
        return 0;
}

int requestor_begin(StasisRequestor *r) {
        return stasis_requestor_connect(r);
}

const StasisErrorInfo *stasis_requestor_last_error(StasisRequestor *r) {
        return r && r->failed ? &r->last_error : NULL;
}

/* ---- The library's own loop ---- */

static int own_loop(StasisRequestor *r, const char *what) {
        if (r->event_foreign)
                return requestor_fail(r, -EBUSY, "%s: the requestor runs in the caller's event loop", what);
        return requestor_begin(r);
}

int stasis_requestor_get_fd(StasisRequestor *r) {
        int q;

        if (!r)
                return -EINVAL;
        q = own_loop(r, "file descriptor");
        if (q < 0)
                return q;
        return sd_event_get_fd(r->event);
}

/* Dispatches everything that is ready, waiting up to usec for the first. */
static int run_loop(StasisRequestor *r, uint64_t usec) {
        int q, n = 0;

        stasis_requestor_ref(r);        /* a handler may drop the caller's reference */
        for (;;) {
                q = sd_event_run(r->event, n == 0 ? usec : 0);
                if (q < 0) {
                        n = requestor_fail(r, q, "Cannot run the event loop: %s", strerror(-q));
                        break;
                }
                if (q == 0)
                        break;
                n++;
        }
        stasis_requestor_unref(r);
        return n;
}

int stasis_requestor_process(StasisRequestor *r) {
        int q;

        if (!r)
                return -EINVAL;
        q = own_loop(r, "process");
        if (q < 0)
                return q;
        q = run_loop(r, 0);
        return q < 0 ? q : q > 0;
}

int stasis_requestor_wait(StasisRequestor *r, uint64_t usec) {
        int q;

        if (!r)
                return -EINVAL;
        q = own_loop(r, "wait");
        if (q < 0)
                return q;
        q = run_loop(r, usec);
        return q < 0 ? q : q > 0;
}

/* ---- Calls ---- */

int requestor_call(StasisRequestor *r, sd_bus_message *m, sd_bus_message **ret_reply) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int q;

        q = sd_bus_call(r->bus, m, r->timeout_usec, &error, ret_reply);
        kick(r);
        if (q < 0)
                return requestor_fail_bus(r, q, &error);
        return 0;
}

static bool id_valid(const char *id) {
        if (isempty(id) || strlen(id) > 20)
                return false;
        for (const char *c = id; *c; c++)
                if (*c < '0' || *c > '9')
                        return false;
        return true;
}

int requestor_set_path(StasisRequestor *r, const char *id, char **ret) {
        if (!id_valid(id))
                return requestor_fail(r, -EINVAL, "Set id \"%s\" is not a decimal number", strna(id));
        if (asprintf(ret, "%s/%s", STASIS_SET_PATH_PREFIX, id) < 0)
                return requestor_fail(r, -ENOMEM, "Out of memory");
        return 0;
}

static int new_manager_call(StasisRequestor *r, const char *member, sd_bus_message **ret) {
        int q = sd_bus_message_new_method_call(r->bus, ret, STASIS_BUS_NAME, STASIS_MANAGER_PATH,
                                               STASIS_MANAGER_INTERFACE, member);
        if (q < 0)
                return requestor_fail(r, q, "Cannot make a %s call: %s", member, strerror(-q));
        return 0;
}

static int append_create(StasisRequestor *r, sd_bus_message *m, const StasisSetRequest *q) {
        int k;

        k = sd_bus_message_append_strv(m, q->paths);
        if (k >= 0)
                k = sd_bus_message_open_container(m, 'a', "{sv}");
        if (k >= 0 && q->label)
                k = sd_bus_message_append(m, "{sv}", "label", "s", q->label);
        if (k >= 0)
                k = sd_bus_message_append(m, "{sv}", "persistent", "b", (int) q->persistent);
        if (k >= 0)
                k = sd_bus_message_append(m, "{sv}", "require-writers", "b", (int) q->require_writers);
        if (k >= 0 && !strv_isempty(q->components)) {
                k = sd_bus_message_open_container(m, 'e', "sv");
                if (k >= 0)
                        k = sd_bus_message_append(m, "s", "components");
                if (k >= 0)
                        k = sd_bus_message_open_container(m, 'v', "as");
                if (k >= 0)
                        k = sd_bus_message_append_strv(m, q->components);
                if (k >= 0)
                        k = sd_bus_message_close_container(m);
                if (k >= 0)
                        k = sd_bus_message_close_container(m);
        }
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

typedef struct CreateCall {
        StasisRequestor *requestor;     /* not a reference: the call goes with the bus */
        stasis_create_handler_t handler;
        void *userdata;
} CreateCall;

static int on_create_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        CreateCall *c = userdata;
        StasisErrorInfo info = {};
        _cleanup_free_ char *id = NULL;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int k;

        if (e)
                error_info_set_bus(&info, -sd_bus_error_get_errno(e) ?: -EIO, e);
        else {
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
        if (k < 0)
                return k;
        c = calloc(1, sizeof(CreateCall));
        if (!c)
                return requestor_fail(r, -ENOMEM, "Out of memory");
        *c = (CreateCall) { r, handler, userdata };
        k = sd_bus_call_async(r->bus, &slot, m, on_create_reply, c, r->timeout_usec);
        if (k < 0) {
                free(c);
                return requestor_fail(r, k, "Cannot send CreateSet: %s", strerror(-k));
        }
        /* In the library's own loop, nothing may be left to write that the
         * loop's fd would not tell of. */
        if (!r->event_foreign) {
                k = sd_bus_flush(r->bus);
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
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_free_ char *path = NULL;
        int k;

        if (!r)
                return -EINVAL;
        k = requestor_begin(r);
        if (k < 0)
                return k;
        k = requestor_set_path(r, id, &path);
        if (k < 0)
                return k;
        /* Set.Complete on a set that does not exist fails with the bus'
         * UnknownObject: ask the manager first for the stasis error. */
        k = new_manager_call(r, "GetSet", &m);
        if (k >= 0)
                k = sd_bus_message_append(m, "s", id);
        if (k < 0)
                return requestor_fail(r, k, "Cannot build the GetSet call: %s", strerror(-k));
        k = requestor_call(r, m, &reply);
        if (k < 0)
                return k;
        m = sd_bus_message_unref(m);
        reply = sd_bus_message_unref(reply);

        k = sd_bus_message_new_method_call(r->bus, &m, STASIS_BUS_NAME, path, STASIS_SET_INTERFACE, "Complete");
        if (k >= 0)
                k = sd_bus_message_append_strv(m, (char **) (failed ?: (const char *const[]) { NULL }));
        if (k < 0)
                return requestor_fail(r, k, "Cannot build the Complete call: %s", strerror(-k));
        return requestor_call(r, m, &reply);
}

int stasis_requestor_delete_set(StasisRequestor *r, const char *id) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        int k;

        if (!r)
                return -EINVAL;
        k = requestor_begin(r);
        if (k < 0)
                return k;
        if (isempty(id))
                return requestor_fail(r, -EINVAL, "delete: the set id must not be NULL or empty");
        k = new_manager_call(r, "DeleteSet", &m);
        if (k >= 0)
                k = sd_bus_message_append(m, "s", id);
        if (k < 0)
                return requestor_fail(r, k, "Cannot build the DeleteSet call: %s", strerror(-k));
        return requestor_call(r, m, &reply);
}
