/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-event-metadata.c - writer backup metadata: what a writer attaches to its components, sent with the answer */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "stasis-writer-internal.h"

/* The writer's component of that name; NULL if none. */
static const WriterComponent *find_component(const StasisWriter *w, const char *name) {
        for (size_t i = 0; i < w->meta->n_components; i++)
                if (streq(w->meta->components[i].name, name))
                        return &w->meta->components[i];
        return NULL;
}

static bool in_event(const StasisEvent *e, const char *component) {
        for (size_t i = 0; e->components[i]; i++)
                if (streq(e->components[i], component))
                        return true;
        return false;
}

/* The checks common to values and files: the event, and the component. */
static int check_event(StasisEvent *e, const char *component, const WriterComponent **ret) {
        StasisWriter *w = e->writer;
        const WriterComponent *c;

        if (e->type != STASIS_EVENT_POST_SNAPSHOT && e->type != STASIS_EVENT_BACKUP_COMPLETE)
                return writer_set_error(w, -EOPNOTSUPP, "Backup metadata can be added at PostSnapshot and "
                                        "BackupComplete only, not at %s", stasis_writer_event_to_string(e->type));
        if (e->answered)
                return writer_set_error(w, -EALREADY, "Event %s of set %s is answered already",
                                        stasis_writer_event_to_string(e->type), strna(e->set_id));
        if (!component)
                return writer_set_error(w, -EINVAL, "Backup metadata: component must not be NULL");
        c = find_component(w, component);
        if (!c)
                return writer_set_error(w, -EINVAL, "Backup metadata: the writer has no component \"%.128s\"",
                                        component);
        if (e->type == STASIS_EVENT_BACKUP_COMPLETE && !in_event(e, component))
                return writer_set_error(w, -EINVAL, "Backup metadata: component \"%.128s\" is not in set %s",
                                        component, strna(e->set_id));
        *ret = c;
        return 0;
}

int stasis_event_add_metadata(StasisEvent *e, const char *component, const char *name, const char *value) {
        const WriterComponent *c;
        char err[512];
        int r;

        if (!e)
                return -EINVAL;
        r = check_event(e, component, &c);
        if (r < 0)
                return r;
        if (!value)
                return writer_set_error(e->writer, -EINVAL, "Backup metadata: value must not be NULL");
        r = backup_metadata_check_name(name, err, sizeof err);
        if (r >= 0)
                r = backup_metadata_check_value(value, strlen(value), err, sizeof err);
        if (r >= 0)
                r = backup_metadata_list_add(&e->metadata, component, name, NULL, value, strlen(value), 0, true,
                                             err, sizeof err);
        if (r < 0)
                return writer_set_error(e->writer, r, "Backup metadata of component %s: %s", component, err);
        return 0;
}

int stasis_event_add_metadata_file(StasisEvent *e, const char *component, const char *path,
                                   const void *data, size_t size, mode_t mode) {
        const WriterComponent *c;
        char err[512];
        int r;

        if (!e)
                return -EINVAL;
        r = check_event(e, component, &c);
        if (r < 0)
                return r;
        if (!data && size > 0)
                return writer_set_error(e->writer, -EINVAL, "Backup metadata: data is NULL, size %zu", size);
        r = backup_metadata_check_path(path, c->paths, err, sizeof err);
        if (r >= 0)
                r = backup_metadata_check_file(path, size, (uint32_t) mode, err, sizeof err);
        if (r >= 0)
                r = backup_metadata_list_add(&e->metadata, component, NULL, path, data, size, (uint32_t) mode, true,
                                             err, sizeof err);
        if (r < 0)
                return writer_set_error(e->writer, r, "Backup metadata of component %s: %s", component, err);
        return 0;
}

int event_append_metadata(StasisEvent *e, sd_bus_message *reply) {
        int r;

        r = sd_bus_message_open_container(reply, 'a', "(sss)");
        for (size_t i = 0; r >= 0 && i < e->metadata.n; i++) {
                const BackupMetadataEntry *x = &e->metadata.entries[i];
                if (!x->name)
                        continue;
                /* Checked as UTF-8 without a NUL: the copy ends with one. */
                _cleanup_free_ char *v = strndup(x->data, x->size);
                if (!v)
                        return -ENOMEM;
                r = sd_bus_message_append(reply, "(sss)", x->component, x->name, v);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ssayu)");
        for (size_t i = 0; r >= 0 && i < e->metadata.n; i++) {
                const BackupMetadataEntry *x = &e->metadata.entries[i];
                if (!x->path)
                        continue;
                r = sd_bus_message_open_container(reply, 'r', "ssayu");
                if (r >= 0)
                        r = sd_bus_message_append(reply, "ss", x->component, x->path);
                if (r >= 0)
                        r = sd_bus_message_append_array(reply, 'y', x->data, x->size);
                if (r >= 0)
                        r = sd_bus_message_append(reply, "u", x->mode);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}
