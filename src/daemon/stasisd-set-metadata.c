/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set-metadata.c - the writers' backup metadata of a set: taken from their answers, checked, recorded, shown */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-errors.h"
#include "bus-util.h"
#include "echo.h"
#include "log.h"
#include "macro.h"
#include "stasisd-auth.h"
#include "stasisd-catalog-metadata.h"
#include "stasisd-set-metadata.h"
#include "strv.h"
#include "writer-metadata.h"

static const WriterComponent *writer_component(const Writer *w, const char *name) {
        for (size_t i = 0; w->meta && i < w->meta->n_components; i++)
                if (streq(w->meta->components[i].name, name))
                        return &w->meta->components[i];
        return NULL;
}

static bool in_list(char *const *l, const char *s) {
        STRV_FOREACH(i, l)
                if (streq(*i, s))
                        return true;
        return false;
}

/* A file path another writer of the set declared already. */
static bool path_taken(const Set *s, const char *path) {
        for (size_t w = 0; w < s->n_metadata; w++)
                for (size_t i = 0; i < s->metadata[w].list.n; i++)
                        if (s->metadata[w].list.entries[i].path && streq(s->metadata[w].list.entries[i].path, path))
                                return true;
        return false;
}

static int take_component(char *const *components, const char *component, char *err, size_t err_size) {
        if (!in_list(components, component)) {
                snprintf(err, err_size, "backup metadata for component \"%s\", which is not one of its components "
                         "in the set", ECHO(component));
                return -EINVAL;
        }
        return 0;
}

static int take_values(sd_bus_message *reply, char *const *components, BackupMetadataList *l, char *err,
                       size_t err_size) {
        const char *component, *name, *value;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "(sss)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(sss)", &component, &name, &value)) > 0) {
                r = take_component(components, component, err, err_size);
                if (r >= 0)
                        r = backup_metadata_check_name(name, err, err_size);
                if (r >= 0)
                        r = backup_metadata_check_value(value, strlen(value), err, err_size);
                if (r >= 0)
                        r = backup_metadata_list_add(l, component, name, NULL, value, strlen(value), 0, false, err,
                                                     err_size);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        return r;
}

static int take_files(Set *s, sd_bus_message *reply, Writer *w, char *const *components, BackupMetadataList *l,
                      char *err, size_t err_size) {
        const char *component, *path;
        const void *data;
        size_t size;
        uint32_t mode;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "(ssayu)");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'r', "ssayu")) > 0) {
                const WriterComponent *c;
                r = sd_bus_message_read(reply, "ss", &component, &path);
                if (r >= 0)
                        r = sd_bus_message_read_array(reply, 'y', &data, &size);
                if (r >= 0)
                        r = sd_bus_message_read(reply, "u", &mode);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        break;
                r = take_component(components, component, err, err_size);
                if (r < 0)
                        break;
                c = writer_component(w, component);
                if (!c) {
                        snprintf(err, err_size, "backup metadata for component \"%s\", which it no longer has",
                                 ECHO(component));
                        return -EINVAL;
                }
                r = backup_metadata_check_path(path, c->paths, err, err_size);
                if (r >= 0)
                        r = backup_metadata_check_file(path, size, mode, err, err_size);
                if (r >= 0 && path_taken(s, path)) {
                        snprintf(err, err_size, "metadata file %s is declared by another writer of the set",
                                 ECHO(path));
                        r = -EEXIST;
                }
                if (r >= 0)
                        r = backup_metadata_list_add(l, component, NULL, path, data, size, mode, false, err, err_size);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        return r;
}

/* After the set was recorded: with what the writer recorded before, within
 * the limits, and nothing given twice. */
static int check_recorded(Set *s, Writer *w, const BackupMetadataList *l, char *err, size_t err_size) {
        Catalog *c = s->manager->catalog;
        size_t n, bytes;
        int r;

        r = catalog_metadata_usage(c, s->id_num, w->meta->writer, w->meta->instance, &n, &bytes);
        if (r < 0) {
                snprintf(err, err_size, "cannot read the catalog: %s", catalog_last_error(c));
                return r;
        }
        if (n + l->n > STASIS_METADATA_ENTRIES_MAX) {
                snprintf(err, err_size, "more than %d metadata entries in the set", STASIS_METADATA_ENTRIES_MAX);
                return -E2BIG;
        }
        if (bytes + l->bytes > STASIS_METADATA_TOTAL_MAX) {
                snprintf(err, err_size, "the metadata would have %zu bytes; at most %d in one set", bytes + l->bytes,
                         STASIS_METADATA_TOTAL_MAX);
                return -E2BIG;
        }
        for (size_t i = 0; i < l->n; i++) {
                const BackupMetadataEntry *e = &l->entries[i];
                r = catalog_metadata_has(c, s->id_num, w->meta->writer, w->meta->instance, e->component, e->name,
                                         e->path);
                if (r < 0) {
                        snprintf(err, err_size, "cannot read the catalog: %s", catalog_last_error(c));
                        return r;
                }
                if (r > 0) {
                        snprintf(err, err_size, "metadata %s %s is in the set already", e->name ? "value" : "file",
                                 ECHO(e->name ?: e->path));
                        return -EEXIST;
                }
        }
        return 0;
}

int set_metadata_take(Set *s, Writer *w, char *const *components, sd_bus_message *reply, bool recorded, char *err,
                      size_t err_size) {
        BackupMetadataList l = {};
        const char *sig;
        SetMetadata *n;
        int r;

        if (!reply)
                return 0;
        sig = sd_bus_message_get_signature(reply, true);
        if (isempty(sig))
                return 0;       /* a writer on an older libstasis: no metadata */
        if (!streq(sig, "a(sss)a(ssayu)")) {
                snprintf(err, err_size, "answered with arguments \"%s\", not \"a(sss)a(ssayu)\"", ECHO(sig));
                return -EBADMSG;
        }
        err[0] = 0;
        r = take_values(reply, components, &l, err, err_size);
        if (r >= 0)
                r = take_files(s, reply, w, components, &l, err, err_size);
        if (r >= 0 && recorded)
                r = check_recorded(s, w, &l, err, err_size);
        if (r < 0) {
                if (!err[0])
                        snprintf(err, err_size, "sent backup metadata that cannot be read: %s", strerror(-r));
                backup_metadata_list_clear(&l);
                return r;
        }
        if (l.n == 0)
                return 0;
        n = realloc(s->metadata, sizeof(SetMetadata) * (s->n_metadata + 1));
        if (!n) {
                backup_metadata_list_clear(&l);
                return -ENOMEM;
        }
        s->metadata = n;
        n[s->n_metadata] = (SetMetadata) {
                .writer = strdup(w->meta->writer),
                .instance = strdup(strempty(w->meta->instance)),
                .list = l,
        };
        s->n_metadata++;
        if (!n[s->n_metadata - 1].writer || !n[s->n_metadata - 1].instance)
                return -ENOMEM;
        return 0;
}

void set_metadata_forget(Set *s) {
        set_metadata_free(s->metadata, s->n_metadata);
        s->metadata = NULL;
        s->n_metadata = 0;
}

int set_metadata_record(Set *s) {
        int r = 0;

        if (s->n_metadata > 0) {
                r = catalog_add_metadata(s->manager->catalog, s->id_num, s->metadata, s->n_metadata);
                if (r < 0)
                        log_error_errno(r, "Set %s: failed to record the writers' backup metadata: %s", s->id,
                                        catalog_last_error(s->manager->catalog));
        }
        set_metadata_forget(s);
        return r;
}

/* ---- BackupComplete ---- */

/* The writer's components in the set that BackupComplete went to: those it
 * made application-consistent. */
static char **complete_components(const Set *s, const Writer *w) {
        _cleanup_strv_free_ char **l = NULL;

        for (size_t i = 0; i < s->n_components; i++) {
                const SetComponent *c = &s->components[i];
                if (streq(c->writer, w->meta->writer) && streq(c->instance, strempty(w->meta->instance)) &&
                    streq(c->consistency, "application") && strv_extend(&l, c->component) < 0)
                        return NULL;
        }
        return l ? TAKE_PTR(l) : calloc(1, sizeof(char *));
}

void set_metadata_backup_complete_done(WriterBatch *b, void *userdata) {
        Manager *m = userdata;
        Set *s = manager_find_set(m, b->set_id);

        for (size_t i = 0; i < b->n; i++) {
                const WriterReply *r = &b->replies[i];
                _cleanup_strv_free_ char **components = NULL;
                char err[768];
                if (r->error < 0 || !r->reply || isempty(sd_bus_message_get_signature(r->reply, true)))
                        continue;
                if (!s || (s->state != SET_CREATED && s->state != SET_MISSING)) {
                        log_warning("Set %s: writer %s sent backup metadata with BackupComplete, but the set "
                                    "is gone; it is not kept.", b->set_id, r->writer->display);
                        continue;
                }
                components = complete_components(s, r->writer);
                if (!components) {
                        log_oom();
                        continue;
                }
                int k = set_metadata_take(s, r->writer, components, r->reply, true, err, sizeof err);
                if (k == -ENOMEM)
                        snprintf(err, sizeof err, "out of memory");
                if (k < 0)
                        log_warning("Set %s: writer %s sent bad backup metadata with BackupComplete: %s; none of "
                                    "it is kept.", s->id, r->writer->display, err);
        }
        /* Not while file systems are held (the catalog may be on one): at the end of the hold. */
        if (s && !m->holding)
                (void) set_metadata_record(s);
}

void set_metadata_hold_ended(Set *s) {
        if (s->n_metadata > 0 && (s->state == SET_CREATED || s->state == SET_MISSING) &&
            s->phase == SET_PHASE_IDLE)
                (void) set_metadata_record(s);
}

/* ---- On the bus ---- */

/* The listing, and how much of it: a reply stays well below the bus' limit. */
#define SET_METADATA_REPLY_MAX (16U * 1024U * 1024U)

typedef struct ListReply {
        sd_bus_message *reply;
        size_t bytes;
} ListReply;

static int append_entry(const char *writer, const char *instance, const BackupMetadataEntry *e, void *userdata) {
        ListReply *x = userdata;
        _cleanup_free_ char *value = NULL;

        if (e->name) {
                value = strndup(e->data ?: "", e->size);
                if (!value)
                        return -ENOMEM;
        }
        x->bytes += e->name ? e->size : 0;
        if (x->bytes > SET_METADATA_REPLY_MAX)
                return -E2BIG;
        return sd_bus_message_append(x->reply, "(ssssssuu)", writer, instance, e->component, strempty(e->name),
                                     strempty(value), strempty(e->path), (uint32_t) e->size, e->mode);
}

static int method_list_deferred(sd_bus_message *msg, void *userdata, sd_bus_error *error);
static int method_file_deferred(sd_bus_message *msg, void *userdata, sd_bus_error *error);

static Set *set_of_call(Manager *m, sd_bus_message *msg, sd_bus_error *error) {
        const char *id = startswith(sd_bus_message_get_path(msg), STASIS_SET_PATH_PREFIX "/");
        Set *s = id ? manager_find_set(m, id) : NULL;
        if (!s)
                sd_bus_error_setf(error, STASIS_ERROR_NO_SUCH_SET, "No snapshot set at %s any more",
                                  ECHO(sd_bus_message_get_path(msg)));
        return s;
}

static int list(Set *s, sd_bus_message *msg, sd_bus_error *error) {
        _cleanup_bus_message_unref_ sd_bus_message *reply = NULL;
        ListReply x = {};
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ssssssuu)");
        x.reply = reply;
        if (r >= 0)
                r = catalog_foreach_metadata(s->manager->catalog, s->id_num, false, append_entry, &x);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot read the backup metadata of snapshot set %s: %s",
                                               s->id, r == -E2BIG ? "too large for one answer" :
                                               catalog_last_error(s->manager->catalog));
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_list_deferred(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Set *s = set_of_call(userdata, msg, error);
        return s ? list(s, msg, error) : -ENOENT;
}

/* Open to all, like the rest of a set: names, values, paths and sizes. (The
 * catalog is not read while file systems are held: it may be on one.) */
int set_metadata_method_list(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Set *s = userdata;
        int r = manager_defer_if_holding(s->manager, msg, method_list_deferred, s->manager);
        if (r != 0)
                return r;
        return list(s, msg, error);
}

static int file(Set *s, sd_bus_message *msg, sd_bus_error *error) {
        _cleanup_free_ void *data = NULL;
        const char *path;
        size_t size;
        uint32_t mode;
        int r;

        r = sd_bus_message_read(msg, "s", &path);
        if (r < 0)
                return r;
        r = catalog_metadata_file(s->manager->catalog, s->id_num, path, &data, &size, &mode);
        if (r == -ENOENT)
                return sd_bus_error_setf(error, SD_BUS_ERROR_FILE_NOT_FOUND,
                                         "Snapshot set %s has no backup metadata file %s", s->id, ECHO(path));
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot read backup metadata file %s of snapshot set %s: %s",
                                               ECHO(path), s->id, catalog_last_error(s->manager->catalog));
        _cleanup_bus_message_unref_ sd_bus_message *reply = NULL;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_append_array(reply, 'y', data, size);
        if (r >= 0)
                r = sd_bus_message_append(reply, "u", mode);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_file_deferred(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Set *s = set_of_call(userdata, msg, error);
        return s ? file(s, msg, error) : -ENOENT;
}

/* A file's content is data for a restore: the same right as a view of the set. */
int set_metadata_method_file(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Set *s = userdata;
        int r = auth_check(s->manager, msg, AUTH_MOUNT_SET, NULL, error);
        if (r != 0)
                return r;
        r = manager_defer_if_holding(s->manager, msg, method_file_deferred, s->manager);
        if (r != 0)
                return r;
        return file(s, msg, error);
}
