/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-orphans.c - list --orphans, adopt and delete-orphan: snapshots the catalog does not know */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "bus-util.h"
#include "macro.h"
#include "stasis.h"
#include "stasis/stasis.h"
#include "time-util.h"

static int rescan(sd_bus *bus) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = sd_bus_call_method(bus, STASIS_BUS_NAME, STASIS_MANAGER_PATH, STASIS_MANAGER_INTERFACE,
                                   "RescanOrphans", &error, NULL, "");
        return r < 0 ? report_bus_error("scanning for orphans", r, &error) : EXIT_OK;
}

int list_orphans(sd_bus *bus) {
        _cleanup_bus_message_unref_ sd_bus_message *reply = NULL;
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        json_object *array = arg_json ? json_object_new_array() : NULL;
        Table *t = arg_json ? NULL : table_new(5, "HANDLE", "SET", "INDEX", "CREATED", "PROVIDER");
        int r;

        if (arg_rescan) {
                r = rescan(bus);
                if (r != EXIT_OK)
                        goto finish;
        }
        r = sd_bus_call_method(bus, STASIS_BUS_NAME, STASIS_MANAGER_PATH, STASIS_MANAGER_INTERFACE,
                               "ListOrphans", &error, &reply, "");
        if (r < 0) {
                r = report_bus_error("listing orphan snapshots", r, &error);
                goto finish;
        }
        r = sd_bus_message_enter_container(reply, 'a', "(ssstt)");
        while (r >= 0) {
                const char *provider, *handle, *set;
                uint64_t index, created;
                char ts[64], idx[24];

                r = sd_bus_message_read(reply, "(ssstt)", &provider, &handle, &set, &index, &created);
                if (r <= 0)
                        break;
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
        if (r < 0) {
                r = report_bus_error("reading the list", r, NULL);
                goto finish;
        }
        if (array)
                print_json(stdout, array);
        else if (table_rows(t) == 0)
                printf("No orphan snapshots.\n");
        else {
                table_print(t, stdout);
                printf("\nAdopt them as a set with 'stasis adopt SET', or delete them with "
                       "'stasis delete-orphan HANDLE'.\n");
        }
        r = EXIT_OK;
finish:
        if (array)
                json_object_put(array);
        table_free(t);
        return r;
}

int verb_adopt(sd_bus *bus, char **args) {
        _cleanup_bus_message_unref_ sd_bus_message *reply = NULL;
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *context = NULL;
        const char *id, *path;
        int r;

        if (asprintf(&context, "adopt %s", args[0]) < 0)
                return report_bus_error("adopt", -ENOMEM, NULL);
        r = sd_bus_call_method(bus, STASIS_BUS_NAME, STASIS_MANAGER_PATH, STASIS_MANAGER_INTERFACE,
                               "AdoptOrphans", &error, &reply, "s", args[0]);
        if (r < 0)
                return report_bus_error_context(context, "adopting the orphans", r, &error);
        r = sd_bus_message_read(reply, "so", &id, &path);
        if (r < 0)
                return report_bus_error("reading the answer", r, NULL);
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

int verb_delete_orphan(sd_bus *bus, char **args) {
        return delete_each(bus, args, "DeleteOrphan", "deleting the orphan snapshot", print_deleted);
}
