/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-auth.h - who may call the privileged methods: root, polkit, and the writer users of stasisd.conf */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "stasisd-manager.h"

/* One polkit action for each family of privileged methods (data/org.stasis1.policy). */
typedef enum AuthAction {
        AUTH_CREATE_SET,        /* Manager.CreateSet */
        AUTH_DELETE_SET,        /* Manager.DeleteSet, Set.Delete */
        AUTH_COMPLETE_SET,      /* Set.Complete */
        AUTH_RESOLVE_PATHS,     /* Manager.ResolvePaths */
        AUTH_REGISTER_WRITER,   /* Manager.RegisterWriter */
        AUTH_MANAGE_ORPHANS,    /* Manager.RescanOrphans, DeleteOrphan, AdoptOrphans */
        AUTH_FORGET_WRITER,     /* Manager.ForgetWriter */
        AUTH_MOUNT_SET,         /* Set.Mount, Set.Unmount, Set.OpenView */
        AUTH_FREEZE_EXTERNAL,   /* Manager.FreezeExternal, ThawExternal */
        AUTH_RUN_POLICY,        /* Manager.RunPolicy */
        AUTH_CLEANUP,           /* Manager.Cleanup */
        _AUTH_ACTION_MAX,
} AuthAction;

#define AUTH_QUERIES_MAX               256     /* polkit checks under way */
#define AUTH_QUERIES_PER_SENDER_MAX     16     /* ... for one bus connection */
#define AUTH_INTERACTIVE_TIMEOUT_USEC  (120ULL * 1000000ULL)
#define AUTH_ANSWER_KEEP_USEC          (60ULL * 1000000ULL)    /* polkit's answer, until its call comes back */

typedef struct AuthCaller {
        uid_t uid;
        pid_t pid;              /* 0 if the bus does not tell */
} AuthCaller;

typedef struct AuthQuery AuthQuery;

const char *auth_action_id(AuthAction a);

/* May the sender of msg do action? uid 0 always may; for RegisterWriter, so
 * may the users and groups stasisd.conf names; anyone else, if polkit says so.
 * Returns 0 if allowed (with *ret_caller, if given), a negative errno with
 * error set if not (AccessDenied, or Busy when too many checks are under
 * way), or 1 if polkit was asked: the method handler must then return 1
 * without touching anything, and msg is dispatched again when polkit answers,
 * when this function gives the answer. Never blocks on polkit. */
int auth_check(Manager *m, sd_bus_message *msg, AuthAction action, AuthCaller *ret_caller, sd_bus_error *error);

/* The uid of the sender of msg, as the bus tells it (for methods open to
 * all that answer each user about their own). */
int auth_caller_uid(Manager *m, sd_bus_message *msg, uid_t *ret, sd_bus_error *error);

/* Drops the checks under way (their callers get no answer). */
void auth_queries_free(Manager *m);
/* Forgets the checks of a connection that left the bus. */
void auth_caller_gone(Manager *m, const char *name);
