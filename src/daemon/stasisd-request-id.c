/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-request-id.c - a requestor's own id for a create: the same id makes one set, or one failure */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-errors.h"
#include "bus-util.h"
#include "echo.h"
#include "log.h"
#include "macro.h"
#include "stasisd-catalog-requests.h"
#include "stasisd-create-request.h"
#include "stasisd-request-id.h"
#include "stasisd-set.h"
#include "stasisd-strings.h"

/* A CreateSet waiting for the create with its request id under way. */
typedef struct RequestWaiter {
        LIST_FIELDS(struct RequestWaiter, waiters);
        sd_bus_message *msg;
        uid_t uid;
        char *id;
        sd_bus_message_handler_t handler;
        void *userdata;
} RequestWaiter;

static RequestWaiter *waiter_free(Manager *m, RequestWaiter *w) {
        if (!w)
                return NULL;
        LIST_REMOVE(waiters, m->request_waiters, m->request_waiters_tail, w);
        m->n_request_waiters--;
        sd_bus_message_unref(w->msg);
        free(w->id);
        free(w);
        return NULL;
}

void request_waiters_free(Manager *m) {
        assert(m);
        while (m->request_waiters)
                waiter_free(m, m->request_waiters);
        m->request_waiters_kick = sd_event_source_disable_unref(m->request_waiters_kick);
}

int request_id_check(const char *id, sd_bus_error *error) {
        assert(id);

        if (isempty(id))
                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT, "Request id is empty");
        if (strlen(id) > REQUEST_ID_MAX)
                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                         "Request id '%s' is %zu bytes long; at most %d", ECHO(id), strlen(id),
                                         REQUEST_ID_MAX);
        return check_text_argument("Request id", id, error);
}

/* The set made, or being made, with id of uid; a set being deleted has
 * given its id up, and so has one whose making failed. */
static Set *find_set(Manager *m, uid_t uid, const char *id, bool *ret_making) {
        LIST_FOREACH(sets, s, m->sets) {
                if (!s->request_id || s->owner_uid != uid || !streq(s->request_id, id))
                        continue;
                if (s->state == SET_CREATED || s->state == SET_MISSING || s->state == SET_INVALID) {
                        *ret_making = false;
                        return s;
                }
                if (s->state == SET_CREATING && set_phase_making(s->phase)) {
                        *ret_making = true;
                        return s;
                }
        }
        return NULL;
}

static bool in_flight(Manager *m, uid_t uid, const char *id) {
        bool making = false;
        return create_request_in_flight(m, uid, id) || (find_set(m, uid, id, &making) && making);
}

/* The remembered failure as error: 1 if there is one. */
static int find_failure(Manager *m, uid_t uid, const char *id, sd_bus_error *error) {
        _cleanup_free_ char *name = NULL, *message = NULL;
        int r;

        r = catalog_find_failed_request(m->catalog, uid, id, now_usec(CLOCK_REALTIME), &name, &message);
        if (r < 0) {
                log_error_errno(r, "Cannot look up request id '%s' among the failed requests: %s", ECHO(id),
                                catalog_last_error(m->catalog));
                return sd_bus_error_setf(error, SD_BUS_ERROR_IO_ERROR,
                                         "Cannot look up request id '%s' in the catalog: %s", ECHO(id), strerror(-r));
        }
        if (r == 0)
                return 0;
        sd_bus_error_setf(error, name, "%s", message);
        return 1;
}

int request_id_lookup(Manager *m, sd_bus_message *msg, uid_t uid, const char *id,
                      sd_bus_message_handler_t handler, void *userdata, sd_bus_error *error) {
        _cleanup_bus_error_ sd_bus_error failure = SD_BUS_ERROR_NULL;
        bool making = false;
        Set *s;
        int r;

        assert(m);
        assert(msg);
        assert(id);
        assert(handler);

        s = find_set(m, uid, id, &making);
        if (s && !making) {
                log_info("Set %s: a CreateSet with its request id '%s' again; answered with it.", s->id, ECHO(id));
                r = sd_bus_reply_method_return(msg, "so", s->id, s->object_path);
                return r < 0 ? r : 1;
        }
        if (making || create_request_in_flight(m, uid, id)) {
                if (m->n_request_waiters >= MANAGER_REQUEST_WAITERS_MAX)
                        return sd_bus_error_setf(error, STASIS_ERROR_LIMIT_EXCEEDED,
                                                 "%u calls already wait for creates with their request id to "
                                                 "end, the most allowed; try again", m->n_request_waiters);
                RequestWaiter *w = calloc(1, sizeof(RequestWaiter));
                if (!w)
                        return -ENOMEM;
                w->id = strdup(id);
                if (!w->id) {
                        free(w);
                        return -ENOMEM;
                }
                w->msg = sd_bus_message_ref(msg);
                w->uid = uid;
                w->handler = handler;
                w->userdata = userdata;
                LIST_APPEND(waiters, m->request_waiters, m->request_waiters_tail, w);
                m->n_request_waiters++;
                log_debug("A CreateSet with request id '%s' waits for the one under way.", ECHO(id));
                return 1;
        }
        r = find_failure(m, uid, id, &failure);
        if (r < 0) {
                sd_bus_error_move(error, &failure);
                return r;
        }
        if (r > 0) {
                r = sd_bus_reply_method_error(msg, &failure);
                return r < 0 ? r : 1;
        }
        return 0;
}

int request_id_find(Manager *m, uid_t uid, const char *id, Set **ret, sd_bus_error *error) {
        bool making = false;
        Set *s;
        int r;

        assert(m);
        assert(id);
        assert(ret);

        s = find_set(m, uid, id, &making);
        if (s) {
                *ret = s;
                return 1;
        }
        if (create_request_in_flight(m, uid, id))
                return sd_bus_error_setf(error, STASIS_ERROR_NO_SUCH_SET,
                                         "The create with request id '%s' is under way; it has no set yet",
                                         ECHO(id));
        r = find_failure(m, uid, id, error);
        if (r < 0)
                return r;
        if (r > 0)
                return -sd_bus_error_get_errno(error) ?: -EIO;
        return sd_bus_error_setf(error, STASIS_ERROR_NO_SUCH_SET,
                                 "No snapshot set with request id '%s' (of uid %u), and no failure remembered for it",
                                 ECHO(id), (unsigned) uid);
}

void request_id_failed(Manager *m, uid_t uid, const char *id, int r, const sd_bus_error *error) {
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
        int k;

        assert(m);
        if (!id)
                return;
        if (error && sd_bus_error_is_set(error))
                (void) sd_bus_error_copy(&e, error);
        else
                (void) sd_bus_error_set_errno(&e, r < 0 ? r : -EIO);
        if (!e.name || sd_bus_error_has_name(&e, STASIS_ERROR_BUSY))
                return;         /* "try again": not the outcome of the request */
        if (m->holding) {
                /* No catalog writes while file systems are frozen; not expected here. */
                log_warning("Create with request id '%s' failed during a hold; the failure is not remembered.",
                            ECHO(id));
                return;
        }
        k = catalog_add_failed_request(m->catalog, uid, id, now_usec(CLOCK_REALTIME), e.name, strempty(e.message));
        if (k < 0)
                log_error_errno(k, "Cannot remember that the create with request id '%s' failed: %s", ECHO(id),
                                catalog_last_error(m->catalog));
}

static int on_kick(sd_event_source *es, void *userdata) {
        Manager *m = userdata;

        m->request_waiters_kick = sd_event_source_disable_unref(m->request_waiters_kick);
        LIST_FOREACH_SAFE(waiters, w, next, m->request_waiters) {
                _cleanup_bus_message_unref_ sd_bus_message *msg = NULL;
                _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
                sd_bus_message_handler_t handler = w->handler;
                void *data = w->userdata;
                int r;

                if (in_flight(m, w->uid, w->id))
                        continue;
                msg = sd_bus_message_ref(w->msg);
                waiter_free(m, w);
                /* Again from the start: now it finds the set, or the failure, or makes one. */
                (void) sd_bus_message_rewind(msg, true);
                r = handler(msg, data, &error);
                if (r < 0)
                        (void) sd_bus_reply_method_errno(msg, r, &error);
                /* The handler may have added and removed waiters: start over next time. */
                if (m->request_waiters_kick)
                        break;
        }
        return 0;
}

void request_ids_answered(Manager *m) {
        int r;

        assert(m);
        if (!m->request_waiters || m->request_waiters_kick)
                return;
        r = sd_event_add_defer(m->event, &m->request_waiters_kick, on_kick, m);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->request_waiters_kick, SD_EVENT_ONESHOT);
        if (r < 0)
                log_error_errno(r, "Cannot look at the CreateSet calls waiting for their request id: %m");
}
