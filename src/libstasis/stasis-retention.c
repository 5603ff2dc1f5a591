/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-retention.c - a requestor's side of policies and retention: RunPolicy, Cleanup, the history */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stasis-lists-internal.h"

typedef struct RetentionEntry {
        char *fields[5];        /* set id, policy, action, reason, label */
        uint64_t time, created;
} RetentionEntry;

LIST_STRUCT(StasisRetentionList, RetentionEntry);

LIST_DEFINE_FREE(StasisRetentionList, RetentionEntry, stasis_retention_list_free)

int stasis_requestor_run_policy(StasisRequestor *r, const char *policy, char **ret_id) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        const char *id, *path;
        int k;

        k = requestor_begin(r);
        if (k < 0)
                return k;
        if (isempty(policy) || !ret_id)
                return requestor_fail(r, -EINVAL, "run policy: the policy and ret_id must not be NULL or empty");
        k = requestor_new_manager_call(r, "RunPolicy", &m);
        if (k < 0)
                return k;
        k = sd_bus_message_append(m, "s", policy);
        if (k < 0)
                return requestor_fail(r, k, "Cannot build the RunPolicy call: %s", strerror(-k));
        k = requestor_call(r, m, &reply);
        if (k < 0)
                return k;
        k = sd_bus_message_read(reply, "so", &id, &path);
        if (k < 0)
                return requestor_fail(r, k, "Malformed reply to RunPolicy: %s", strerror(-k));
        *ret_id = strdup(id);
        return *ret_id ? 0 : requestor_fail(r, -ENOMEM, "Out of memory");
}

/* Cleanup's answer: (set id, policy, action, reason) per set. */
static int read_cleanup(sd_bus_message *reply, StasisRetentionList *l) {
        int k = sd_bus_message_enter_container(reply, 'a', "(ssss)");

        while (k >= 0) {
                const char *f[5] = {};
                k = sd_bus_message_read(reply, "(ssss)", &f[0], &f[1], &f[2], &f[3]);
                if (k <= 0)
                        break;
                (void) list_add((void **) &l->entries, &l->n, sizeof(RetentionEntry), f, ELEMENTSOF(f), &k);
        }
        if (k >= 0)
                k = sd_bus_message_exit_container(reply);
        return k;
}

/* ListRemovals' answer: (id, policy, removed, created, label, reason) per set removed. */
static int read_removals(sd_bus_message *reply, StasisRetentionList *l) {
        int k = sd_bus_message_enter_container(reply, 'a', "(tsttss)");

        while (k >= 0) {
                const char *f[5] = { NULL, NULL, "removed", NULL, NULL };
                uint64_t id, when, created;
                char idbuf[24];
                RetentionEntry *e;

                k = sd_bus_message_read(reply, "(tsttss)", &id, &f[1], &when, &created, &f[4], &f[3]);
                if (k <= 0)
                        break;
                snprintf(idbuf, sizeof idbuf, "%" PRIu64, id);
                f[0] = idbuf;
                e = list_add((void **) &l->entries, &l->n, sizeof(RetentionEntry), f, ELEMENTSOF(f), &k);
                if (e) {
                        e->time = when;
                        e->created = created;
                }
        }
        if (k >= 0)
                k = sd_bus_message_exit_container(reply);
        return k;
}

int stasis_requestor_cleanup(StasisRequestor *r, const char *policy, int dry_run, StasisRetentionList **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        int k;

        k = requestor_begin(r);
        if (k < 0)
                return k;
        if (!ret || (dry_run != 0 && dry_run != 1))
                return requestor_fail(r, -EINVAL, "cleanup: ret must not be NULL; dry_run is 0 or 1");
        k = requestor_new_manager_call(r, "Cleanup", &m);
        if (k < 0)
                return k;
        k = sd_bus_message_append(m, "sb", policy ? policy : "", dry_run);
        if (k < 0)
                return requestor_fail(r, k, "Cannot build the Cleanup call: %s", strerror(-k));
        k = requestor_call(r, m, &reply);
        if (k < 0)
                return k;
        k = READ_LIST(r, "Cleanup", reply, StasisRetentionList, read_cleanup, stasis_retention_list_free, ret);
        return k < 0 ? k : 0;
}

int stasis_requestor_list_removals(StasisRequestor *r, const char *policy, unsigned max, StasisRetentionList **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        int k;

        k = requestor_begin(r);
        if (k < 0)
                return k;
        if (!ret)
                return requestor_fail(r, -EINVAL, "list removals: ret must not be NULL");
        k = requestor_new_manager_call(r, "ListRemovals", &m);
        if (k < 0)
                return k;
        k = sd_bus_message_append(m, "su", policy ? policy : "", (uint32_t) max);
        if (k < 0)
                return requestor_fail(r, k, "Cannot build the ListRemovals call: %s", strerror(-k));
        k = requestor_call(r, m, &reply);
        if (k < 0)
                return k;
        k = READ_LIST(r, "ListRemovals", reply, StasisRetentionList, read_removals, stasis_retention_list_free, ret);
        return k < 0 ? k : 0;
}

LIST_DEFINE_COUNT(StasisRetentionList, stasis_retention_list)
LIST_DEFINE_STRING(StasisRetentionList, stasis_retention_list, set_id, 0)
LIST_DEFINE_STRING(StasisRetentionList, stasis_retention_list, policy, 1)
LIST_DEFINE_STRING(StasisRetentionList, stasis_retention_list, action, 2)
LIST_DEFINE_STRING(StasisRetentionList, stasis_retention_list, reason, 3)
LIST_DEFINE_STRING(StasisRetentionList, stasis_retention_list, label, 4)
LIST_DEFINE_NUMBER(StasisRetentionList, stasis_retention_list, uint64_t, time_usec, time)
LIST_DEFINE_NUMBER(StasisRetentionList, stasis_retention_list, uint64_t, created_usec, created)

/* ListExpiries' answer (made with ListSets): the expiry and policy of the
 * sets that have one, into the summaries (both in stasisd's order, by id).
 * An older stasisd has none. */
int requestor_read_expiries(StasisRequestor *r, BatchCall *call, StasisSet **list, size_t n) {
        sd_bus_message *reply = call->reply;
        size_t j = 0;
        int k;

        if (call->result < 0 && sd_bus_error_has_name(&call->error, SD_BUS_ERROR_UNKNOWN_METHOD))
                return 0;
        k = batch_call_result(r, call);
        if (k < 0)
                return k;
        k = sd_bus_message_enter_container(reply, 'a', "(sts)");
        while (k >= 0) {
                const char *id, *policy;
                uint64_t expires;
                k = sd_bus_message_read(reply, "(sts)", &id, &expires, &policy);
                if (k <= 0)
                        break;
                for (size_t tries = 0; tries < n && !streq(list[j]->id, id); tries++)
                        j = (j + 1) % n;
                if (n == 0 || !streq(list[j]->id, id))
                        continue;       /* made since ListSets */
                list[j]->expires = expires;
                free(list[j]->policy);
                list[j]->policy = strdup(policy);
                if (!list[j]->policy)
                        k = -ENOMEM;
        }
        if (k >= 0)
                k = sd_bus_message_exit_container(reply);
        if (k < 0)
                return requestor_fail(r, k, "Malformed reply to ListExpiries: %s", strerror(-k));
        return 0;
}

int stasis_requestor_get_set_exclusive_size(StasisRequestor *r, const char *id, uint64_t *ret_bytes) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        const char *why;
        uint64_t bytes;
        int k;

        k = requestor_begin(r);
        if (k < 0)
                return k;
        if (!ret_bytes)
                return requestor_fail(r, -EINVAL, "exclusive size: ret_bytes must not be NULL");
        k = requestor_new_set_call(r, id, "GetExclusiveSize", &m);
        if (k < 0)
                return k;
        k = requestor_call(r, m, &reply);
        if (k < 0)
                return k;
        k = sd_bus_message_read(reply, "ts", &bytes, &why);
        if (k < 0)
                return requestor_fail(r, k, "Malformed reply to GetExclusiveSize: %s", strerror(-k));
        if (bytes == UINT64_MAX)
                return requestor_fail(r, -ENODATA, "The exclusive size of set %s is not known: %s", id, why);
        *ret_bytes = bytes;
        return 0;
}
