/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set-metadata.h - the writers' backup metadata of a set: taken from their answers, checked, recorded, shown */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-bus.h>

#include "stasisd-set.h"
#include "stasisd-writer-call.h"
#include "stasisd-writer.h"

/* Takes the metadata of writer w's answer to PostSnapshot or BackupComplete
 * (none, for an answer without it): each entry checked against the writer's
 * components in the set (components, NULL-terminated) and their paths, and
 * the limits (recorded: the set is in the catalog, with what the writer
 * recorded before counted too). Kept in s->metadata until
 * set_metadata_record(). On a bad entry nothing of the answer is kept:
 * < 0, and err says what is wrong. */
int set_metadata_take(Set *s, Writer *w, char *const *components, sd_bus_message *reply, bool recorded, char *err,
                      size_t err_size);
/* Writes what was taken into the catalog; forgets it either way. */
int set_metadata_record(Set *s);
void set_metadata_forget(Set *s);
/* The end of the BackupComplete batch of set b->set_id (userdata: the Manager). */
void set_metadata_backup_complete_done(WriterBatch *b, void *userdata);
/* A hold ended: what BackupComplete brought during it is recorded now. */
void set_metadata_hold_ended(Set *s);

/* Set.BackupMetadata and Set.BackupMetadataFile. */
int set_metadata_method_list(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int set_metadata_method_file(sd_bus_message *msg, void *userdata, sd_bus_error *error);
