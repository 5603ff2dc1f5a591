/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-writers.c - the writers command: the registered writers, their state and their components */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "macro.h"
#include "stasis.h"

enum { W_WRITER, W_INSTANCE, W_LEVEL, W_OWNER, W_STATE, W_LAST_SET, W_LAST_ERROR, _W_MAX };

typedef struct WriterRecord {
        const char *f[_W_MAX];
        uint32_t pid, uid;
        uint32_t n_components, metadata_size;
        json_object *metadata;  /* NULL if it could not be had, or is not a JSON object */
} WriterRecord;

static json_object *jstr_or_null(const char *s) {
        return isempty(s) ? NULL : json_object_new_string(s);
}

static json_object *writer_to_json(const WriterRecord *w) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "writer", json_object_new_string(w->f[W_WRITER]));
        json_object_object_add(o, "instance", json_object_new_string(w->f[W_INSTANCE]));
        json_object_object_add(o, "level", json_object_new_string(w->f[W_LEVEL]));
        json_object_object_add(o, "owner", json_object_new_string(w->f[W_OWNER]));
        json_object_object_add(o, "pid", json_object_new_int64(w->pid));
        json_object_object_add(o, "uid", json_object_new_int64(w->uid));
        json_object_object_add(o, "state", json_object_new_string(w->f[W_STATE]));
        json_object_object_add(o, "last_set", jstr_or_null(w->f[W_LAST_SET]));
        json_object_object_add(o, "last_error", jstr_or_null(w->f[W_LAST_ERROR]));
        json_object_object_add(o, "metadata", json_object_get(w->metadata));
        return o;
}

static const char *json_string_or(json_object *o, const char *key, const char *fallback) {
        json_object *v;
        if (o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
                return json_object_get_string(v);
        return fallback;
}

/* The components as a table, indented under the writer; several paths of a
 * component go on lines of their own. */
static void print_components(FILE *f, json_object *metadata, uint32_t n_components) {
        json_object *components = NULL;
        size_t n, width = strlen("COMPONENT");

        if (!metadata) {
                fprintf(f, "  Components: %u (stasisd did not give its metadata: it may have left)\n", n_components);
                return;
        }
        if (!json_object_object_get_ex(metadata, "components", &components) ||
            !json_object_is_type(components, json_type_array)) {
                fprintf(f, "  Components: unknown (stasisd sent metadata that cannot be read)\n");
                return;
        }
        n = json_object_array_length(components);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *e = cescape(json_string_or(json_object_array_get_idx(components, i), "name", "?"));
                width = MAX(width, e ? strlen(e) : 0);
        }

        fputc('\n', f);
        fprintf(f, "    %-*s  SELECTABLE  PATHS\n", (int) width, "COMPONENT");
        for (size_t i = 0; i < n; i++) {
                json_object *c = json_object_array_get_idx(components, i), *paths = NULL, *sel = NULL;
                bool selectable = true;        /* the schema's default */
                size_t n_paths = 0;

                if (json_object_object_get_ex(c, "selectable", &sel) && json_object_is_type(sel, json_type_boolean))
                        selectable = json_object_get_boolean(sel);
                if (json_object_object_get_ex(c, "paths", &paths) && json_object_is_type(paths, json_type_array))
                        n_paths = json_object_array_length(paths);
                _cleanup_free_ char *name = cescape(json_string_or(c, "name", "?"));
                fprintf(f, "    %-*s  %-10s  ", (int) width, strna(name), selectable ? "yes" : "no");
                if (n_paths == 0)
                        fputs("-\n", f);
                for (size_t j = 0; j < n_paths; j++) {
                        json_object *p = json_object_array_get_idx(paths, j);
                        if (j > 0)
                                fprintf(f, "    %-*s  %-10s  ", (int) width, "", "");
                        print_escaped(f, json_object_is_type(p, json_type_string) ? json_object_get_string(p) : "?");
                        fputc('\n', f);
                }
        }
}

static void print_writer(FILE *f, const WriterRecord *w) {
        struct passwd *pw = getpwuid(w->uid);
        char pid[16];

        if (w->pid > 0)
                snprintf(pid, sizeof pid, "%u", w->pid);
        else
                snprintf(pid, sizeof pid, "unknown");

        /* What a writer sent is escaped for the terminal. */
        fputs("      Writer: ", f);
        print_escaped(f, w->f[W_WRITER]);
        if (!isempty(w->f[W_INSTANCE])) {
                fputc('@', f);
                print_escaped(f, w->f[W_INSTANCE]);
        }
        fputs("\n       Level: ", f);
        print_escaped(f, w->f[W_LEVEL]);
        if (isempty(w->f[W_OWNER]))     /* missing: not on the bus */
                fprintf(f, "\n     Process: none (last registered by uid %u%s%s%s)", w->uid, pw ? " (" : "",
                        pw ? pw->pw_name : "", pw ? ")" : "");
        else {
                fprintf(f, "\n     Process: pid %s, uid %u%s%s%s, bus name ", pid, w->uid, pw ? " (" : "",
                        pw ? pw->pw_name : "", pw ? ")" : "");
                print_escaped(f, w->f[W_OWNER]);
        }
        fputs("\n       State: ", f);
        print_escaped(f, w->f[W_STATE]);
        fputs("\n    Last set: ", f);
        print_escaped(f, isempty(w->f[W_LAST_SET]) ? "none" : w->f[W_LAST_SET]);
        fputs("\n  Last error: ", f);
        print_escaped(f, isempty(w->f[W_LAST_ERROR]) ? "none" : w->f[W_LAST_ERROR]);
        fputc('\n', f);
        print_components(f, w->metadata, w->n_components);
}

/* One writer's metadata (ListWriters gives only a summary); NULL if the
 * writer left meanwhile or sent something unreadable. */
static json_object *get_metadata(StasisRequestor *r, const WriterRecord *w) {
        _cleanup_free_ char *json = NULL;
        json_object *o;

        if (stasis_requestor_get_writer_metadata(r, w->f[W_WRITER], w->f[W_INSTANCE], &json) < 0)
                return NULL;
        o = json_tokener_parse(json);
        if (o && !json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                o = NULL;
        }
        return o;
}

static void writer_list_freep(StasisWriterList **l) {
        stasis_writer_list_free(*l);
}

/* forget-writer NAME[@INSTANCE]... */
int verb_forget_writer(StasisRequestor *r, char **args) {
        int ret = EXIT_OK;

        for (char **a = args; *a; a++) {
                _cleanup_free_ char *name = strdup(*a), *context = NULL;
                char *at;

                if (!name)
                        return report_local("forget-writer", -ENOMEM);
                at = strchr(name, '@');
                if (at)
                        *at++ = 0;
                if (asprintf(&context, "forget-writer %s", *a) < 0)
                        return report_local("forget-writer", -ENOMEM);
                if (stasis_requestor_forget_writer(r, name, at) < 0) {
                        int q = report_error_context(r, context, "forgetting the writer");
                        if (ret == EXIT_OK)
                                ret = q;
                        continue;
                }
                if (!arg_json)
                        printf("Writer %s forgotten.\n", *a);
        }
        return ret;
}

int verb_writers(StasisRequestor *r, char **args) {
        _cleanup_(writer_list_freep) StasisWriterList *l = NULL;
        json_object *array = NULL;
        unsigned n;

        if (stasis_requestor_list_writers(r, &l) < 0)
                return report_error_context(r, "writers", "listing writers");

        if (arg_json)
                array = json_object_new_array();
        n = stasis_writer_list_count(l);
        for (unsigned i = 0; i < n; i++) {
                WriterRecord w = {
                        .f = {
                                [W_WRITER] = stasis_writer_list_name(l, i),
                                [W_INSTANCE] = stasis_writer_list_instance(l, i),
                                [W_LEVEL] = stasis_writer_list_level(l, i),
                                [W_OWNER] = stasis_writer_list_bus_name(l, i),
                                [W_STATE] = stasis_writer_list_state(l, i),
                                [W_LAST_SET] = stasis_writer_list_last_set(l, i),
                                [W_LAST_ERROR] = stasis_writer_list_last_error(l, i),
                        },
                        .pid = stasis_writer_list_pid(l, i),
                        .uid = stasis_writer_list_uid(l, i),
                        .n_components = stasis_writer_list_component_count(l, i),
                        .metadata_size = stasis_writer_list_metadata_size(l, i),
                };
                w.metadata = get_metadata(r, &w);
                if (array)
                        json_object_array_add(array, writer_to_json(&w));
                else {
                        if (i > 0)
                                fputc('\n', stdout);
                        print_writer(stdout, &w);
                }
                json_object_put(w.metadata);
        }
        if (array) {
                print_json(stdout, array);
                json_object_put(array);
        } else if (n == 0)
                printf("No writers registered.\n");
        return EXIT_OK;
}
