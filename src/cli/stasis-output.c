/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-output.c - what the CLI shows of a set: copied from libstasis's StasisSet, printed as a table or JSON */
#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "escape.h"
#include "macro.h"
#include "stasis-output.h"
#include "time-util.h"

/* VolumeInfo and ComponentInfo are records of strings only, in the order of
 * libstasis's accessors: one destructor serves both. */
#define VOLUME_FIELDS    (sizeof(VolumeInfo) / sizeof(char *))
#define COMPONENT_FIELDS (sizeof(ComponentInfo) / sizeof(char *))

static void string_records_free(void *items, size_t n, size_t n_fields, size_t size) {
        for (size_t i = 0; items && i < n; i++)
                for (size_t j = 0; j < n_fields; j++)
                        free(((char **) ((char *) items + i * size))[j]);
        free(items);
}

void set_info_done(SetInfo *s) {
        free(s->id);
        free(s->object_path);
        free(s->state);
        free(s->consistency);
        free(s->label);
        free(s->error);
        free(s->mounted_at);
        free(s->policy);
        free(s->exclusive_why);
        string_records_free(s->volumes, s->n_volumes, VOLUME_FIELDS, sizeof(VolumeInfo));
        string_records_free(s->components, s->n_components, COMPONENT_FIELDS, sizeof(ComponentInfo));
        for (uint32_t i = 0; s->event_text && i < s->n_events; i++)
                free(s->event_text[i]);
        free(s->event_text);
        free(s->event_at);
        *s = (SetInfo) {};
}

/* Copies n strings of values into fields; false when out of memory. */
static bool dup_all(char **fields, const char *const *values, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (!(fields[i] = strdup(strempty(values[i]))))
                        return false;
        return true;
}

int set_info_from_set(const StasisSet *set, bool full, SetInfo *ret) {
        _cleanup_(set_info_done) SetInfo s = {
                .created = stasis_set_created_usec(set),
                .persistent = stasis_set_persistent(set),
                .n_volumes = stasis_set_volume_count(set),
                .expires = stasis_set_expires_usec(set),
        };
        const char *const head[] = { stasis_set_id(set), stasis_set_state(set), stasis_set_consistency(set),
                                     stasis_set_label(set) };

        if (!(s.id = strdup(head[0])) || !(s.state = strdup(head[1])) || !(s.consistency = strdup(head[2])) ||
            !(s.label = strdup(head[3])) || !(s.policy = strdup(strempty(stasis_set_policy(set)))))
                return -ENOMEM;
        if (!full) {
                *ret = s;
                s = (SetInfo) {};
                return 0;
        }
        s.owner_uid = stasis_set_owner(set);
        s.hold_usec = stasis_set_hold_usec(set);
        s.has_completed = true;
        s.completed = stasis_set_completed_usec(set);
        s.open_views = stasis_set_open_view_count(set);
        if (!(s.object_path = strdup(stasis_set_object_path(set))) || !(s.error = strdup(stasis_set_error(set))) ||
            !(s.mounted_at = strdup(stasis_set_mounted_at(set))))
                return -ENOMEM;
        /* None: NULL, which the JSON shows as a count of 0, as for a set read from an older stasisd. */
        s.volumes = s.n_volumes > 0 ? calloc(s.n_volumes, sizeof(VolumeInfo)) : NULL;
        if (s.n_volumes > 0 && !s.volumes)
                return -ENOMEM;
        for (unsigned i = 0; i < s.n_volumes; i++) {
                const char *const v[] = {
                        stasis_set_volume_path(set, i), stasis_set_volume_mount_point(set, i),
                        stasis_set_volume_device(set, i), stasis_set_volume_fstype(set, i),
                        stasis_set_volume_provider(set, i), stasis_set_volume_source(set, i),
                        stasis_set_volume_snapshot(set, i), stasis_set_volume_state(set, i),
                };
                if (!dup_all((char **) &s.volumes[i], v, VOLUME_FIELDS))
                        return -ENOMEM;
        }
        s.has_components = true;
        s.n_components = stasis_set_component_count(set);
        s.components = s.n_components > 0 ? calloc(s.n_components, sizeof(ComponentInfo)) : NULL;
        if (s.n_components > 0 && !s.components)
                return -ENOMEM;
        for (unsigned i = 0; i < s.n_components; i++) {
                const char *const c[] = {
                        stasis_set_component_writer(set, i), stasis_set_component_instance(set, i),
                        stasis_set_component_name(set, i), stasis_set_component_consistency(set, i),
                        stasis_set_component_reason(set, i),
                };
                if (!dup_all((char **) &s.components[i], c, COMPONENT_FIELDS))
                        return -ENOMEM;
        }
        unsigned n_events = stasis_set_event_count(set);
        if (n_events > 0) {
                s.event_at = calloc(n_events, sizeof *s.event_at);
                s.event_text = calloc(n_events, sizeof *s.event_text);
                if (!s.event_at || !s.event_text)
                        return -ENOMEM;
                for (; s.n_events < n_events; s.n_events++) {
                        const char *text;
                        if (stasis_set_event(set, s.n_events, &s.event_at[s.n_events], &text) < 0)
                                break;
                        if (!(s.event_text[s.n_events] = strdup(text)))
                                return -ENOMEM;
                }
        }
        *ret = s;
        s = (SetInfo) {};
        return 0;
}

static json_object *jstr(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

json_object *volume_info_to_json(const VolumeInfo *v) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "path", jstr(v->path));
        json_object_object_add(o, "mount_point", jstr(v->mount_point));
        json_object_object_add(o, "device", jstr(v->device));
        json_object_object_add(o, "fstype", jstr(v->fstype));
        json_object_object_add(o, "provider", jstr(v->provider));
        json_object_object_add(o, "source", jstr(v->source));
        json_object_object_add(o, "snapshot", jstr(v->snapshot));
        json_object_object_add(o, "state", jstr(v->state));
        return o;
}

json_object *component_info_to_json(const ComponentInfo *c) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "writer", jstr(c->writer));
        json_object_object_add(o, "instance", jstr(strempty(c->instance)));
        json_object_object_add(o, "component", jstr(c->component));
        json_object_object_add(o, "consistency", jstr(c->consistency));
        json_object_object_add(o, "reason", isempty(c->reason) ? NULL : jstr(c->reason));
        return o;
}

json_object *set_info_to_json(const SetInfo *s) {
        json_object *o = json_object_new_object();
        char ts[64];

        json_object_object_add(o, "id", jstr(s->id));
        json_object_object_add(o, "created", json_object_new_string(format_timestamp(ts, sizeof ts, s->created, 1)));
        json_object_object_add(o, "created_usec", json_object_new_uint64(s->created));
        json_object_object_add(o, "state", jstr(s->state));
        json_object_object_add(o, "consistency", isempty(s->consistency) ? NULL : jstr(s->consistency));
        json_object_object_add(o, "label", jstr(strempty(s->label)));
        json_object_object_add(o, "persistent", json_object_new_boolean(s->persistent));
        if (s->expires > 0 || !isempty(s->policy)) {
                json_object_object_add(o, "expires", s->expires > 0 ?
                                       json_object_new_string(format_timestamp(ts, sizeof ts, s->expires, 1)) : NULL);
                json_object_object_add(o, "expires_usec", json_object_new_uint64(s->expires));
                json_object_object_add(o, "policy", isempty(s->policy) ? NULL : jstr(s->policy));
        }
        if (s->object_path || s->volumes || s->error) {
                json_object_object_add(o, "owner_uid", json_object_new_int64(s->owner_uid));
                json_object_object_add(o, "error", isempty(s->error) ? NULL : jstr(s->error));
                json_object_object_add(o, "hold_usec", json_object_new_uint64(s->hold_usec));
                json_object_object_add(o, "mounted_at", isempty(s->mounted_at) ? NULL : jstr(s->mounted_at));
                json_object_object_add(o, "open_views", json_object_new_int64(s->open_views));
                json_object *a = json_object_new_array();
                for (uint32_t i = 0; i < s->n_events; i++) {
                        json_object *e = json_object_new_object();
                        json_object_object_add(e, "at", json_object_new_string(format_timestamp(ts, sizeof ts,
                                                                                                s->event_at[i], 1)));
                        json_object_object_add(e, "at_usec", json_object_new_uint64(s->event_at[i]));
                        json_object_object_add(e, "event", jstr(s->event_text[i]));
                        json_object_array_add(a, e);
                }
                json_object_object_add(o, "events", a);
        }
        if (s->volumes) {
                json_object *a = json_object_new_array();
                for (uint32_t i = 0; i < s->n_volumes; i++)
                        json_object_array_add(a, volume_info_to_json(&s->volumes[i]));
                json_object_object_add(o, "volumes", a);
        } else
                json_object_object_add(o, "volumes", json_object_new_int64(s->n_volumes));
        /* Only from a stasisd with writers, so that older ones give the same JSON as before. */
        if (s->has_components) {
                json_object *a = json_object_new_array();
                for (uint32_t i = 0; i < s->n_components; i++)
                        json_object_array_add(a, component_info_to_json(&s->components[i]));
                json_object_object_add(o, "components", a);
        }
        if (s->has_exclusive)
                json_object_object_add(o, "exclusive_bytes", s->exclusive == UINT64_MAX ? NULL :
                                       json_object_new_uint64(s->exclusive));
        if (s->has_completed) {
                json_object_object_add(o, "completed", s->completed > 0 ?
                                       json_object_new_string(format_timestamp(ts, sizeof ts, s->completed, 1)) : NULL);
                json_object_object_add(o, "completed_usec", json_object_new_uint64(s->completed));
        }
        return o;
}

void print_json(FILE *f, json_object *o) {
        int flags = JSON_C_TO_STRING_NOSLASHESCAPE;
        flags |= isatty(fileno(f)) ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN;
        fputs(json_object_to_json_string_ext(o, flags), f);
        fputc('\n', f);
}

struct Table {
        size_t n_columns, n_cells, alloc;
        char **cells;
};

static int table_add_cell(Table *t, const char *v) {
        if (t->n_cells == t->alloc) {
                size_t na = t->alloc ? t->alloc * 2 : 32;
                char **nc = realloc(t->cells, na * sizeof(char *));
                if (!nc)
                        return -ENOMEM;
                t->cells = nc;
                t->alloc = na;
        }
        /* Every cell may hold a name someone else chose: escaped for the terminal. */
        t->cells[t->n_cells] = isempty(v) ? strdup("-") : cescape(v);
        if (!t->cells[t->n_cells])
                return -ENOMEM;
        t->n_cells++;
        return 0;
}

Table *table_new(size_t n_columns, ...) {
        Table *t = calloc(1, sizeof(Table));
        va_list ap;

        if (!t)
                return NULL;
        t->n_columns = n_columns;
        va_start(ap, n_columns);
        for (size_t i = 0; i < n_columns; i++)
                if (table_add_cell(t, va_arg(ap, const char *)) < 0) {
                        va_end(ap);
                        return table_free(t);
                }
        va_end(ap);
        return t;
}

int table_add_row(Table *t, ...) {
        va_list ap;
        int r = 0;

        va_start(ap, t);
        for (size_t i = 0; i < t->n_columns && r >= 0; i++)
                r = table_add_cell(t, va_arg(ap, const char *));
        va_end(ap);
        return r;
}

size_t table_rows(const Table *t) {
        return t->n_cells / t->n_columns - 1;
}

void table_print(Table *t, FILE *f) {
        size_t width[32] = {};
        size_t n = MIN(t->n_columns, ELEMENTSOF(width));

        for (size_t i = 0; i < t->n_cells; i++)
                if (i % t->n_columns < n)
                        width[i % t->n_columns] = MAX(width[i % t->n_columns], strlen(t->cells[i]));
        for (size_t i = 0; i < t->n_cells; i++) {
                size_t c = i % t->n_columns;
                bool last = c == t->n_columns - 1;
                if (last)
                        fprintf(f, "%s\n", t->cells[i]);
                else
                        fprintf(f, "%-*s  ", (int) width[c], t->cells[i]);
        }
}

Table *table_free(Table *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_cells; i++)
                free(t->cells[i]);
        free(t->cells);
        free(t);
        return NULL;
}

void print_escaped(FILE *f, const char *s) {
        _cleanup_free_ char *e = cescape(strempty(s));
        fputs(e ?: "(out of memory)", f);
}

/* "   Name: value\n", the value escaped. */
static void print_field(FILE *f, const char *name, const char *value) {
        fprintf(f, "%12s: ", name);
        print_escaped(f, value);
        fputc('\n', f);
}

void print_set_details(FILE *f, const SetInfo *s) {
        char ts[64], owner[64];
        struct passwd *pw = getpwuid(s->owner_uid);

        snprintf(owner, sizeof owner, "%u%s%s%s", s->owner_uid, pw ? " (" : "", pw ? pw->pw_name : "", pw ? ")" : "");
        print_field(f, "Set", s->id);
        fprintf(f, "     Created: %s\n", format_timestamp(ts, sizeof ts, s->created, 0));
        print_field(f, "State", strna(s->state));
        print_field(f, "Consistency", isempty(s->consistency) ? "-" : s->consistency);
        if (!isempty(s->label))
                print_field(f, "Label", s->label);
        fprintf(f, "  Persistent: %s\n", s->persistent ? "yes" : "no (released when its requestor disconnects)");
        if (s->expires > 0)
                fprintf(f, "     Expires: %s\n", format_timestamp(ts, sizeof ts, s->expires, 0));
        if (!isempty(s->policy))
                print_field(f, "Policy", s->policy);
        if (s->has_exclusive && s->exclusive != UINT64_MAX)
                fprintf(f, "   Exclusive: %.1f MiB (%" PRIu64 " bytes its snapshots hold alone)\n",
                        (double) s->exclusive / (1024.0 * 1024.0), s->exclusive);
        else if (s->has_exclusive)
                fprintf(f, "   Exclusive: unknown (%s)\n", strempty(s->exclusive_why));
        print_field(f, "Owner", owner);
        if (s->hold_usec > 0)
                fprintf(f, "        Held: %.1f ms (file systems frozen)\n", (double) s->hold_usec / 1000.0);
        if (s->has_completed && s->completed > 0)
                fprintf(f, "   Completed: %s (backup reported)\n", format_timestamp(ts, sizeof ts, s->completed, 0));
        else if (s->has_completed && s->n_components > 0)
                fprintf(f, "   Completed: not yet (stasis complete %s)\n", s->id);
        if (!isempty(s->error))
                print_field(f, "Last error", s->error);
        if (!isempty(s->mounted_at))
                print_field(f, "Mounted at", s->mounted_at);
        if (s->open_views > 0)
                fprintf(f, "  Open views: %u (in use: read by stasis exec, stasis backup or another requestor)\n",
                        s->open_views);
        for (uint32_t i = 0; i < s->n_events; i++)
                fprintf(f, "%s %s  %s\n", i == 0 ? "      Events:" : "             ",
                        format_timestamp(ts, sizeof ts, s->event_at[i], 0), s->event_text[i]);

        Table *t = table_new(7, "PATH", "MOUNT", "DEVICE", "FSTYPE", "PROVIDER", "SNAPSHOT", "STATE");
        if (!t)
                return;
        for (uint32_t i = 0; s->volumes && i < s->n_volumes; i++) {
                const VolumeInfo *v = &s->volumes[i];
                (void) table_add_row(t, v->path, v->mount_point, v->device, v->fstype, v->provider,
                                     v->snapshot, v->state);
        }
        fputc('\n', f);
        table_print(t, f);
        table_free(t);

        if (s->n_components == 0)
                return;
        t = table_new(4, "WRITER", "COMPONENT", "CONSISTENCY", "REASON");
        if (!t)
                return;
        for (uint32_t i = 0; i < s->n_components; i++) {
                const ComponentInfo *c = &s->components[i];
                char *writer = NULL;
                if (asprintf(&writer, "%s%s%s", c->writer, isempty(c->instance) ? "" : "@",
                             strempty(c->instance)) < 0)
                        break;
                (void) table_add_row(t, writer, c->component, c->consistency, c->reason);
                free(writer);
        }
        fputc('\n', f);
        table_print(t, f);
        table_free(t);
}
