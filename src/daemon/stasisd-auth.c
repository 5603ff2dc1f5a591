/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-auth.c - who may call the privileged methods: root, polkit, and the writer users of stasisd.conf */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus-errors.h"
#include "bus-util.h"
#include "list.h"
#include "log.h"
#include "macro.h"
#include "stasisd-auth.h"
#include "stasisd-callers.h"
#include "stasisd-config.h"

/* polkit is asked without blocking, the way systemd's daemons do it: the
 * handler starts a CheckAuthorization call and returns; when the answer comes,
 * it is kept here and the original call is put back in the bus's incoming
 * queue, so that the handler runs again from the start (finding its object
 * anew) and gets the answer from auth_check(). An idle event frees the answer
 * afterwards, should the handler not come back for it (its object gone). */
struct AuthQuery {
        Manager *manager;
        LIST_FIELDS(AuthQuery, queries);
        sd_bus_message *request;
        AuthAction action;
        AuthCaller caller;
        bool interactive;               /* the caller allowed interactive authorization */
        sd_bus_slot *slot;              /* CheckAuthorization, while under way */
        sd_event_source *cleanup;
        bool done;
        int result;                     /* 0 or -errno with error set */
        sd_bus_error error;
};

static const struct {
        const char *id;
        const char *verb;
} action_table[_AUTH_ACTION_MAX] = {
        [AUTH_CREATE_SET]      = { "org.stasis1.create-set",      "create snapshot sets" },
        [AUTH_DELETE_SET]      = { "org.stasis1.delete-set",      "delete snapshot sets" },
        [AUTH_COMPLETE_SET]    = { "org.stasis1.complete-set",    "report backups" },
        [AUTH_RESOLVE_PATHS]   = { "org.stasis1.resolve-paths",   "resolve paths" },
        [AUTH_REGISTER_WRITER] = { "org.stasis1.register-writer", "register writers" },
        [AUTH_MANAGE_ORPHANS]  = { "org.stasis1.manage-orphans",  "manage orphan snapshots" },
        [AUTH_FORGET_WRITER]   = { "org.stasis1.forget-writer",   "forget missing writers" },
        [AUTH_MOUNT_SET]       = { "org.stasis1.mount-set",       "mount snapshot sets" },
        [AUTH_FREEZE_EXTERNAL] = { "org.stasis1.freeze-external", "freeze writers for external snapshots" },
        [AUTH_RUN_POLICY]      = { "org.stasis1.run-policy",      "make snapshot sets by policy" },
        [AUTH_CLEANUP]         = { "org.stasis1.cleanup",         "remove snapshot sets by retention" },
};

const char *auth_action_id(AuthAction a) {
        return a >= 0 && a < _AUTH_ACTION_MAX ? action_table[a].id : NULL;
}

static AuthQuery *auth_query_free(AuthQuery *q) {
        if (!q)
                return NULL;
        if (q->manager) {
                LIST_REMOVE(queries, q->manager->auth_queries, q->manager->auth_queries_tail, q);
                q->manager->n_auth_queries--;
        }
        sd_bus_slot_unref(q->slot);
        sd_event_source_disable_unref(q->cleanup);
        sd_bus_message_unref(q->request);
        sd_bus_error_free(&q->error);
        free(q);
        return NULL;
}

void auth_queries_free(Manager *m) {
        while (m->auth_queries)
                auth_query_free(m->auth_queries);
}

/* The connection left the bus: its checks are dropped (polkit's answer, if
 * one is still to come, is ignored), so that they do not count against
 * AUTH_QUERIES_MAX for a minute, and no call of a caller that is gone comes
 * back. */
void auth_caller_gone(Manager *m, const char *name) {
        LIST_FOREACH_SAFE(queries, q, next, m->auth_queries)
                if (streq(strempty(sd_bus_message_get_sender(q->request)), name))
                        auth_query_free(q);
}

/* "Permission denied: only root may create snapshot sets (caller uid 1000): <why>" */
_printf_(4, 5)
static int deny(sd_bus_error *error, AuthAction action, uid_t uid, const char *why, ...) {
        char reason[384];
        va_list ap;

        va_start(ap, why);
        vsnprintf(reason, sizeof reason, why, ap);
        va_end(ap);
        if (action == AUTH_REGISTER_WRITER)
                return sd_bus_error_setf(error, STASIS_ERROR_ACCESS_DENIED,
                                         "Permission denied: only root may %s (caller uid %u, not named by "
                                         "RegisterWriterUsers= or RegisterWriterGroups=): %s",
                                         action_table[action].verb, (unsigned) uid, reason);
        return sd_bus_error_setf(error, STASIS_ERROR_ACCESS_DENIED, "Permission denied: only root may %s (caller uid %u): %s",
                                 action_table[action].verb, (unsigned) uid, reason);
}

static int on_cleanup(sd_event_source *s, uint64_t usec, void *userdata) {
        auth_query_free(userdata);
        return 0;
}

static void read_answer(AuthQuery *q, sd_bus_message *reply) {
        const char *id = action_table[q->action].id;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int authorized, challenge, r;

        if (e) {
                if (sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
                    sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                        q->result = deny(&q->error, q->action, q->caller.uid,
                                         "polkit is not running, so it cannot authorize action %s", id);
                else
                        q->result = deny(&q->error, q->action, q->caller.uid, "cannot ask polkit about action %s: %.128s",
                                         id, e->message ?: e->name);
                return;
        }
        r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
        if (r >= 0)
                r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
        if (r < 0)
                q->result = deny(&q->error, q->action, q->caller.uid, "polkit's answer about action %s is malformed", id);
        else if (authorized) {
                log_info("polkit authorizes uid %u (pid %d, %s) for %s.", (unsigned) q->caller.uid, (int) q->caller.pid,
                         strna(sd_bus_message_get_sender(q->request)), id);
                q->result = 0;
        } else if (challenge && !q->interactive)
                q->result = deny(&q->error, q->action, q->caller.uid,
                                 "the call does not allow interactive authorization, which polkit needs for "
                                 "action %s", id);
        else if (challenge)
                q->result = deny(&q->error, q->action, q->caller.uid,
                                 "polkit could not authenticate the caller (no authentication agent?) for action %s",
                                 id);
        else
                q->result = deny(&q->error, q->action, q->caller.uid, "polkit does not authorize action %s", id);
}

static int on_polkit_answer(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        AuthQuery *q = userdata;
        Manager *m = q->manager;
        int r;

        q->slot = sd_bus_slot_unref(q->slot);
        read_answer(q, reply);
        q->done = true;

        /* The call put back below is handled when its turn comes among
         * other users' calls (stasisd-callers.c), and auth_check() then
         * takes the answer and frees it. Kept until then, not until the
         * loop is next idle: the turn may come later than that. Freed after
         * a while if the call never comes back (its connection closed, or
         * it was answered Busy). */
        r = sd_event_add_time_relative(m->event, &q->cleanup, CLOCK_MONOTONIC, AUTH_ANSWER_KEEP_USEC, 0,
                                       on_cleanup, q);
        if (r >= 0)
                r = sd_bus_message_rewind(q->request, true);
        if (r >= 0)
                r = sd_bus_enqueue_for_read(m->bus, q->request);
        if (r < 0) {
                log_error_errno(r, "Failed to resume a call after polkit answered: %m");
                (void) sd_bus_reply_method_errno(q->request, r, NULL);
                auth_query_free(q);
        }
        return 0;
}

static AuthQuery *find_query(Manager *m, sd_bus_message *msg) {
        LIST_FOREACH(queries, q, m->auth_queries)
                if (q->request == msg)
                        return q;
        return NULL;
}

static unsigned queries_of(Manager *m, const char *sender) {
        unsigned n = 0;
        LIST_FOREACH(queries, q, m->auth_queries)
                if (!q->done && streq(strempty(sd_bus_message_get_sender(q->request)), sender))
                        n++;
        return n;
}

static int ask_polkit(Manager *m, sd_bus_message *msg, AuthAction action, const AuthCaller *caller,
                      sd_bus_error *error) {
        _cleanup_bus_message_unref_ sd_bus_message *call = NULL;
        const char *sender = sd_bus_message_get_sender(msg);
        int interactive, r;

        if (!sender)
                return deny(error, action, caller->uid, "the caller has no bus name to show polkit");
        if (m->n_auth_queries >= AUTH_QUERIES_MAX)
                return sd_bus_error_setf(error, STASIS_ERROR_BUSY,
                                         "%u authorization checks are under way, the most stasisd makes; try again",
                                         m->n_auth_queries);
        if (queries_of(m, sender) >= AUTH_QUERIES_PER_SENDER_MAX)
                return sd_bus_error_setf(error, STASIS_ERROR_LIMIT_EXCEEDED,
                                         "This connection has %d calls waiting for polkit, the most one may",
                                         AUTH_QUERIES_PER_SENDER_MAX);
        interactive = sd_bus_message_get_allow_interactive_authorization(msg) > 0;

        r = sd_bus_message_new_method_call(m->bus, &call, "org.freedesktop.PolicyKit1",
                                           "/org/freedesktop/PolicyKit1/Authority",
                                           "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
        if (r >= 0)
                r = sd_bus_message_append(call, "(sa{sv})sa{ss}us", "system-bus-name", 1, "name", "s", sender,
                                          action_table[action].id, 0, (uint32_t) interactive, "");
        if (r < 0)
                return r;

        AuthQuery *q = calloc(1, sizeof(AuthQuery));
        if (!q)
                return -ENOMEM;
        q->action = action;
        q->caller = *caller;
        q->interactive = interactive;
        q->request = sd_bus_message_ref(msg);
        r = sd_bus_call_async(m->bus, &q->slot, call, on_polkit_answer, q,
                              interactive ? AUTH_INTERACTIVE_TIMEOUT_USEC : 0);
        if (r < 0) {
                auth_query_free(q);
                return deny(error, action, caller->uid, "cannot ask polkit about action %s: %s",
                            action_table[action].id, strerror(-r));
        }
        q->manager = m;
        LIST_PREPEND(queries, m->auth_queries, m->auth_queries_tail, q);
        m->n_auth_queries++;
        log_debug("Asking polkit whether uid %u (%s) may %s%s.", (unsigned) caller->uid, sender, action_table[action].id,
                  interactive ? ", allowing interactive authorization" : "");
        return 1;
}

int auth_caller_uid(Manager *m, sd_bus_message *msg, uid_t *ret, sd_bus_error *error) {
        AuthCaller caller = {};
        _cleanup_free_ gid_t *gids = NULL;
        size_t n_gids = 0;
        int r;

        assert(m);
        assert(msg);
        assert(ret);

        r = callers_credentials(m->callers, sd_bus_message_get_sender(msg), &caller.uid, &caller.pid, &gids, &n_gids);
        if (r == -ENOENT)
                r = bus_connection_credentials(m->bus, sd_bus_message_get_sender(msg), &caller.uid, &caller.pid,
                                               &gids, &n_gids);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return sd_bus_error_setf(error, STASIS_ERROR_ACCESS_DENIED, "Permission denied: cannot tell who is asking");
        *ret = caller.uid;
        return 0;
}

int auth_check(Manager *m, sd_bus_message *msg, AuthAction action, AuthCaller *ret_caller, sd_bus_error *error) {
        AuthCaller caller = {};
        _cleanup_free_ gid_t *gids = NULL;
        size_t n_gids = 0;
        int r;
        AuthQuery *q;

        assert(action >= 0 && action < _AUTH_ACTION_MAX);

        q = find_query(m, msg);
        if (q && !q->done)
                return 1;
        if (q && q->action == action) {
                /* The call came back with polkit's answer. */
                r = q->result;
                if (r < 0)
                        sd_bus_error_copy(error, &q->error);
                else if (ret_caller)
                        *ret_caller = q->caller;
                auth_query_free(q);
                return r;
        }
        auth_query_free(q);

        /* The bus's word on who the connection is, asked once per
         * connection (stasisd-callers.c keeps it): a connection's
         * credentials are those of its process when it connected. */
        r = callers_credentials(m->callers, sd_bus_message_get_sender(msg), &caller.uid, &caller.pid,
                                &gids, &n_gids);
        if (r == -ENOENT)
                r = bus_connection_credentials(m->bus, sd_bus_message_get_sender(msg), &caller.uid, &caller.pid,
                                               &gids, &n_gids);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return sd_bus_error_setf(error, STASIS_ERROR_ACCESS_DENIED,
                                         "Permission denied: cannot tell who is asking to %s", action_table[action].verb);

        if (caller.uid == 0)
                goto allowed;
        if (action == AUTH_REGISTER_WRITER && config_may_register_writer(m->config, caller.uid, gids, n_gids))
                goto allowed;

        return ask_polkit(m, msg, action, &caller, error);

allowed:
        if (ret_caller)
                *ret_caller = caller;
        return 0;
}
