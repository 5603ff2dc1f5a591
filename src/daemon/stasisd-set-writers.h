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

/* The writers' steps of a set's making (stasisd-set-life.c runs them).
 * Each runs its events and then calls done(s), once; a required writer
 * that fails sets s->writers_failed (set_writers_check()). */

/* Phase preparing: PrepareBackup, then PrepareSnapshot. < 0 if PrepareBackup
 * cannot be sent (done is not called then). */
int set_writers_prepare(Set *s, set_step_done_t done);
/* Phase freezing: Freeze, level by level. When nothing may be taken (a
 * required writer failed, Freeze could not be sent), s->commit says why. */
void set_writers_freeze(Set *s, set_step_done_t done);
/* Phase thawing: Thaw to who froze, level by level in reverse. */
void set_writers_thaw(Set *s, set_step_done_t done);
/* Still phase thawing: PostSnapshot. < 0 if it cannot be sent (done is not called then). */
int set_writers_post_snapshot(Set *s, set_step_done_t done);

/* Whether a writer the requestor required failed (s->writers_failed says how). */
bool set_writers_check(Set *s);
/* After the commit: writers still frozen past their freeze window fail (retryable). */
void set_writers_check_window(Set *s);
/* The end of the making: Abort to every writer prepared if the set failed
 * (failure says why), else to those that failed; and the set's components. */
void set_writers_finish(Set *s, const char *failure);
/* Abort to the writers that failed (the set goes on without them). */
void set_writers_abort_failed(Set *s);
void set_writer_gone(Set *s, Writer *w, const char *why);
/* The set failed after all: Abort to every writer prepared and not aborted yet. */
void set_writers_abort_all(Set *s, const char *reason);
void set_writers_release(Set *s);       /* for set_free() */
void set_writers_free(SetWriter *sw, size_t n);
/* Set.Complete: BackupComplete to the writers. */
int set_complete(Set *s, sd_bus_message *msg, char **failed, sd_bus_error *error);
/* The requestor left without reporting: BackupComplete to the writers with
 * every component failed (msg NULL: nobody to answer). */
void set_complete_all_failed(Set *s);
