/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-volumes.c - the volumes command: what a path resolves to and who would snapshot it */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bus-util.h"
#include "macro.h"
#include "stasis.h"
#include "stasis/stasis.h"

int verb_volumes(sd_bus *bus, char **args) {
        _cleanup_bus_message_unref_ sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        json_object *array = NULL;
        Table *t = NULL;
        int r;

        r = new_paths_call(bus, "ResolvePaths", args, &m);
        if (r < 0)
                return report_bus_error("building the request", r, NULL);

        r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0)
                return report_bus_error("resolving", r, &error);

        if (arg_json)
                array = json_object_new_array();
        else
                t = table_new(7, "PATH", "MOUNT", "DEVICE", "FSTYPE", "PROVIDER", "SOURCE", "VOLUME");

        r = sd_bus_message_enter_container(reply, 'a', "(ssssssss)");
        while (r >= 0) {
                const char *f[8];
                r = sd_bus_message_read(reply, "(ssssssss)", &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7]);
                if (r <= 0)
                        break;
                if (array) {
                        static const char *const keys[8] = { "requested", "path", "mount_point", "device",
                                                             "fstype", "provider", "source", "volume" };
                        json_object *o = json_object_new_object();
                        for (size_t i = 0; i < 8; i++)
                                json_object_object_add(o, keys[i], json_object_new_string(f[i]));
                        json_object_array_add(array, o);
                } else
                        (void) table_add_row(t, f[1], f[2], f[3], f[4], f[5], f[6], f[7]);
        }
        if (r < 0)
                r = report_bus_error("reading the answer", r, NULL);
        else {
                if (array)
                        print_json(stdout, array);
                else
                        table_print(t, stdout);
                r = EXIT_OK;
        }
        if (array)
                json_object_put(array);
        table_free(t);
        return r;
}
