/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-sets.c - the create, list, show, complete and delete commands */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bus-util.h"
#include "macro.h"
#include "stasis.h"
#include "stasis/stasis.h"
#include "strv.h"
#include "time-util.h"

static int show_set(sd_bus *bus, const char *object_path) {
        _cleanup_(set_info_done) SetInfo s = {};
        int r = fetch_set(bus, object_path, &s);
        if (r < 0)
                return -r;
        if (arg_json) {
                json_object *o = set_info_to_json(&s);
                print_json(stdout, o);
                json_object_put(o);
        } else
                print_set_details(stdout, &s);
        return EXIT_OK;
}

/* The CreateSet options: the set persists; the label, the components and
 * require-writers if given. */
static int append_create_options(sd_bus_message *m) {
        int r = sd_bus_message_open_container(m, 'a', "{sv}");
        /* A set made from the command line outlives the command, until deleted. */
        if (r >= 0)
                r = sd_bus_message_append(m, "{sv}", "persistent", "b", 1);
        if (r >= 0 && arg_label)
                r = sd_bus_message_append(m, "{sv}", "label", "s", arg_label);
        if (r >= 0 && arg_components) {
                r = sd_bus_message_open_container(m, 'e', "sv");
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", "components");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'v', "as");
                if (r >= 0)
                        r = sd_bus_message_append_strv(m, arg_components);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
        }
        if (r >= 0 && arg_require_writers)
                r = sd_bus_message_append(m, "{sv}", "require-writers", "b", 1);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

int verb_create(sd_bus *bus, char **args) {
        _cleanup_bus_message_unref_ sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *id, *path;
        int r;

        r = new_paths_call(bus, "CreateSet", args, &m);
        if (r >= 0)
                r = append_create_options(m);
        if (r < 0)
                return report_bus_error("building the request", r, NULL);

        r = sd_bus_call(bus, m, CALL_TIMEOUT, &error, &reply);
        if (r < 0)
                return report_bus_error("creating the set", r, &error);
        r = sd_bus_message_read(reply, "so", &id, &path);
        if (r < 0)
                return report_bus_error("reading the answer", r, NULL);
        return show_set(bus, path);
}

int verb_show(sd_bus *bus, char **args) {
        _cleanup_bus_message_unref_ sd_bus_message *reply = NULL;
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *path;
        int r;

        r = sd_bus_call_method(bus, STASIS_BUS_NAME, STASIS_MANAGER_PATH, STASIS_MANAGER_INTERFACE,
                               "GetSet", &error, &reply, "s", args[0]);
        if (r < 0)
                return report_bus_error("finding the set", r, &error);
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return report_bus_error("reading the answer", r, NULL);
        return show_set(bus, path);
}

int verb_complete(sd_bus *bus, char **args) {
        _cleanup_bus_message_unref_ sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *context = NULL;
        const char *path;
        int r;

        if (asprintf(&context, "complete %s", args[0]) < 0)
                return report_bus_error("complete", -ENOMEM, NULL);

        r = sd_bus_call_method(bus, STASIS_BUS_NAME, STASIS_MANAGER_PATH, STASIS_MANAGER_INTERFACE,
                               "GetSet", &error, &reply, "s", args[0]);
        if (r >= 0)
                r = sd_bus_message_read(reply, "o", &path);
        if (r < 0) {
                r = report_bus_error_context(context, "finding the set", r, &error);
                goto finish;
        }

        r = sd_bus_message_new_method_call(bus, &m, STASIS_BUS_NAME, path, STASIS_SET_INTERFACE, "Complete");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, arg_failed);
        if (r >= 0)
                r = sd_bus_call(bus, m, CALL_TIMEOUT, &error, NULL);
        if (r < 0) {
                r = report_bus_error_context(context, "reporting the backup", r, &error);
                goto finish;
        }
        if (!arg_json) {
                printf("Reported the backup of snapshot set %s as done", args[0]);
                STRV_FOREACH(f, arg_failed)
                        printf("%s%s", f == arg_failed ? "; not backed up: " : ", ", *f);
                printf(".\n");
        }
        r = EXIT_OK;
finish:
        if (arg_json)
                printf("{\"completed\":%s}\n", r == EXIT_OK ? "true" : "false");
        return r;
}

int verb_list(sd_bus *bus, char **args) {
        if (arg_orphans)
                return list_orphans(bus);

        _cleanup_bus_message_unref_ sd_bus_message *reply = NULL;
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        json_object *array = arg_json ? json_object_new_array() : NULL;
        Table *t = arg_json ? NULL : table_new(7, "ID", "CREATED", "STATE", "CONSISTENCY", "VOLUMES",
                                                "PERSISTENT", "LABEL");
        int r;
        r = sd_bus_call_method(bus, STASIS_BUS_NAME, STASIS_MANAGER_PATH, STASIS_MANAGER_INTERFACE,
                               "ListSets", &error, &reply, "");
        if (r < 0) {
                r = report_bus_error("listing sets", r, &error);
                goto finish;
        }
        r = sd_bus_message_enter_container(reply, 'a', "(sotsssbu)");
        while (r >= 0) {
                SetInfo s = {};
                const char *id, *path, *state, *consistency, *label;
                int persistent;
                r = sd_bus_message_read(reply, "(sotsssbu)", &id, &path, &s.created, &state, &consistency,
                                        &label, &persistent, &s.n_volumes);
                if (r <= 0)
                        break;
                s.id = (char *) id;
                s.state = (char *) state;
                s.consistency = (char *) consistency;
                s.label = (char *) label;
                s.persistent = persistent;
                if (array)
                        json_object_array_add(array, set_info_to_json(&s));
                else {
                        char ts[64], nv[16];
                        snprintf(nv, sizeof nv, "%u", s.n_volumes);
                        (void) table_add_row(t, id, format_timestamp(ts, sizeof ts, s.created, 0), state,
                                             consistency, nv, persistent ? "yes" : "no", label);
                }
        }
        if (r < 0) {
                r = report_bus_error("reading the list", r, NULL);
                goto finish;
        }
        if (array)
                print_json(stdout, array);
        else if (table_rows(t) == 0)
                printf("No snapshot sets.\n");
        else
                table_print(t, stdout);
        r = EXIT_OK;
finish:
        if (array)
                json_object_put(array);
        table_free(t);
        return r;
}

static void print_deleted(const char *id) {
        printf("Deleted snapshot set %s.\n", id);
}

int verb_delete(sd_bus *bus, char **args) {
        return delete_each(bus, args, "DeleteSet", "deleting the set", print_deleted);
}
