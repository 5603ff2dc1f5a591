/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-output.h - what the CLI shows of a set: copied from libstasis's StasisSet, printed as a table or JSON */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "stasis/stasis.h"

typedef struct VolumeInfo {
        char *path, *mount_point, *device, *fstype, *provider, *source, *snapshot, *state;
} VolumeInfo;

typedef struct ComponentInfo {
        char *writer, *instance, *component, *consistency, *reason;
} ComponentInfo;

typedef struct SetInfo {
        char *id;
        char *object_path;
        uint64_t created;       /* usec since the epoch */
        char *state;
        char *consistency;
        char *label;
        char *error;
        char *mounted_at;       /* where the set is mounted; NULL or "" if not */
        unsigned open_views;    /* views handed out by OpenView that are open (stasis exec, backup) */
        bool persistent;
        uint32_t owner_uid;
        uint32_t n_volumes;
        uint64_t hold_usec;     /* how long file systems were held frozen; 0 if none */
        VolumeInfo *volumes;    /* n_volumes entries, or NULL when only counted */
        /* The writer properties, from a stasisd that has them. */
        bool has_components;
        uint32_t n_components;
        ComponentInfo *components;
        bool has_completed;
        uint64_t completed;     /* usec since the epoch when the backup was reported; 0 if not yet */
        /* What happened to it after it was made, oldest first. */
        uint64_t *event_at;     /* usec since the epoch */
        char **event_text;
        uint32_t n_events;
        /* Retention: shown (and in the JSON) only when the set has one. */
        uint64_t expires;       /* usec since the epoch; 0: never */
        char *policy;           /* the policy that made it; NULL or "" if none */
        /* show: what its snapshots hold alone (btrfs quotas). */
        bool has_exclusive;
        uint64_t exclusive;     /* UINT64_MAX: not known, see exclusive_why */
        char *exclusive_why;
} SetInfo;

void set_info_done(SetInfo *s);

/* A copy of what s says. With full, the details of show (volumes,
 * components, owner, error, hold, completed); without, the summary of
 * list (the count of volumes). */
int set_info_from_set(const StasisSet *s, bool full, SetInfo *ret);

json_object *set_info_to_json(const SetInfo *s);
json_object *volume_info_to_json(const VolumeInfo *v);
json_object *component_info_to_json(const ComponentInfo *c);

/* Prints JSON pretty on a TTY, compact otherwise, and a newline. */
void print_json(FILE *f, json_object *o);

/* A simple table: add a header, then rows of the same width; print pads the columns. */
typedef struct Table Table;
Table *table_new(size_t n_columns, ...);      /* the headers, as char* */
int table_add_row(Table *t, ...);              /* n_columns char* values; NULL prints "-" */
void table_print(Table *t, FILE *f);
Table *table_free(Table *t);
size_t table_rows(const Table *t);

void print_set_details(FILE *f, const SetInfo *s);

/* Prints s (NULL as "") escaped for a terminal, as cescape() does: what
 * stasisd sends may hold names anyone chose. */
void print_escaped(FILE *f, const char *s);
