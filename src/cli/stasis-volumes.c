/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-volumes.c - the volumes command: what a path resolves to and who would snapshot it */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "stasis.h"
#include "strv.h"

static void path_list_freep(StasisPathList **l) {
        stasis_path_list_free(*l);
}

/* "lv=vg0/data vg_free=1.5GiB": the details for people, sizes (keys that
 * end in _free or _size) in binary units. NULL for none. */
static char *details_text(char *const *details) {
        static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
        char *s = NULL;
        size_t len = 0;
        FILE *f;

        if (!details || !details[0])
                return NULL;
        f = open_memstream(&s, &len);
        if (!f)
                return NULL;
        for (char *const *d = details; *d; d++) {
                const char *eq = strchr(*d, '='), *v = eq ? eq + 1 : "";
                size_t kl = eq ? (size_t) (eq - *d) : strlen(*d);
                char *end;
                unsigned long long b = strtoull(v, &end, 10);
                fprintf(f, "%s%.*s=", d == details ? "" : " ", (int) kl, *d);
                if (*v && !*end && kl > 5 && (!strncmp(*d + kl - 5, "_free", 5) || !strncmp(*d + kl - 5, "_size", 5))) {
                        double x = (double) b;
                        size_t u = 0;
                        while (x >= 1024 && u + 1 < ELEMENTSOF(units)) {
                                x /= 1024;
                                u++;
                        }
                        fprintf(f, u ? "%.1f%s" : "%.0f%s", x, units[u]);
                } else
                        fputs(v, f);
        }
        if (fclose(f) != 0) {
                free(s);
                return NULL;
        }
        return s;
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
        /* A column for what the providers tell, if any tells something. */
        bool details = false;
        for (unsigned i = 0; i < n; i++)
                details = details || stasis_path_list_details(l, i)[0];
        if (t && details) {
                table_free(t);
                t = table_new(8, "PATH", "MOUNT", "DEVICE", "FSTYPE", "PROVIDER", "SOURCE", "VOLUME", "DETAILS");
        }
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
                        json_object *d = json_object_new_object();
                        for (char *const *kv = stasis_path_list_details(l, i); *kv; kv++) {
                                const char *eq = strchr(*kv, '=');
                                _cleanup_free_ char *k = strndup(*kv, eq ? (size_t) (eq - *kv) : strlen(*kv));
                                if (k)
                                        json_object_object_add(d, k, json_object_new_string(eq ? eq + 1 : ""));
                        }
                        json_object_object_add(o, "details", d);
                        json_object_array_add(array, o);
                } else if (details) {
                        _cleanup_free_ char *text = details_text(stasis_path_list_details(l, i));
                        (void) table_add_row(t, f[1], f[2], f[3], f[4], f[5], f[6], f[7], text ? text : "-");
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
