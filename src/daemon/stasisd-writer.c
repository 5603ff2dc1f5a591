/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-writer.c - the registered writers: RegisterWriter, UnregisterWriter, ListWriters, liveness */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bus-errors.h"
#include "bus-util.h"
#include "echo.h"
#include "list.h"
#include "log.h"
#include "macro.h"
#include "stasisd-auth.h"
#include "stasisd-writer-call.h"
#include "stasisd-writer-channel.h"
#include "stasisd-writer-memory.h"
#include "stasisd-writer.h"
#include "string-table.h"

static const char *const writer_failed_at_table[_STASIS_EVENT_MAX] = {
        [STASIS_EVENT_IDENTIFY]         = "failed-at-identify",
        [STASIS_EVENT_PREPARE_BACKUP]   = "failed-at-prepare-backup",
        [STASIS_EVENT_PREPARE_SNAPSHOT] = "failed-at-prepare-snapshot",
        [STASIS_EVENT_FREEZE]           = "failed-at-freeze",
        [STASIS_EVENT_THAW]             = "failed-at-thaw",
        [STASIS_EVENT_POST_SNAPSHOT]    = "failed-at-post-snapshot",
        [STASIS_EVENT_BACKUP_COMPLETE]  = "failed-at-backup-complete",
        [STASIS_EVENT_ABORT]            = "failed-at-abort",
        [STASIS_EVENT_PRE_RESTORE]      = "failed-at-pre-restore",
        [STASIS_EVENT_POST_RESTORE]     = "failed-at-post-restore",
        [STASIS_EVENT_SET_DELETED]      = "failed-at-set-deleted",      /* never: nothing waits for it */
};

static const char *const writer_state_table[_WRITER_STATE_MAX] = {
        [WRITER_STABLE]                      = "stable",
        [WRITER_WAITING_FOR_FREEZE]          = "waiting-for-freeze",
        [WRITER_FROZEN]                      = "frozen",
        [WRITER_WAITING_FOR_POST_SNAPSHOT]   = "waiting-for-post-snapshot",
        [WRITER_WAITING_FOR_BACKUP_COMPLETE] = "waiting-for-backup-complete",
};

DEFINE_PRIVATE_STRING_TABLE_LOOKUP_TO_STRING(writer_failed_at, StasisWriterEvent)
DEFINE_PRIVATE_STRING_TABLE_LOOKUP_TO_STRING(writer_state, WriterState)

const char *writer_state_string(const Writer *w, char *buf, size_t size) {
        assert(w);
        assert(buf);
        snprintf(buf, size, "%s", strna(w->state == WRITER_FAILED ? writer_failed_at_to_string(w->failed_at)
                                                                  : writer_state_to_string(w->state)));
        return buf;
}

Writer *writer_ref(Writer *w) {
        if (w)
                w->n_ref++;
        return w;
}

Writer *writer_unref(Writer *w) {
        if (!w || --w->n_ref > 0)
                return NULL;
        assert(!w->channel_calls);
        writer_channel_close(w);
        writer_metadata_free(w->meta);
        free(w->meta_json);
        free(w->display);
        free(w->owner);
        free(w->path);
        free(w->last_error);
        free(w);
        return NULL;
}

static int make_display(const WriterMetadata *meta, char **ret) {
        char *d;
        if (isempty(meta->instance))
                d = strdup(meta->writer);
        else if (asprintf(&d, "%s@%s", meta->writer, meta->instance) < 0)
                d = NULL;
        if (!d)
                return -ENOMEM;
        *ret = d;
        return 0;
}

int writer_update_metadata(Writer *w, WriterMetadata *meta, char *err, size_t err_size) {
        assert(w);
        assert(meta);

        _cleanup_free_ char *json = NULL;
        int r;

        if (w->meta && (!streq(w->meta->writer, meta->writer) || !streq(w->meta->instance, meta->instance))) {
                snprintf(err, err_size, "its metadata now names writer %s%s%s", meta->writer,
                         isempty(meta->instance) ? "" : "@", meta->instance);
                return -EINVAL;
        }
        r = writer_metadata_to_json(meta, &json);
        if (r < 0) {
                snprintf(err, err_size, "cannot serialize its metadata: %s", strerror(-r));
                return r;
        }
        if (w->manager) {
                /* Registered: the new metadata replaces the old in the total. */
                size_t total = w->manager->writers_metadata_bytes - strlen(w->meta_json) + strlen(json);
                if (total > MANAGER_WRITERS_METADATA_TOTAL_MAX) {
                        snprintf(err, err_size, "its metadata (%zu bytes) would bring all writers' metadata to "
                                 "%zu bytes, more than the limit of %u", strlen(json), total,
                                 MANAGER_WRITERS_METADATA_TOTAL_MAX);
                        return -E2BIG;
                }
                w->manager->writers_metadata_bytes = total;
        }
        if (!w->display) {
                r = make_display(meta, &w->display);
                if (r < 0)
                        return r;
        }
        writer_metadata_free(w->meta);
        w->meta = meta;
        free(w->meta_json);
        w->meta_json = TAKE_PTR(json);
        w->generation++;
        return 0;
}

void writer_mark_failed(Writer *w, StasisWriterEvent event, const char *message) {
        assert(w);
        assert(event >= 0 && event < _STASIS_EVENT_MAX);

        w->state = WRITER_FAILED;
        w->failed_at = event;
        free(w->last_error);
        w->last_error = echo_strdup(message, WRITER_LAST_ERROR_MAX);
}

Writer *manager_find_writer(Manager *m, const char *name, const char *instance) {
        assert(m);
        assert(name);

        LIST_FOREACH(writers, w, m->writers)
                if (streq(w->meta->writer, name) && streq(w->meta->instance, strempty(instance)))
                        return w;
        return NULL;
}

Writer *manager_find_writer_at(Manager *m, const char *owner, const char *path) {
        assert(m);
        assert(owner);
        assert(path);

        LIST_FOREACH(writers, w, m->writers)
                if (streq(w->owner, owner) && streq(w->path, path))
                        return w;
        return NULL;
}

int manager_caller_writer(Manager *m, sd_bus_message *msg, const char *path, sd_bus_error *error, Writer **ret) {
        const char *owner = sd_bus_message_get_sender(msg);
        Writer *w = owner ? manager_find_writer_at(m, owner, path) : NULL;

        assert(ret);
        if (!w)
                return sd_bus_error_setf(error, STASIS_ERROR_NO_SUCH_WRITER,
                                         "This connection has no writer registered at %s", ECHO(path));
        *ret = w;
        return 0;
}

static void writer_link(Manager *m, Writer *w) {
        w->manager = m;
        LIST_APPEND(writers, m->writers, m->writers_tail, w);
        m->n_writers++;
        m->writers_metadata_bytes += strlen(w->meta_json);
}

/* Takes w out of the registry (its last reference may go with it). */
static void writer_unlink(Writer *w) {
        Manager *m = w->manager;
        if (!m)
                return;
        LIST_REMOVE(writers, m->writers, m->writers_tail, w);
        m->n_writers--;
        writer_channel_close(w);       /* its calls out on it fail with the writer's */
        m->writers_metadata_bytes -= strlen(w->meta_json);
        w->manager = NULL;
        writer_unref(w);
}

/* The writer is gone (left the bus, or unregistered): whatever it takes part
 * in fails at once. */
static void writer_gone(Writer *w, const char *why) {
        Manager *m = w->manager;

        log_info("Writer %s (%s %s) %s.", w->display, w->owner, w->path, why);
        writer_ref(w);
        writer_unlink(w);
        writer_memory_gone(m, w);
        if (m->writer_gone)
                m->writer_gone(m, w, why);      /* before its calls fail: the sets name the event */
        writer_batches_writer_gone(m, w, why);
        writer_unref(w);
}

void manager_writers_owner_gone(Manager *m, const char *owner) {
        assert(m);
        assert(owner);

        LIST_FOREACH_SAFE(writers, w, next, m->writers)
                if (streq(w->owner, owner))
                        writer_gone(w, "left the bus");        /* unlinks w only */
}

void manager_writers_free(Manager *m) {
        assert(m);

        while (m->batches)
                writer_batch_free(m->batches);
        while (m->writers)
                writer_unlink(m->writers);
}

/* Every component path must exist now (a file or a directory). A writer
 * registered by a user other than root may name only directories that user
 * owns (for a file, the directory that holds it): it must not bring other
 * file systems into root's sets. Checked again, on the lookup that finds the
 * volume, when a set is made (stasisd-create-request.c). */
int writer_check_paths(const WriterMetadata *meta, uid_t uid, sd_bus_error *error) {
        for (size_t i = 0; i < meta->n_components; i++)
                for (size_t j = 0; meta->components[i].paths[j]; j++) {
                        struct stat st;
                        const char *p = meta->components[i].paths[j];
                        if (stat(p, &st) < 0)
                                return sd_bus_error_setf(error, errno == ENOENT ? STASIS_ERROR_NO_SUCH_PATH
                                                                                : STASIS_ERROR_INVALID_ARGUMENT,
                                                         "Writer metadata refused: components[%zu].paths[%zu]: "
                                                         "%s: %s", i, j, ECHO(p), strerror(errno));
                        if (uid == 0)
                                continue;
                        if (!S_ISDIR(st.st_mode)) {
                                _cleanup_free_ char *dir = strdup(p);
                                char *slash = dir ? strrchr(dir, '/') : NULL;
                                if (!dir)
                                        return -ENOMEM;
                                if (slash)
                                        slash[slash == dir] = 0;
                                if (stat(dir, &st) < 0)
                                        return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                                                 "Writer metadata refused: components[%zu].paths[%zu]: "
                                                                 "%s: %s", i, j, ECHO(p), strerror(errno));
                        }
                        if (st.st_uid != uid)
                                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                                         "Writer metadata refused: components[%zu].paths[%zu]: "
                                                         "%s is not owned by the writer's user (uid %u); a writer "
                                                         "other than root may only name directories its user owns",
                                                         i, j, ECHO(p), (unsigned) uid);
                }
        return 0;
}

static unsigned count_writers_of(Manager *m, const char *owner) {
        unsigned n = 0;
        LIST_FOREACH(writers, w, m->writers)
                n += streq(w->owner, owner);
        return n;
}

/* A writer that left the bus just before its registration was handled would
 * never be seen leaving: ask the bus whether its owner is still there. */
static int on_owner_check(sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Writer *w = userdata;
        if (w->manager && sd_bus_message_is_method_error(reply, NULL))
                writer_gone(w, "left the bus while registering");
        writer_unref(w);
        return 0;
}

int method_register_writer(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_writer_metadata_ WriterMetadata *meta = NULL;
        const char *path, *json, *owner = sd_bus_message_get_sender(msg);
        char err[512];
        Writer *w, *other;
        AuthCaller caller;
        int r;

        r = auth_check(m, msg, AUTH_REGISTER_WRITER, &caller, error);
        if (r != 0)
                return r;
        r = sd_bus_message_read(msg, "os", &path, &json);
        if (r < 0)
                return r;
        if (!owner)
                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT, "The caller has no bus name");
        r = writer_metadata_parse(json, strlen(json), &meta, err, sizeof err);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return sd_bus_error_setf(error, r == -E2BIG ? STASIS_ERROR_LIMIT_EXCEEDED : STASIS_ERROR_INVALID_ARGUMENT,
                                         "Writer metadata refused: %s", err);
        r = writer_check_paths(meta, caller.uid, error);
        if (r < 0)
                return r;

        other = manager_find_writer(m, meta->writer, meta->instance);
        if (!other)
                other = manager_find_writer_at(m, owner, path);
        if (other)
                return sd_bus_error_setf(error, STASIS_ERROR_BUSY,
                                         "Writer %s is registered already by %s (pid %d) at %s",
                                         other->display, other->owner, (int) other->pid, other->path);
        if (m->n_writers >= MANAGER_WRITERS_MAX)
                return sd_bus_error_setf(error, STASIS_ERROR_LIMIT_EXCEEDED,
                                         "%u writers are registered, the most stasisd takes", m->n_writers);
        if (count_writers_of(m, owner) >= MANAGER_WRITERS_PER_CONNECTION_MAX)
                return sd_bus_error_setf(error, STASIS_ERROR_LIMIT_EXCEEDED,
                                         "This connection has registered %d writers, the most one may",
                                         MANAGER_WRITERS_PER_CONNECTION_MAX);

        w = calloc(1, sizeof(Writer));
        if (!w)
                return -ENOMEM;
        w->n_ref = 1;
        w->channel_fd = -EBADF;
        w->owner = strdup(owner);
        w->path = strdup(path);
        if (!w->owner || !w->path || writer_update_metadata(w, meta, err, sizeof err) < 0) {
                writer_unref(w);
                return -ENOMEM;
        }
        meta = NULL;
        if (m->writers_metadata_bytes + strlen(w->meta_json) > MANAGER_WRITERS_METADATA_TOTAL_MAX) {
                r = sd_bus_error_setf(error, STASIS_ERROR_LIMIT_EXCEEDED,
                                      "Writer %s refused: its metadata (%zu bytes) would bring all writers' "
                                      "metadata to %zu bytes, more than the limit of %u", w->display,
                                      strlen(w->meta_json), m->writers_metadata_bytes + strlen(w->meta_json),
                                      MANAGER_WRITERS_METADATA_TOTAL_MAX);
                writer_unref(w);
                return r;
        }
        w->pid = caller.pid;
        w->uid = caller.uid;
        writer_link(m, w);
        writer_memory_registered(m, w);
        log_info("Writer %s registered by %s (pid %d) at %s: %s, %zu component(s).", w->display, w->owner,
                 (int) w->pid, w->path, writer_level_to_string(w->meta->level), w->meta->n_components);

        r = sd_bus_call_method_async(m->bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                     "org.freedesktop.DBus", "GetNameOwner", on_owner_check, writer_ref(w),
                                     "s", owner);
        if (r < 0)
                writer_unref(w);
        return sd_bus_reply_method_return(msg, "");
}

int method_unregister_writer(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *path;
        Writer *w;
        int r;

        /* Open to all: a connection can only unregister its own writers,
         * which it was allowed to register. */
        r = sd_bus_message_read(msg, "o", &path);
        if (r < 0)
                return r;
        r = manager_caller_writer(m, msg, path, error, &w);
        if (r < 0)
                return r;
        writer_gone(w, "unregistered");
        return sd_bus_reply_method_return(msg, "");
}

/* A summary per writer, so that the reply stays far below the bus's message
 * limit however many writers there are; GetWriterMetadata gives the rest. */
int method_list_writers(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_bus_message_unref_ sd_bus_message *reply = NULL;
        Manager *m = userdata;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(ssssuusssuu)");
        if (r < 0)
                return r;
        r = writer_memory_append_list(m, reply);       /* the missing first: they want attention */
        if (r < 0)
                return r;
        LIST_FOREACH(writers, w, m->writers) {
                char state[64];
                r = sd_bus_message_append(reply, "(ssssuusssuu)", w->meta->writer, w->meta->instance,
                                          writer_level_to_string(w->meta->level), w->owner,
                                          (uint32_t) w->pid, (uint32_t) w->uid,
                                          writer_state_string(w, state, sizeof state), w->last_set,
                                          strempty(w->last_error), (uint32_t) w->meta->n_components,
                                          (uint32_t) strlen(w->meta_json));
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

int method_get_writer_metadata(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *name, *instance;
        Writer *w;
        int r;

        r = sd_bus_message_read(msg, "ss", &name, &instance);
        if (r < 0)
                return r;
        w = manager_find_writer(m, name, instance) ?: manager_find_missing_writer(m, name, instance);
        if (!w)
                return sd_bus_error_setf(error, STASIS_ERROR_NO_SUCH_WRITER, "No writer %s%s%s is registered",
                                         ECHO(name), isempty(instance) ? "" : "@", ECHO(instance));
        return sd_bus_reply_method_return(msg, "s", w->meta_json);
}
