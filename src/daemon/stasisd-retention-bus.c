/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-retention-bus.c - the policy and retention methods of org.stasis1.Manager */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-errors.h"
#include "bus-util.h"
#include "echo.h"
#include "log.h"
#include "macro.h"
#include "stasisd-auth.h"
#include "stasisd-catalog-history.h"
#include "stasisd-manager-bus.h"
#include "stasisd-policy.h"
#include "stasisd-retention-bus.h"
#include "stasisd-retention-space.h"
#include "stasisd-retention.h"
#include "stasisd-strings.h"
#include "strv.h"

static int read_policy_name(sd_bus_message *msg, bool may_be_empty, const char **ret, sd_bus_error *error) {
        const char *name;
        int r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        if (isempty(name) && may_be_empty) {
                *ret = NULL;
                return 0;
        }
        if (!policy_name_valid(name))
                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                         "'%s' cannot name a policy: at most %d of a-z, A-Z, 0-9, '_', '-' and '.'",
                                         ECHO(name), POLICY_NAME_MAX);
        *ret = name;
        return 0;
}

/* Makes the set, once the floor of free space is met. */
static int run_policy_create(Manager *m, sd_bus_message *msg, const Policy *p, uid_t uid, sd_bus_error *error) {
        _cleanup_free_ char *label = NULL;

        if (!p->label && asprintf(&label, "policy %s", p->name) < 0)
                return -ENOMEM;
        log_info("Policy %s: making a set.", p->name);
        SetCreateExtras retention = { .policy = p->name };
        return manager_create_set(m, msg, p->paths, p->components, p->label ?: label, NULL, true,
                                  p->require_writers, uid, &retention, error);
}

int method_run_policy(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const Policy *p;
        const char *name = NULL;
        AuthCaller caller;
        int r;

        r = auth_check(m, msg, AUTH_RUN_POLICY, &caller, error);
        if (r != 0)
                return r;
        r = manager_defer_if_holding(m, msg, method_run_policy, m);
        if (r != 0)
                return r;
        r = read_policy_name(msg, false, &name, error);
        if (r < 0)
                return r;
        p = policies_find(m->policies, name);
        if (!p)
                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                         "No policy '%s' in %s (stasisd --check-config lists the problems of the "
                                         "files it left out)", name, strna(m->policies_dir));
        return retention_space_make_room(m, msg, p, caller.uid, run_policy_create, error);
}

int method_cleanup(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *name;
        int dry_run, r;

        /* A dry run removes nothing: anyone may ask what would go. */
        r = sd_bus_message_read(msg, "sb", &name, &dry_run);
        if (r < 0)
                return r;
        if (!dry_run) {
                r = auth_check(m, msg, AUTH_CLEANUP, NULL, error);
                if (r != 0)
                        return r;
                r = manager_defer_if_holding(m, msg, method_cleanup, m);
                if (r != 0)
                        return r;
        }
        if (!isempty(name) && !policy_name_valid(name))
                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                         "'%s' cannot name a policy: at most %d of a-z, A-Z, 0-9, '_', '-' and '.'",
                                         ECHO(name), POLICY_NAME_MAX);
        return retention_run(m, msg, name, dry_run, true, error);
}

int method_list_policies(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ssasasuuuuuutus)");
        for (size_t i = 0; r >= 0 && m->policies && i < m->policies->n; i++) {
                const Policy *p = m->policies->list[i];
                const RetentionRules *k = &p->rules;
                r = sd_bus_message_open_container(reply, 'r', "ssasasuuuuuutus");
                if (r >= 0)
                        r = sd_bus_message_append(reply, "ss", p->name, p->file);
                if (r >= 0)
                        r = sd_bus_message_append_strv(reply, p->paths);
                if (r >= 0)
                        r = sd_bus_message_append_strv(reply, p->components);
                if (r >= 0)
                        r = sd_bus_message_append(reply, "uuuuuutus", k->keep_last, k->hourly, k->daily, k->weekly,
                                                  k->monthly, k->yearly, (uint64_t) k->min_age,
                                                  p->min_free_percent, strempty(p->on_calendar));
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

int method_list_removals(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        CatalogRemoval *list = NULL;
        const char *name;
        uint32_t max;
        size_t n = 0;
        int r;

        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "u", &max);
        if (r < 0)
                return r;
        if (!isempty(name) && !policy_name_valid(name))
                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT, "'%s' cannot name a policy",
                                         ECHO(name));
        r = catalog_list_removals(m->catalog, isempty(name) ? NULL : name, max ? max : CATALOG_HISTORY_MAX,
                                  &list, &n);
        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED, "Reading the history of removals failed: %s",
                                         catalog_last_error(m->catalog));
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(tsttss)");
        for (size_t i = 0; r >= 0 && i < n; i++) {
                _cleanup_free_ char *t1 = NULL, *t2 = NULL, *t3 = NULL;
                const char *pol = bus_string(list[i].policy, &t1), *label = bus_string(list[i].label, &t2),
                           *reason = bus_string(list[i].reason, &t3);
                r = !pol || !label || !reason ? -ENOMEM :
                    sd_bus_message_append(reply, "(tsttss)", list[i].set_id, pol, (uint64_t) list[i].removed,
                                          (uint64_t) list[i].created, label, reason);
        }
        catalog_removals_free(list, n);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

int method_list_expiries(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sts)");
        for (Set *s = m->sets; r >= 0 && s; s = s->sets_next)
                if (s->expires || s->policy)
                        r = sd_bus_message_append(reply, "(sts)", s->id, (uint64_t) s->expires, strempty(s->policy));
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}
