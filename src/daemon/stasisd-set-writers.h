/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set-writers.h - the writers' part of making a set: prepare, freeze by level, thaw, post-snapshot, abort */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "stasisd-set.h"
#include "stasisd-writer.h"

/* A writer taking part in a set. */
struct SetWriter {
        Writer *writer;                 /* a reference */
        char **components;              /* its components in the set */
        size_t *volumes;                /* indexes of the set's volumes they are on */
        size_t n_volumes;
        bool prepared;                  /* it got PrepareBackup */
        bool frozen;                    /* Freeze succeeded and no Thaw yet */
        bool aborted;
        bool failed;                    /* no more events for it but Abort */
        bool retryable;
        char *error;                    /* why it failed */
};

/* After the set is recorded: PrepareBackup, PrepareSnapshot, then its turn. */
int set_writers_prepare(Set *s);
/* The set's turn has come (phase freezing): freeze its writers, then commit. */
void set_writers_freeze(Set *s);
/* The commit is over (the hold too; s->commit says how): thaw the writers, then finish. */
void set_writers_after_commit(Set *s);
/* Another set's hold ended: carry out what had to wait for it. */
void set_writers_hold_ended(Set *s);
void set_writer_gone(Set *s, Writer *w, const char *why);
/* The set failed after all: Abort to every writer prepared and not aborted yet. */
void set_writers_abort_all(Set *s, const char *reason);
void set_writers_release(Set *s);       /* for set_free() */
void set_writers_free(SetWriter *sw, size_t n);
/* Set.Complete: BackupComplete to the writers. */
int set_complete(Set *s, sd_bus_message *msg, char **failed, sd_bus_error *error);
