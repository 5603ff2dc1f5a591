/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-orphans.c - list --orphans, adopt and delete-orphan: snapshots the catalog does not know */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "macro.h"
#include "stasis.h"
#include "time-util.h"

static void orphan_list_freep(StasisOrphanList **l) {
        stasis_orphan_list_free(*l);
}

int list_orphans(StasisRequestor *r) {
        _cleanup_(orphan_list_freep) StasisOrphanList *l = NULL;
        json_object *array = NULL;
        Table *t = NULL;
        unsigned n;

        if (arg_rescan && stasis_requestor_rescan_orphans(r) < 0)
                return report_error(r, "scanning for orphans");
        if (stasis_requestor_list_orphans(r, &l) < 0)
                return report_error(r, "listing orphan snapshots");

        if (arg_json)
                array = json_object_new_array();
        else
                t = table_new(5, "HANDLE", "SET", "INDEX", "CREATED", "PROVIDER");
        n = stasis_orphan_list_count(l);
        for (unsigned i = 0; i < n; i++) {
                const char *provider = stasis_orphan_list_provider(l, i), *handle = stasis_orphan_list_handle(l, i),
                           *set = stasis_orphan_list_set_id(l, i);
                uint64_t index = stasis_orphan_list_index(l, i), created = stasis_orphan_list_created_usec(l, i);
                char ts[64], idx[24];

                if (array) {
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "provider", json_object_new_string(provider));
                        json_object_object_add(o, "handle", json_object_new_string(handle));
                        json_object_object_add(o, "set", json_object_new_string(set));
                        json_object_object_add(o, "index", json_object_new_uint64(index));
                        json_object_object_add(o, "created", created ?
                                               json_object_new_string(format_timestamp(ts, sizeof ts, created, 1)) :
                                               NULL);
                        json_object_object_add(o, "created_usec", json_object_new_uint64(created));
                        json_object_array_add(array, o);
                } else {
                        snprintf(idx, sizeof idx, "%" PRIu64, index);
                        (void) table_add_row(t, handle, set, idx,
                                             created ? format_timestamp(ts, sizeof ts, created, 0) : NULL, provider);
                }
        }
        if (array) {
                print_json(stdout, array);
                json_object_put(array);
        } else if (table_rows(t) == 0)
                printf("No orphan snapshots.\n");
        else {
                table_print(t, stdout);
                printf("\nAdopt them as a set with 'stasis adopt SET', or delete them with "
                       "'stasis delete-orphan HANDLE'.\n");
        }
        table_free(t);
        return EXIT_OK;
}

int verb_adopt(StasisRequestor *r, char **args) {
        _cleanup_free_ char *context = NULL, *id = NULL;

        if (asprintf(&context, "adopt %s", args[0]) < 0)
                return report_local("adopt", -ENOMEM);
        if (stasis_requestor_adopt_orphans(r, args[0], &id) < 0)
                return report_error_context(r, context, "adopting the orphans");
        if (arg_json)
                printf("{\"adopted\":true,\"id\":\"%s\"}\n", id);
        else
                printf("Snapshot set %s adopted from its orphan snapshots.\n", id);
        return EXIT_OK;
}

static void print_deleted(const char *name) {
        printf("Deleted orphan snapshot ");
        print_escaped(stdout, name);
        printf(".\n");
}

int verb_delete_orphan(StasisRequestor *r, char **args) {
        return delete_each(r, args, stasis_requestor_delete_orphan, "deleting the orphan snapshot", print_deleted);
}
