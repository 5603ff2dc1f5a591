/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-orphans-bus.c - the Manager methods that list, rescan, delete and adopt orphan snapshots */
#include <errno.h>
#include <string.h>

#include "bus-errors.h"
#include "bus-util.h"
#include "escape.h"
#include "log.h"
#include "macro.h"
#include "stasisd-auth.h"
#include "stasisd-orphans-bus.h"
#include "stasisd-orphans-scan.h"
#include "stasisd-orphans.h"
#include "stasisd-set.h"

#define HANDLE_MAX 4096

int method_list_orphans(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_bus_message_unref_ sd_bus_message *reply = NULL;
        Manager *m = userdata;
        int r;

        /* Open to all, like ListSets: a handle names a file system and a set
         * id, no more than a set's Volumes property does. */
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ssstt)");
        for (size_t i = 0; r >= 0 && i < m->n_orphans; i++) {
                const Orphan *o = &m->orphans[i];
                r = sd_bus_message_append(reply, "(ssstt)", o->provider->name, o->snapshot.volume.handle,
                                          o->snapshot.set_id, o->snapshot.index, (uint64_t) o->snapshot.created);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

int method_rescan_orphans(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r;

        /* It makes every provider read its stores: not for everyone, and not
         * while file systems are held (it writes the next set id). */
        r = auth_check(m, msg, AUTH_MANAGE_ORPHANS, NULL, error);
        if (r != 0)
                return r;       /* refused, or polkit asked: the call comes back with its answer */
        r = manager_defer_if_holding(m, msg, method_rescan_orphans, m);
        if (r != 0)
                return r;
        /* The providers answer in a worker; the call is answered when it is done. */
        r = manager_scan_orphans_start(m, msg);
        if (r == -EBUSY)
                return sd_bus_error_setf(error, STASIS_ERROR_BUSY, "stasisd is looking for orphan snapshots "
                                         "already; try again when it is done");
        return r < 0 ? r : 1;
}

/* Only a handle of the list is taken, compared as a string: anything else,
 * a path or a name outside a store, matches none. */
static int read_orphan(Manager *m, sd_bus_message *msg, Orphan **ret, sd_bus_error *error) {
        const char *handle;
        int r = sd_bus_message_read(msg, "s", &handle);
        if (r < 0)
                return r;
        Orphan *o = strlen(handle) <= HANDLE_MAX ? manager_find_orphan(m, handle) : NULL;
        if (!o) {
                /* Quoted escaped and cut short: it is the caller's string. */
                _cleanup_free_ char *quoted = cescape_full(handle, 256, ESCAPE_QUOTE);
                if (!quoted)
                        return -ENOMEM;
                return sd_bus_error_setf(error, STASIS_ERROR_NO_SUCH_ORPHAN,
                                         "%s is not an orphan snapshot (see ListOrphans)", quoted);
        }
        *ret = o;
        return 0;
}

int method_delete_orphan(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        Orphan *o = NULL;
        int r;

        r = auth_check(m, msg, AUTH_MANAGE_ORPHANS, NULL, error);
        if (r != 0)
                return r;
        r = manager_defer_if_holding(m, msg, method_delete_orphan, m);
        if (r != 0)
                return r;
        r = read_orphan(m, msg, &o, error);
        if (r < 0)
                return r;
        return orphan_delete(m, o, msg, error);
}

/* A set id as stasisd writes them: 1 to 19 digits, no leading zero. */
static bool set_id_valid(const char *id) {
        size_t n = strlen(id);
        if (n == 0 || n > 19 || id[0] == '0')
                return false;
        for (size_t i = 0; i < n; i++)
                if (id[i] < '0' || id[i] > '9')
                        return false;
        return n < 19 || strcmp(id, "9223372036854775807") <= 0;
}

int method_adopt_orphans(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        AuthCaller caller = {};
        const char *id;
        uid_t uid;
        Set *s = NULL;
        int r;

        r = auth_check(m, msg, AUTH_MANAGE_ORPHANS, &caller, error);
        if (r != 0)
                return r;
        uid = caller.uid;
        r = manager_defer_if_holding(m, msg, method_adopt_orphans, m);
        if (r != 0)
                return r;
        r = sd_bus_message_read(msg, "s", &id);
        if (r < 0)
                return r;
        if (!set_id_valid(id)) {
                _cleanup_free_ char *quoted = cescape_full(id, 32, ESCAPE_QUOTE);
                if (!quoted)
                        return -ENOMEM;
                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                         "%s is not a set id (a number from 1)", quoted);
        }
        r = orphans_adopt(m, id, uid, &s, error);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "so", s->id, s->object_path);
}
