/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-metadata.c - the writers' backup metadata of a set, as show prints it */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "macro.h"
#include "stasis.h"

json_object *metadata_to_json(const StasisMetadataList *l) {
        json_object *a = json_object_new_array();

        for (unsigned i = 0; i < stasis_metadata_list_count(l); i++) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "writer", json_object_new_string(stasis_metadata_list_writer(l, i)));
                json_object_object_add(o, "instance", json_object_new_string(stasis_metadata_list_instance(l, i)));
                json_object_object_add(o, "component", json_object_new_string(stasis_metadata_list_component(l, i)));
                if (stasis_metadata_list_name(l, i)) {
                        json_object_object_add(o, "name", json_object_new_string(stasis_metadata_list_name(l, i)));
                        json_object_object_add(o, "value", json_object_new_string(stasis_metadata_list_value(l, i)));
                } else {
                        char mode[8];
                        snprintf(mode, sizeof mode, "%04o", (unsigned) stasis_metadata_list_mode(l, i));
                        json_object_object_add(o, "path", json_object_new_string(stasis_metadata_list_path(l, i)));
                        json_object_object_add(o, "size", json_object_new_int64((int64_t) stasis_metadata_list_size(l, i)));
                        json_object_object_add(o, "mode", json_object_new_string(mode));
                }
                json_object_array_add(a, o);
        }
        return a;
}

void print_metadata(FILE *f, const StasisMetadataList *l) {
        Table *t;

        if (stasis_metadata_list_count(l) == 0)
                return;
        t = table_new(4, "WRITER", "COMPONENT", "METADATA", "VALUE");
        if (!t)
                return;
        for (unsigned i = 0; i < stasis_metadata_list_count(l); i++) {
                _cleanup_free_ char *writer = NULL, *what = NULL, *value = NULL;
                const char *inst = stasis_metadata_list_instance(l, i);
                const char *name = stasis_metadata_list_name(l, i);
                if (asprintf(&writer, "%s%s%s", stasis_metadata_list_writer(l, i), isempty(inst) ? "" : "@",
                             strempty(inst)) < 0)
                        break;
                if (name) {
                        what = strdup(name);
                        value = strdup(stasis_metadata_list_value(l, i));
                } else if (asprintf(&what, "file %s", stasis_metadata_list_path(l, i)) < 0 ||
                           asprintf(&value, "%" PRIu64 " bytes, mode %04o", stasis_metadata_list_size(l, i),
                                    (unsigned) stasis_metadata_list_mode(l, i)) < 0)
                        what = value = NULL;
                if (!what || !value)
                        break;
                (void) table_add_row(t, writer, stasis_metadata_list_component(l, i), what, value);
        }
        fputs("\nBackup metadata:\n", f);
        table_print(t, f);
        table_free(t);
}
