/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set-external-bus.c - Manager.FreezeExternal and Manager.ThawExternal */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-errors.h"
#include "bus-util.h"
#include "echo.h"
#include "macro.h"
#include "stasis/stasis.h"
#include "stasisd-auth.h"
#include "stasisd-create-request.h"
#include "stasisd-set-external-bus.h"
#include "stasisd-set-external.h"
#include "stasisd-set.h"
#include "stasisd-strings.h"
#include "strv.h"

/* The shortest window a requestor may ask for: less cannot even reach the agent. */
#define EXTERNAL_WINDOW_MIN_USEC (100 * USEC_PER_MSEC)

typedef struct ExternalOptions {
        char **components;
        char *label;
        usec_t window;          /* SET_EXTERNAL_WINDOW_DEFAULT: stasisd's */
        usec_t freeze_timeout;  /* 0: the window's */
} ExternalOptions;

static void external_options_done(ExternalOptions *o) {
        strv_free(o->components);
        free(o->label);
}

static int read_option(sd_bus_message *msg, const char *key, ExternalOptions *o, sd_bus_error *error) {
        const char *l;
        uint64_t t;
        int r;

        if (streq(key, "components")) {
                r = sd_bus_message_enter_container(msg, 'v', "as");
                if (r >= 0)
                        r = sd_bus_message_read_strv(msg, &o->components);
                if (r >= 0)
                        r = sd_bus_message_exit_container(msg);
                if (r < 0)
                        return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                                 "Option 'components' must be an array of strings");
                if (strv_length(o->components) > MANAGER_PATHS_PER_REQUEST_MAX)
                        return sd_bus_error_setf(error, STASIS_ERROR_LIMIT_EXCEEDED, "%zu components given; at most %d",
                                                 strv_length(o->components), MANAGER_PATHS_PER_REQUEST_MAX);
                return 0;
        }
        if (streq(key, "label")) {
                if (sd_bus_message_read(msg, "v", "s", &l) < 0)
                        return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT, "Option 'label' must be a string");
                if (strlen(l) > MANAGER_LABEL_MAX)
                        return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                                 "Label is %zu bytes long; at most %d", strlen(l), MANAGER_LABEL_MAX);
                r = check_text_argument("Label", l, error);
                if (r < 0)
                        return r;
                o->label = strdup(l);
                return o->label ? 0 : -ENOMEM;
        }
        if (streq(key, "FreezeWindowUSec")) {
                if (sd_bus_message_read(msg, "v", "t", &t) < 0)
                        return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                                 "Option 'FreezeWindowUSec' must be an unsigned 64-bit integer (t)");
                if (t < EXTERNAL_WINDOW_MIN_USEC || t == SET_EXTERNAL_WINDOW_DEFAULT)
                        return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                                 "Option 'FreezeWindowUSec' is %" PRIu64 " us; it must be at least "
                                                 "%llu us", t, (unsigned long long) EXTERNAL_WINDOW_MIN_USEC);
                o->window = t;
                return 0;
        }
        if (streq(key, "FreezeTimeoutUSec")) {
                if (sd_bus_message_read(msg, "v", "t", &t) < 0)
                        return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                                 "Option 'FreezeTimeoutUSec' must be an unsigned 64-bit integer (t)");
                if (t == 0 || t > 7 * 24 * 3600 * USEC_PER_SEC)
                        return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                                 "Option 'FreezeTimeoutUSec' is %" PRIu64 " us; it must be above 0 "
                                                 "and at most a week", t);
                o->freeze_timeout = t;
                return 0;
        }
        return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT, "Unknown option '%s'", ECHO(key));
}

static int read_options(sd_bus_message *msg, ExternalOptions *o, sd_bus_error *error) {
        int r = sd_bus_message_enter_container(msg, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                const char *key;
                r = sd_bus_message_read(msg, "s", &key);
                if (r >= 0)
                        r = read_option(msg, key, o, error);
                if (r >= 0)
                        r = sd_bus_message_exit_container(msg);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(msg);
}

static int refuse_busy(Manager *m, sd_bus_error *error) {
        Set *s = manager_external_set(m);

        if (s)
                return sd_bus_error_setf(error, STASIS_ERROR_BUSY,
                                         "External set %s holds the writers (%s); one external set at a time: "
                                         "thaw it first (stasis thaw --external %s)",
                                         s->id, set_phase_to_string(s->phase), s->id);
        if (create_request_external_in_flight(m))
                return sd_bus_error_setf(error, STASIS_ERROR_BUSY,
                                         "Another external set is asking its writers; one external set at a time");
        return 0;
}

int method_freeze_external(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_strv_free_ char **paths = NULL;
        _cleanup_(external_options_done) ExternalOptions o = { .window = SET_EXTERNAL_WINDOW_DEFAULT };
        AuthCaller caller;
        int r;

        r = auth_check(m, msg, AUTH_FREEZE_EXTERNAL, &caller, error);
        if (r != 0)
                return r;
        /* Busy before anything waits: a second hook must not queue behind the first. */
        r = refuse_busy(m, error);
        if (r < 0)
                return r;
        r = manager_defer_if_holding(m, msg, method_freeze_external, m);
        if (r != 0)
                return r;
        r = sd_bus_message_read_strv(msg, &paths);
        if (r < 0)
                return r;
        if (strv_length(paths) > MANAGER_PATHS_PER_REQUEST_MAX)
                return sd_bus_error_setf(error, STASIS_ERROR_LIMIT_EXCEEDED, "%zu paths given; at most %d per request",
                                         strv_length(paths), MANAGER_PATHS_PER_REQUEST_MAX);
        r = read_options(msg, &o, error);
        if (r < 0)
                return r;
        return create_request_start_external(m, msg, paths, o.components, o.label, caller.uid, o.window, o.freeze_timeout,
                                             error);
}

int method_thaw_external(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *id;
        Set *s;
        int r;

        r = auth_check(m, msg, AUTH_FREEZE_EXTERNAL, NULL, error);
        if (r != 0)
                return r;
        r = sd_bus_message_read(msg, "s", &id);
        if (r < 0)
                return r;
        if (isempty(id)) {
                s = manager_external_set(m);
                if (!s) {
                        Set *last = manager_last_external_set(m);
                        if (last && last->state == SET_FAILED)
                                return sd_bus_error_setf(error, STASIS_ERROR_TIMEOUT,
                                                         "External set %s was thawed already: %s", last->id,
                                                         strempty(last->error));
                        return sd_bus_error_setf(error, STASIS_ERROR_NO_SUCH_SET, "No external set is frozen");
                }
        } else {
                s = manager_find_set(m, id);
                if (!s)
                        return sd_bus_error_setf(error, STASIS_ERROR_NO_SUCH_SET, "No snapshot set %s", ECHO(id));
                if (!s->external)
                        return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                                 "Snapshot set %s is not an external set", s->id);
                if (s->state == SET_FAILED)
                        return sd_bus_error_setf(error, STASIS_ERROR_TIMEOUT, "External set %s was thawed already: %s",
                                                 s->id, strempty(s->error));
        }
        if (s->phase == SET_PHASE_IDLE)
                return sd_bus_reply_method_return(msg, "so", s->id, s->object_path);   /* thawed already */
        if (s->phase == SET_PHASE_EXTERNAL_FROZEN)
                return set_external_thaw(s, msg);
        if (set_phase_making(s->phase) && s->phase != SET_PHASE_THAWING && s->phase != SET_PHASE_POST_SNAPSHOT)
                return set_external_thaw_later(s, msg, error);      /* not frozen yet: thawed as soon as it is */
        return sd_bus_error_setf(error, STASIS_ERROR_BUSY, "External set %s is %s, not frozen; try again",
                                 s->id, set_phase_to_string(s->phase));
}
