/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-volumes.c - the volumes command: what a path resolves to and who would snapshot it */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "macro.h"
#include "stasis.h"
#include "strv.h"

static void path_list_freep(StasisPathList **l) {
        stasis_path_list_free(*l);
}

int verb_volumes(StasisRequestor *r, char **args) {
        _cleanup_(path_list_freep) StasisPathList *l = NULL;
        _cleanup_strv_free_ char **paths = NULL;
        json_object *array = NULL;
        Table *t = NULL;
        unsigned n;
        int q;

        q = absolute_paths(args, &paths);
        if (q < 0)
                return report_local("building the request", q);
        if (stasis_requestor_resolve_paths(r, (const char *const *) paths, &l) < 0)
                return report_error(r, "resolving");

        if (arg_json)
                array = json_object_new_array();
        else
                t = table_new(7, "PATH", "MOUNT", "DEVICE", "FSTYPE", "PROVIDER", "SOURCE", "VOLUME");

        n = stasis_path_list_count(l);
        for (unsigned i = 0; i < n; i++) {
                const char *f[8] = {
                        stasis_path_list_requested(l, i), stasis_path_list_path(l, i),
                        stasis_path_list_mount_point(l, i), stasis_path_list_device(l, i),
                        stasis_path_list_fstype(l, i), stasis_path_list_provider(l, i),
                        stasis_path_list_source(l, i), stasis_path_list_volume(l, i),
                };
                if (array) {
                        static const char *const keys[8] = { "requested", "path", "mount_point", "device",
                                                             "fstype", "provider", "source", "volume" };
                        json_object *o = json_object_new_object();
                        for (size_t j = 0; j < 8; j++)
                                json_object_object_add(o, keys[j], json_object_new_string(f[j]));
                        json_object_array_add(array, o);
                } else
                        (void) table_add_row(t, f[1], f[2], f[3], f[4], f[5], f[6], f[7]);
        }
        if (array) {
                print_json(stdout, array);
                json_object_put(array);
        } else
                table_print(t, stdout);
        table_free(t);
        return EXIT_OK;
}
