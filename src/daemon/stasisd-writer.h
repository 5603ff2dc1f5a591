/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-writer.h - registered writers, and calling many of them at once with deadlines */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "stasisd-manager.h"
#include "time-util.h"
#include "writer-event.h"
#include "writer-metadata.h"

#define MANAGER_WRITERS_MAX                4096
#define MANAGER_WRITERS_PER_CONNECTION_MAX 1024
/* All registered writers' metadata together (canonical JSON), so that no
 * reply about writers comes near the bus's 32 MiB message limit. */
#define MANAGER_WRITERS_METADATA_TOTAL_MAX (16U * 1024U * 1024U)
/* The last error kept per writer, for ListWriters. */
#define WRITER_LAST_ERROR_MAX               512


typedef enum WriterState {
        WRITER_STABLE,
        WRITER_WAITING_FOR_FREEZE,
        WRITER_FROZEN,
        WRITER_WAITING_FOR_POST_SNAPSHOT,
        WRITER_WAITING_FOR_BACKUP_COMPLETE,
        WRITER_FAILED,                  /* at failed_at */
        _WRITER_STATE_MAX,
} WriterState;


typedef struct Writer Writer;
typedef struct WriterReply WriterReply;
struct Writer {
        unsigned n_ref;
        Manager *manager;               /* NULL once unregistered or gone */
        LIST_FIELDS(Writer, writers);

        char *owner;                    /* unique bus name */
        char *path;                     /* its object */
        pid_t pid;
        uid_t uid;
        WriterMetadata *meta;           /* as of the last Identify */
        char *meta_json;                /* canonical */
        char *display;                  /* "name" or "name@instance" */

        /* Bumped whenever stasisd takes new metadata from the writer. */
        uint64_t generation;
        /* The writer called UpdateWriterMetadata: it announces its metadata's
         * changes and takes only the events in its events mask (bit 1 << event);
         * Identify is sent to it only if its mask has it. */
        bool announces;
        unsigned events;

        /* Its direct channel (stasisd-writer-channel.c), -1 if none: Freeze
         * and Thaw go over it, the calls out on it in channel_calls. */
        int channel_fd;
        sd_event_source *channel_source;
        uint32_t channel_seq;           /* the last call sent on it */
        /* Calls sent and answers taken on it: a writer answers each call at
         * most once, so more answers than calls is a writer flooding it. */
        uint64_t channel_sent, channel_answered;
        WriterReply *channel_calls, *channel_calls_tail;

        WriterState state;
        StasisWriterEvent failed_at;
        char *last_error;
        char last_set[24];
};

Writer *writer_ref(Writer *w);
Writer *writer_unref(Writer *w);
/* The state as ListWriters shows it: "stable", "failed-at-freeze", ... */
const char *writer_state_string(const Writer *w, char *buf, size_t size);
/* Replaces the metadata; -EINVAL (message in err) if it names another writer. */
int writer_update_metadata(Writer *w, WriterMetadata *meta, char *err, size_t err_size);
/* A failure stasisd found itself (not an answer), for ListWriters. */
void writer_mark_failed(Writer *w, StasisWriterEvent event, const char *message);
Writer *manager_find_writer(Manager *m, const char *name, const char *instance);
Writer *manager_find_writer_at(Manager *m, const char *owner, const char *path);
/* The writer the sender of msg registered at path, or NoSuchWriter in error:
 * a connection acts on its own writers only. */
int manager_caller_writer(Manager *m, sd_bus_message *msg, const char *path, sd_bus_error *error, Writer **ret);
/* Every component path must exist, and be the user's if not root's. */
int writer_check_paths(const WriterMetadata *meta, uid_t uid, sd_bus_error *error);

/* The unique bus name owner left the bus: its writers are gone. */
void manager_writers_owner_gone(Manager *m, const char *owner);
void manager_writers_free(Manager *m);

/* stasisd-manager-bus.c calls these for RegisterWriter, UnregisterWriter, ListWriters. */
int method_register_writer(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_unregister_writer(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_list_writers(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_get_writer_metadata(sd_bus_message *msg, void *userdata, sd_bus_error *error);
